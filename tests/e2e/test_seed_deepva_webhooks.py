"""Seed 003 (DeepVA) webhook subscriptions: job events of a tenant, signed, retried, recorded,
and never holding up the job."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from framelens.errors import ValidationError
from framelens.runtime import build_services
from tests.e2e.deepva_client import Client, assert_deepva_error

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.conftest import Env, Receiver
    from tests.media import Generated

ALL = ["job.created", "job.started", "job.completed", "job.failed", "job.cancelled"]


@pytest.fixture
def local(make_env: Callable[..., Env]) -> Env:
    """A server allowed to reach the local receiver (127.0.0.1), as in development."""
    return make_env(allow_private_network=True, webhook_max_attempts=3)


def _subscribe(
    client: Client, url: str, events: list[str], secret: str | None = "s3cret"
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url, "events": events}
    if secret is not None:
        body["secret"] = secret
    resp = client.call("POST", "/api/v1/webhooks/", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _deliveries(
    client: Client, hook_id: str, n: int, timeout_s: float = 10.0
) -> list[dict[str, Any]]:
    """The webhook's deliveries once ``n`` of them are no longer pending (newest first)."""
    deadline = time.monotonic() + timeout_s
    while True:
        data = client.call("GET", f"/api/v1/webhooks/{hook_id}/deliveries/").json()["data"]
        if len([d for d in data if d["status"] != "pending"]) >= n:
            return data
        assert time.monotonic() < deadline, data
        time.sleep(0.05)


def test_subscriptions_are_created_listed_and_deleted(local: Env, receiver: Receiver) -> None:
    env = local
    client = Client(env)
    hook = _subscribe(client, receiver.url, ["job.completed", "job.failed"])
    assert hook["events"] == ["job.completed", "job.failed"] and hook["has_secret"] is True
    assert "secret" not in hook
    assert client.call("GET", "/api/v1/webhooks").json()["data"] == [hook]
    assert client.call("GET", f"/api/v1/webhooks/{hook['id']}/").json() == hook
    # another tenant sees none of it
    stranger = Client(env, env.key("other"))
    assert stranger.call("GET", "/api/v1/webhooks/").json()["data"] == []
    assert_deepva_error(stranger.call("DELETE", f"/api/v1/webhooks/{hook['id']}/"), 404, "NotFound")
    # deleting it removes it and its deliveries
    assert client.call("DELETE", f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    assert client.call("GET", "/api/v1/webhooks/").json()["data"] == []
    assert_deepva_error(
        client.call("GET", f"/api/v1/webhooks/{hook['id']}/deliveries/"), 404, "NotFound"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"url": "https://hooks.example.com/x", "events": ["job.done"]}, "events: job.created"),
        ({"url": "https://hooks.example.com/x", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/hook", "events": ["job.completed"]}, "https"),
        ({"url": "https://10.0.0.5/hook", "events": ["job.completed"]}, "private"),
        ({"events": ["job.completed"]}, "url"),
    ],
)
def test_bad_subscriptions_are_400_saying_why(
    env: Env, body: dict[str, Any], expected: str
) -> None:
    resp = Client(env).call("POST", "/api/v1/webhooks/", json=body)
    assert expected in assert_deepva_error(resp, 400, "BadRequest")["detail"]


