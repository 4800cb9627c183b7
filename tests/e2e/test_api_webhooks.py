"""Webhooks against a local receiver: signature over the exact body, retries, the record."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from typing import TYPE_CHECKING

import pytest

from tests.e2e.test_api_routes import assert_error

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.conftest import Api, Env, Receiver
    from tests.media import Generated


@pytest.fixture
def local_api(make_env: Callable[..., Env]) -> Api:
    """A server allowed to reach 127.0.0.1 (the receiver), as in local development."""
    return make_env(allow_private_network=True).api()


def test_final_job_is_posted_signed_with_hmac_of_the_exact_body(
    local_api: Api, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a job with a webhook and a secret
    source = local_api.upload(cuts_clip.path)["url"]
    webhook = {"url": receiver.url, "secret": "s3cret"}
    job_id = local_api.create_job([source], webhook=webhook).json()["id"]
    # WHEN it finishes
    job = local_api.wait(job_id, until=lambda j: (j["webhook_delivery"] or {}).get("attempts"))
    # THEN the receiver got the final job once, signed over the exact bytes
    assert len(receiver.calls) == 1
    headers, body = receiver.calls[0]
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Webhook-Signature"] == expected
    sent = json.loads(body)
    assert sent["id"] == job_id
    assert sent["state"] == "finished"
    assert sent["result"]["summary"][0]["info"]["frames"] == 100
    # AND the delivery is recorded on the job
    assert job["webhook_delivery"]["status"] == "delivered"
    assert job["webhook_delivery"]["attempts"] == 1
    assert job["webhook_delivery"]["last_status_code"] == 200


def test_webhook_without_a_secret_is_unsigned(
    local_api: Api, receiver: Receiver, cuts_clip: Generated
) -> None:
    source = local_api.upload(cuts_clip.path)["url"]
    job_id = local_api.create_job([source], webhook={"url": receiver.url}).json()["id"]
    local_api.wait(job_id, until=lambda j: (j["webhook_delivery"] or {}).get("attempts"))
    receiver.wait_calls(1)
    headers, _ = receiver.calls[0]
    assert "X-Webhook-Signature" not in headers


def test_receiver_failing_twice_gets_it_on_the_third_attempt(
    local_api: Api, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a receiver that answers 500 twice, then 200
    receiver.statuses[:] = [500, 500]
    source = local_api.upload(cuts_clip.path)["url"]
    webhook = {"url": receiver.url, "secret": "k"}
    job_id = local_api.create_job([source], webhook=webhook).json()["id"]
    # WHEN the job ends
    job = local_api.wait(
        job_id, until=lambda j: (j["webhook_delivery"] or {}).get("status") == "delivered"
    )
    # THEN it was delivered on the third attempt, the same signed body each time
    delivery = job["webhook_delivery"]
    assert delivery["attempts"] == 3
    assert delivery["last_status_code"] == 200
    assert delivery["last_error"] is None
    assert len(receiver.calls) == 3
    assert len({body for _, body in receiver.calls}) == 1
    assert len({h["X-Webhook-Signature"] for h, _ in receiver.calls}) == 1


def test_receiver_refusing_with_4xx_is_not_retried_and_recorded_failed(
    local_api: Api, receiver: Receiver, cuts_clip: Generated
) -> None:
    receiver.statuses[:] = [404]
    source = local_api.upload(cuts_clip.path)["url"]
    job_id = local_api.create_job([source], webhook={"url": receiver.url}).json()["id"]
    job = local_api.wait(
        job_id, until=lambda j: (j["webhook_delivery"] or {}).get("status") == "failed"
    )
    assert job["state"] == "finished"
    assert job["webhook_delivery"]["attempts"] == 1
    assert "404" in job["webhook_delivery"]["last_error"]
    assert len(receiver.calls) == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1:9/hook", "loopback"),
        ("http://hooks.example.com/x", "https://"),
    ],
)
def test_webhook_to_a_refused_address_is_400_at_creation(
    api: Api, cuts_clip: Generated, url: str, reason: str
) -> None:
    # GIVEN the default server (private network refused)
    source = api.upload(cuts_clip.path)["url"]
    # WHEN a job names a webhook on loopback or over plain http
    resp = api.create_job([source], webhook={"url": url})
    # THEN it is refused before any job exists, naming the reason
    assert reason in assert_error(resp, 400, "source_refused")["message"]
    assert api.get("/v1/jobs").json()["data"] == []


def test_cancelled_job_webhook_carries_the_cancelled_state(
    make_env: Callable[..., Env], receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a job with a webhook, held before its first stage
    env = make_env(allow_private_network=True)
    api = env.api()
    source = api.upload(cuts_clip.path)["url"]
    released = threading.Event()
    env.services.runner.stage_hook = lambda stage: released.wait(10)  # type: ignore[union-attr]
    job_id = api.create_job([source], webhook={"url": receiver.url, "secret": "k"}).json()["id"]
    # WHEN the client cancels it
    assert api.delete(f"/v1/jobs/{job_id}").status_code == 200
    released.set()
    # THEN the receiver is told it was cancelled
    job = api.wait(job_id, until=lambda j: (j["webhook_delivery"] or {}).get("attempts"))
    (sent,) = receiver.bodies()
    assert sent["state"] == "cancelled"
    assert job["webhook_delivery"]["status"] == "delivered"


def test_cancelling_a_job_no_worker_will_reach_still_fires_its_webhook_once(
    make_env: Callable[..., Env], receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a queued job that no worker will pick up (the runner is stopped, as in a restart)
    env = make_env(allow_private_network=True)
    api = env.api()
    source = api.upload(cuts_clip.path)["url"]
    env.services.runner.stop()  # type: ignore[union-attr]
    job_id = api.create_job([source], webhook={"url": receiver.url, "secret": "k"}).json()["id"]
    # WHEN the client cancels it
    assert api.delete(f"/v1/jobs/{job_id}").status_code == 200
    # THEN the webhook is delivered anyway, exactly once, with the cancelled state
    job = api.wait(job_id, until=lambda j: (j["webhook_delivery"] or {}).get("attempts"))
    (sent,) = receiver.bodies()
    assert sent["state"] == "cancelled"
    assert job["webhook_delivery"]["status"] == "delivered"
