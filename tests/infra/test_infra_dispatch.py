"""StepFunctionsDispatcher on moto: one execution per job, named after it."""

from __future__ import annotations

import json

import pytest

from framelens.errors import ValidationError
from framelens.stores.aws.dispatch import StepFunctionsDispatcher

moto = pytest.importorskip("moto")

PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture
def sfn(monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "testing")
    with moto.mock_aws():
        client = boto3.client("stepfunctions")
        arn = client.create_state_machine(
            name="pipeline",
            definition=PASS_MACHINE,
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        yield client, arn


def test_submit_starts_an_execution_named_after_the_job(sfn):
    client, arn = sfn
    execution = StepFunctionsDispatcher(arn, client=client).submit("job_abc", deadline_s=60)
    described = client.describe_execution(executionArn=execution)
    assert described["name"] == "job_abc"
    assert json.loads(described["input"]) == {"job_id": "job_abc", "deadline_s": 60}


def test_submitting_a_job_twice_starts_one_execution(sfn):
    client, arn = sfn
    dispatcher = StepFunctionsDispatcher(arn, client=client)
    first = dispatcher.submit("job_abc", deadline_s=None)
    second = dispatcher.submit("job_abc", deadline_s=None)
    assert first == second
    assert len(client.list_executions(stateMachineArn=arn)["executions"]) == 1


def test_job_ids_that_cannot_name_an_execution_are_refused():
    with pytest.raises(ValidationError):
        StepFunctionsDispatcher("arn:aws:states:us-east-1:1:stateMachine:p").submit("a b", None)