def test_a_job_s_events_arrive_in_order_signed_and_named(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a subscription to every event, signed
    client = Client(local)
    hook = _subscribe(client, receiver.url, ALL)
    # WHEN a job runs to its end
    url = client.upload(cuts_clip.path)["url"]
    job = client.wait(client.job([url]).json()["id"])
    receiver.wait_calls(3)
    # THEN created, started and completed arrived in that order, each signed over its bytes
    sent = receiver.bodies()
    assert [b["event"] for b in sent] == ["job.created", "job.started", "job.completed"]
    assert [b["job"]["state"] for b in sent] == ["waiting", "running", "completed"]
    assert all(b["job"]["id"] == job["id"] for b in sent)
    assert sent[-1]["job"]["result"]["summary"] == job["result"]["summary"]
    for headers, body in receiver.calls:
        assert (
            headers["X-Webhook-Signature"] == hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        )
    # AND each delivery is recorded, newest first, with its event and job
    recorded = _deliveries(client, hook["id"], 3)
    assert [(d["event"], d["status"], d["attempts"]) for d in recorded] == [
        ("job.completed", "delivered", 1),
        ("job.started", "delivered", 1),
        ("job.created", "delivered", 1),
    ]
    assert {d["id"] for d in recorded} == {b["delivery_id"] for b in sent}


def test_only_the_events_subscribed_to_are_sent(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    client = Client(local)
    _subscribe(client, receiver.url, ["job.completed"], secret=None)
    job = client.wait(client.job([client.upload(cuts_clip.path)["url"]]).json()["id"])
    receiver.wait_calls(1)
    time.sleep(0.3)  # nothing else is on its way
    (headers, body) = receiver.calls[0]
    assert (
        json.loads(body)["event"] == "job.completed" and json.loads(body)["job"]["id"] == job["id"]
    )
    assert "X-Webhook-Signature" not in headers
    assert len(receiver.calls) == 1


def test_a_failed_job_is_an_event_and_other_tenants_jobs_are_not(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    client = Client(local)
    _subscribe(client, receiver.url, ["job.failed", "job.completed"])
    stranger = Client(local, local.key("other"))

    def hook(stage: str) -> None:
        if stage == "plan":
            raise ValidationError("the plan was refused")

    assert local.services.runner is not None
    local.services.runner.stage_hook = hook
    stranger.wait(stranger.job([stranger.upload(cuts_clip.path)["url"]]).json()["id"])
    job = client.wait(client.job([client.upload(cuts_clip.path)["url"]]).json()["id"])
    assert job["state"] == "failed" and job["error"]["message"] == "the plan was refused"
    receiver.wait_calls(1)
    time.sleep(0.3)
    (sent,) = receiver.bodies()
    assert sent["event"] == "job.failed" and sent["job"]["id"] == job["id"]
    assert sent["job"]["error"]["message"] == "the plan was refused"


def test_a_failing_receiver_is_retried_and_recorded_and_the_job_goes_on(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a receiver that answers 500 to everything
    receiver.statuses = [500] * 50
    client = Client(local)
    hook = _subscribe(client, receiver.url, ["job.created"])
    # WHEN a job is created THEN the job completes regardless
    job = client.wait(client.job([client.upload(cuts_clip.path)["url"]]).json()["id"])
    assert job["state"] == "completed"
    # AND the delivery was tried webhook_max_attempts times and recorded as failed
    (delivery,) = _deliveries(client, hook["id"], 1)
    assert delivery["status"] == "failed" and delivery["attempts"] == 3
    assert delivery["last_status_code"] == 500 and "500" in delivery["last_error"]
    assert len(receiver.calls) == 3


def test_pending_deliveries_are_sent_when_the_server_starts_again(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN events recorded by a server whose delivery worker stopped before sending them
    client = Client(local)
    hook = _subscribe(client, receiver.url, ["job.completed"])
    assert local.services.delivery_worker is not None
    local.services.delivery_worker.stop()
    job = client.wait(client.job([client.upload(cuts_clip.path)["url"]]).json()["id"])
    time.sleep(0.3)
    assert receiver.calls == []
    (queued,) = _deliveries(client, hook["id"], 0)
    assert queued["status"] == "pending"
    # WHEN the server starts again on the same data
    again = build_services(local.services.settings)
    try:
        # THEN it is sent once, with the recorded body, and recorded as delivered
        receiver.wait_calls(1)
        sent = receiver.bodies()[0]
        assert sent["job"]["id"] == job["id"] and sent["delivery_id"] == queued["id"]
        (delivery,) = _deliveries(client, hook["id"], 1)
        assert delivery["status"] == "delivered" and delivery["attempts"] == 1
        assert len(receiver.calls) == 1
    finally:
        again.close()
