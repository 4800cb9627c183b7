"""Cancelling a job stops its Step Functions execution (``StepFunctionsDispatcher.cancel``)."""

from __future__ import annotations

import json

import pytest

moto = pytest.importorskip("moto")

DEFINITION = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}


@pytest.fixture
def dispatcher(monkeypatch):
    import boto3

    from framelens.stores.aws.dispatch import StepFunctionsDispatcher

    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="pipeline",
            definition=json.dumps(DEFINITION),
            roleArn="arn:aws:iam::123456789012:role/x",
        )["stateMachineArn"]
        yield StepFunctionsDispatcher(arn, client=sfn), sfn


def test_cancel_stops_the_jobs_execution_with_a_reason(dispatcher):
    # GIVEN a job whose execution is running
    jobs, sfn = dispatcher
    execution = jobs.submit("job_abc", deadline_s=None)
    # WHEN the job is cancelled
    jobs.cancel("job_abc")
    # THEN its execution is aborted
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"


def test_cancel_of_a_job_without_an_execution_is_quiet(dispatcher):
    jobs, _ = dispatcher
    jobs.cancel("job_never_started")  # no exception: there is nothing to stop
