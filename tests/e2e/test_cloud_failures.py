"""Failure paths of the synthesized state machine on moto: Retry, Catch → MarkFailed → notify.

Faults are injected per stage by the harness (the stage function raises inside the handler), the
way the local runner's ``stage_hook`` does for the embedded backend.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from framelens.errors import ModelError, StoreError
from tests.e2e.cloud import TENANT, CloudEnv, reset_handler_caches

if TYPE_CHECKING:
    from tests.e2e.conftest import Receiver
    from tests.media import Generated

pytestmark = pytest.mark.slow


def drop_job(cloud: CloudEnv, clip: Generated, key: str, sidecar: dict[str, object]) -> str:
    """Drop ``clip`` at ``key`` after its sidecar; the id of the job ingest made of it."""
    cloud.s3.put_object(Bucket=cloud.bucket, Key=f"{key}.json", Body=json.dumps(sidecar).encode())
    cloud.s3.put_object(Bucket=cloud.bucket, Key=key, Body=clip.path.read_bytes())
    ingest = cloud.wait_ingest(key)
    assert ingest.error is None, ingest
    (job_id,) = ingest.result["created"]
    return str(job_id)


def analyze_attempts(cloud: CloudEnv) -> int:
    return sum(1 for i in cloud.invocations if i.event.get("stage") == "analyze")


def test_stage_that_raises_once_is_retried_and_the_job_finishes(
    cloud: CloudEnv, cuts_clip: Generated
):
    # GIVEN an analyze Lambda that fails once with a retryable StoreError
    cloud.faults.fail("analyze", StoreError("DynamoDB throttled"), times=1)

    # WHEN a drop runs
    job_id = drop_job(
        cloud, cuts_clip, "uploads/retry.mp4", {"tenant": TENANT, "modules": "scenes"}
    )
    execution = cloud.wait_execution(job_id)

    # THEN the state's Retry ran it again and the job finished without the failure path
    assert execution["status"] == "SUCCEEDED"
    assert analyze_attempts(cloud) == 2
    assert "MarkFailed" not in cloud.entered_states(job_id)
    assert cloud.job_item(job_id).state.value == "finished"


@pytest.mark.expected_errors
def test_stage_that_keeps_failing_fails_the_job_and_fires_the_webhook(
    cloud: CloudEnv, cuts_clip: Generated, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    # GIVEN a job with a webhook on a local receiver, whose analysis always fails with a
    # non-retryable error
    monkeypatch.setenv("FRAMELENS_ALLOW_PRIVATE_NETWORK", "true")  # the receiver is loopback
    reset_handler_caches()
    cloud.faults.fail("analyze", ModelError("the detector's session crashed"))
    sidecar = {"tenant": TENANT, "modules": "scenes", "webhook": receiver.url}

    # WHEN it runs
    job_id = drop_job(cloud, cuts_clip, "uploads/broken.mp4", sidecar)
    execution = cloud.wait_execution(job_id)

    # THEN no retry was spent on it, the Catch marked the job failed with the stage's error,
    # and NotifyFailure delivered the failed job to the webhook
    assert execution["status"] == "FAILED"
    assert analyze_attempts(cloud) == 1
    states = cloud.entered_states(job_id)
    assert states[-3:] == ["MarkFailed", "NotifyFailure", "Failed"]
    job = cloud.job_item(job_id)
    assert job.state.value == "failed"
    assert job.error is not None
    assert job.error.code == "model_error", job.error
    assert "session crashed" in job.error.message
    receiver.wait_calls(1)
    (body,) = receiver.bodies()
    assert body["id"] == job_id
    assert body["state"] == "failed"
    assert job.webhook_delivery is not None
    assert job.webhook_delivery.status == "delivered"
