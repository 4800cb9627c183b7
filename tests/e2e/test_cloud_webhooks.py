"""Webhook delivery in AWS on moto: the notify stage queues a durable record and wakes the
delivery function; a receiver that fails keeps the record pending until the function's next
scheduled run, which delivers it; the secret is stored sealed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING

import pytest

from tests.e2e.cloud import TENANT, CloudEnv, reset_handler_caches
from tests.e2e.test_cloud_failures import drop_job

if TYPE_CHECKING:
    from tests.e2e.conftest import Receiver
    from tests.media import Generated

pytestmark = pytest.mark.slow


def test_a_failed_attempt_waits_for_the_scheduled_run_which_delivers_it(
    cloud: CloudEnv, cuts_clip: Generated, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a receiver that answers 503 once, and a 1 s first retry
    monkeypatch.setenv("FRAMELENS_ALLOW_PRIVATE_NETWORK", "true")  # the receiver is loopback
    monkeypatch.setenv("FRAMELENS_WEBHOOK_BACKOFF_S", "1")
    monkeypatch.setenv("FRAMELENS_WEBHOOK_MAX_ATTEMPTS", "5")
    reset_handler_caches()
    receiver.statuses[:] = [503]
    webhook = {"url": receiver.url, "secret": "s3cret"}
    sidecar = {"tenant": TENANT, "modules": "scenes", "webhook": webhook}
    # WHEN the job runs to its end
    job_id = drop_job(cloud, cuts_clip, "uploads/hooked.mp4", sidecar)
    assert cloud.wait_execution(job_id)["status"] == "SUCCEEDED"
    # THEN the woken delivery function tried once, and the record waits for its retry
    receiver.wait_calls(1)
    job = cloud.job_item(job_id)
    assert job.webhook_delivery is not None
    assert (job.webhook_delivery.status, job.webhook_delivery.attempts) == ("pending", 1)
    assert job.webhook is not None and job.webhook.secret is not None
    assert job.webhook.secret.startswith("fernet:")  # sealed in the jobs table
    # WHEN the schedule runs the function after the retry is due
    time.sleep(1.1)
    out = cloud.client("lambda").invoke(FunctionName=cloud.function("WebhooksFunction"))
    assert json.loads(out["Payload"].read()) == {"sent": 1}
    # THEN it is delivered, signed with the opened secret, and mirrored on the job
    receiver.wait_calls(2)
    headers, body = receiver.calls[1]
    assert headers["X-Webhook-Signature"] == hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert json.loads(body)["id"] == job_id
    job = cloud.job_item(job_id)
    assert job.webhook_delivery is not None
    assert (job.webhook_delivery.status, job.webhook_delivery.attempts) == ("delivered", 2)
    # AND a run with nothing due sends nothing
    out = cloud.client("lambda").invoke(FunctionName=cloud.function("WebhooksFunction"))
    assert json.loads(out["Payload"].read()) == {"sent": 0}
    assert len(receiver.calls) == 2
