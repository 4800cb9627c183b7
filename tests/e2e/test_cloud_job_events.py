"""No job stays running: cancel stops the execution, and an execution that ends without its job
(stopped from outside, timed out) ends the job through the EventBridge rule's function.

moto has no EventBridge delivery of Step Functions status changes: the test builds the event
exactly as EventBridge sends it, from ``DescribeExecution``, and invokes the rule's target (the
template's JobEvents function) with it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from framelens.auth.quotas import _jobs_name
from tests.e2e.cloud import TENANT, CloudEnv, LambdaContext, handler_module
from tests.e2e.test_cloud_api import Gateway

if TYPE_CHECKING:
    from tests.media import Generated

pytestmark = pytest.mark.slow


@pytest.fixture
def gateway(cloud: CloudEnv) -> Gateway:
    secret, _ = cloud.services().keys.create(TENANT)
    return Gateway(cloud, secret)


def status_change_event(cloud: CloudEnv, job_id: str) -> dict[str, Any]:
    """The "Step Functions Execution Status Change" event EventBridge sends for the execution."""
    desc = cloud.sfn.describe_execution(executionArn=cloud.execution_arn(job_id))
    return {
        "version": "0",
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {
            "executionArn": desc["executionArn"],
            "stateMachineArn": desc["stateMachineArn"],
            "name": desc["name"],
            "status": desc["status"],
            "error": desc.get("error"),
            "cause": desc.get("cause"),
        },
    }


def deliver(cloud: CloudEnv, event: dict[str, Any]) -> dict[str, Any]:
    name = cloud.function("JobEventsFunction")
    module = handler_module(cloud.function_handlers[name])
    return dict(module.handler(event, LambdaContext(name, name)))


def running_job(cloud: CloudEnv, gateway: Gateway, clip: Generated) -> str:
    """A job whose execution is held in its analysis (the analyze stage sleeps)."""
    cloud.faults.delay("analyze", 3.0)
    job = gateway.create_job(gateway.upload(clip), {"scenes": {}})
    deadline = time.monotonic() + 30
    while cloud.job_item(job["id"]).state.value != "running":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    return str(job["id"])


def test_an_execution_stopped_from_outside_ends_its_job_failed_with_a_reason(
    cloud: CloudEnv, gateway: Gateway, cuts_clip: Generated
):
    # GIVEN a running job holding one of its tenant's concurrent-job slots
    job_id = running_job(cloud, gateway, cuts_clip)
    counters = cloud.services().stores.counters
    slot = _jobs_name(TENANT)
    assert counters.get(slot) == 1
    # WHEN an operator stops its execution in the console (not through the API)
    cloud.sfn.stop_execution(executionArn=cloud.execution_arn(job_id), error="Operator")
    cloud.wait_execution(job_id)
    outcome = deliver(cloud, status_change_event(cloud, job_id))
    # THEN the rule's function failed the job, saying why, and released its slot (AWS reports a
    # stopped execution ABORTED; moto's interpreter reports it FAILED: both end the job)
    assert outcome["ended"] == job_id and outcome["status"] in ("ABORTED", "FAILED")
    job = cloud.job_item(job_id)
    assert job.state.value == "failed"
    assert job.error.code == f"execution_{outcome['status'].lower()}"
    assert job.error.message
    assert counters.get(slot) == 0


def test_the_event_of_a_job_that_already_ended_changes_nothing(
    cloud: CloudEnv, gateway: Gateway, cuts_clip: Generated
):
    job = gateway.create_job(gateway.upload(cuts_clip), {"scenes": {}})
    cloud.wait_execution(job["id"])
    event = status_change_event(cloud, job["id"])
    event["detail"]["status"] = "FAILED"  # e.g. MarkFailed ran, then the execution failed
    assert deliver(cloud, event)["ended"] is None
    assert cloud.job_item(job["id"]).state.value == "finished"


def test_cancel_stops_the_execution(cloud: CloudEnv, gateway: Gateway, cuts_clip: Generated):
    # GIVEN a running job
    job_id = running_job(cloud, gateway, cuts_clip)
    # WHEN the client cancels it through the API
    status, body = gateway.request("DELETE", f"/v1/jobs/{job_id}")
    # THEN the job is cancelled and its execution was stopped (no work goes on paying for GPUs)
    assert status == 200, body
    assert body["state"] == "cancelled"
    # (moto's interpreter runs on after StopExecution: tests/unit/test_dispatch_cancel.py
    # checks the stop itself on moto's plain Step Functions)
    execution = cloud.wait_execution(job_id)
    assert execution["status"] in ("ABORTED", "FAILED")
    # AND the rule's event for the stopped execution leaves the cancelled job as it is
    assert deliver(cloud, status_change_event(cloud, job_id))["ended"] is None
    assert cloud.job_item(job_id).state.value == "cancelled"
