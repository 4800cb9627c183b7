"""``/v1/webhooks/deliveries``: listing a tenant's deliveries and redelivering one; secrets sealed
at rest and never returned; the local data folder and database readable by their owner only."""

from __future__ import annotations

import sqlite3
import stat
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.deepva_client import Client
from tests.e2e.test_api_routes import assert_error

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.conftest import Api, Env, Receiver
    from tests.media import Generated


@pytest.fixture
def local(make_env: Callable[..., Env]) -> Env:
    """Receivers on 127.0.0.1 allowed; a failing delivery is given up after 2 attempts."""
    return make_env(allow_private_network=True, webhook_max_attempts=2)


def _delivered(api: Api, job_id: str, status: str = "delivered") -> dict[str, Any]:
    return api.wait(job_id, until=lambda j: (j["webhook_delivery"] or {}).get("status") == status)


def test_a_failed_delivery_is_listed_and_redelivered_on_request(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a receiver that fails twice (so the delivery is given up), then would accept
    receiver.statuses[:] = [503, 503]
    api = local.api()
    source = api.upload(cuts_clip.path)["url"]
    job_id = api.create_job([source], webhook={"url": receiver.url, "secret": "s3cret"}).json()[
        "id"
    ]
    job = _delivered(api, job_id, "failed")
    assert job["webhook_delivery"]["attempts"] == 2
    # WHEN the client lists its failed deliveries
    listed = api.get("/v1/webhooks/deliveries", params={"state": "failed"}).json()
    (failed,) = listed["data"]
    assert listed["next_cursor"] is None
    assert failed["job_id"] == job_id and failed["event"] == "job.finished"
    assert failed["state"] == "failed" and failed["attempts"] == 2
    assert failed["last_status_code"] == 503 and failed["host"] == "127.0.0.1"
    assert "secret" not in failed and "url" not in failed and "body" not in failed
    assert api.get("/v1/webhooks/deliveries", params={"state": "pending"}).json()["data"] == []
    # AND redelivers it
    resp = api.post(f"/v1/webhooks/deliveries/{failed['id']}/redeliver")
    assert resp.status_code == 202, resp.text
    assert resp.json()["state"] == "pending" and resp.json()["attempts"] == 0
    # THEN the same signed body arrives again and the job's record says delivered
    job = _delivered(api, job_id)
    assert job["webhook_delivery"]["attempts"] == 1
    assert len(receiver.calls) == 3 and len({body for _, body in receiver.calls}) == 1
    got = api.get(f"/v1/webhooks/deliveries/{failed['id']}").json()
    assert got["state"] == "delivered" and got["time_delivered"] is not None


def test_deliveries_page_newest_first_and_include_subscription_events(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a seed 003 subscription to job.created and one job with its own webhook
    client = Client(local)
    hook = client.call(
        "POST", "/api/v1/webhooks/", json={"url": receiver.url, "events": ["job.created"]}
    ).json()
    url = client.upload(cuts_clip.path)["url"]
    api = local.api(client.key)
    job_id = api.create_job([url], webhook={"url": receiver.url}).json()["id"]
    _delivered(api, job_id)
    receiver.wait_calls(2)
    # WHEN the deliveries are paged one at a time
    first = api.get("/v1/webhooks/deliveries", params={"limit": 1}).json()
    second = api.get(
        "/v1/webhooks/deliveries", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    # THEN the job's webhook (newer) comes before the subscription's event, one path for both
    assert [d["event"] for d in first["data"] + second["data"]] == ["job.finished", "job.created"]
    assert second["data"][0]["subscription_id"] == hook["id"]
    assert first["data"][0]["subscription_id"] is None
    assert second["next_cursor"] is None


def test_delivery_route_errors_say_what_to_fix(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    api = local.api()
    source = api.upload(cuts_clip.path)["url"]
    job_id = api.create_job([source], webhook={"url": receiver.url}).json()["id"]
    _delivered(api, job_id)
    (delivery,) = api.get("/v1/webhooks/deliveries").json()["data"]
    # another tenant sees none of it
    stranger = local.api(local.key("other"))
    assert stranger.get("/v1/webhooks/deliveries").json()["data"] == []
    assert_error(stranger.get(f"/v1/webhooks/deliveries/{delivery['id']}"), 404, "not_found")
    assert_error(
        stranger.post(f"/v1/webhooks/deliveries/{delivery['id']}/redeliver"), 404, "not_found"
    )
    # a state that does not exist, a cursor this API did not hand out, a limit out of range
    error = assert_error(
        api.get("/v1/webhooks/deliveries", params={"state": "lost"}), 422, "validation_error"
    )
    assert "state" in error["message"]
    assert (
        "cursor"
        in assert_error(
            api.get("/v1/webhooks/deliveries", params={"cursor": "bogus"}), 400, "bad_request"
        )["message"]
    )
    assert_error(api.get("/v1/webhooks/deliveries", params={"limit": 0}), 422, "validation_error")
    # no key
    assert local.client.get("/v1/webhooks/deliveries").status_code == 401


def test_redelivering_a_delivery_still_queued_is_409(
    make_env: Callable[..., Env], cuts_clip: Generated
) -> None:
    # GIVEN a delivery that waits for its next attempt (the receiver refuses connections)
    env = make_env(allow_private_network=True, webhook_backoff_s=30.0)
    api = env.api()
    source = api.upload(cuts_clip.path)["url"]
    job_id = api.create_job([source], webhook={"url": "http://127.0.0.1:9/hook"}).json()["id"]
    api.wait(job_id, until=lambda j: (j["webhook_delivery"] or {}).get("attempts") == 1)
    (delivery,) = api.get("/v1/webhooks/deliveries").json()["data"]
    assert delivery["state"] == "pending" and delivery["next_attempt_at"] is not None
    # WHEN the client asks to redeliver it THEN 409 says it is still queued
    error = assert_error(
        api.post(f"/v1/webhooks/deliveries/{delivery['id']}/redeliver"), 409, "conflict"
    )
    assert "pending" in error["message"]


def test_webhook_secrets_are_sealed_at_rest_and_never_returned(
    local: Env, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a job webhook and a subscription, each with a secret
    secret, sub_secret = "job-secret-4711", "sub-secret-0815"
    client = Client(local)
    client.call(
        "POST",
        "/api/v1/webhooks/",
        json={"url": receiver.url, "events": ["job.completed"], "secret": sub_secret},
    )
    api = local.api(client.key)
    url = api.upload(cuts_clip.path)["url"]
    job_id = api.create_job([url], webhook={"url": receiver.url, "secret": secret}).json()["id"]
    job = _delivered(api, job_id)
    receiver.wait_calls(2)
    # THEN neither secret appears in any stored byte, or in any answer
    data_dir = local.services.settings.data_dir
    time.sleep(0.2)
    with sqlite3.connect(data_dir / "framelens.db") as db:
        dump = "\n".join(db.iterdump())
    assert secret not in dump and sub_secret not in dump
    assert "fernet:" in dump
    answers = [
        api.get(f"/v1/jobs/{job_id}").text,
        api.get("/v1/jobs").text,
        api.get("/v1/webhooks/deliveries").text,
        client.call("GET", "/api/v1/webhooks/").text,
        client.call("GET", f"/api/v1/jobs/{job_id}/").text,
    ]
    assert not any(secret in a or sub_secret in a or "fernet:" in a for a in answers)
    # AND the receivers could still verify both signatures (the server opened the secrets)
    assert job["webhook_delivery"]["status"] == "delivered"


def test_the_data_folder_is_0700_and_the_database_0600(local: Env) -> None:
    data_dir = local.services.settings.data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("framelens.db", "framelens.db-wal", "webhooks.key"):
        path = data_dir / name
        if name == "webhooks.key":
            local.services.deliveries.box.seal("x")  # the key file is made on first use
        assert path.exists(), name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
