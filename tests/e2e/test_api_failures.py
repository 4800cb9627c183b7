"""Failure paths of the pipeline, driven by faults injected per stage (``runner.stage_hook``)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from framelens.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.conftest import Api, Env, Receiver
    from tests.media import Generated


def test_a_transient_store_error_is_retried_and_the_job_finishes(
    env: Env, api: Api, cuts_clip: Generated
) -> None:
    # GIVEN the aggregate stage fails once with a transient StoreError
    calls: list[str] = []

    def hook(stage: str) -> None:
        calls.append(stage)
        if stage == "aggregate" and calls.count("aggregate") == 1:
            raise StoreError("the database blinked")

    source = api.upload(cuts_clip.path)["url"]
    env.services.runner.stage_hook = hook  # type: ignore[union-attr]
    # WHEN a job runs
    job = api.wait(api.create_job([source]).json()["id"])
    # THEN the stage ran again and the job finished
    assert job["state"] == "finished", job
    assert calls.count("aggregate") == 2
    assert job["error"] is None


@pytest.mark.expected_errors  # an unexpected exception in a stage is logged as an ERROR
def test_a_stage_that_keeps_failing_fails_the_job_and_fires_the_webhook(
    make_env: Callable[..., Env], receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN the plan stage always raises an unexpected error
    env = make_env(allow_private_network=True)
    api = env.api()
    calls: list[str] = []

    def hook(stage: str) -> None:
        calls.append(stage)
        if stage == "plan":
            raise RuntimeError("disk on fire")

    source = api.upload(cuts_clip.path)["url"]
    env.services.runner.stage_hook = hook  # type: ignore[union-attr]
    # WHEN a job with a webhook runs
    job_id = api.create_job([source], webhook={"url": receiver.url}).json()["id"]
    job = api.wait(job_id, until=lambda j: (j["webhook_delivery"] or {}).get("attempts"))
    # THEN it failed with a clear, client-safe error, without retrying a non-transient error
    assert job["state"] == "failed"
    assert job["error"]["code"] == "internal_error"
    assert "RuntimeError" in job["error"]["message"]
    assert "disk on fire" not in job["error"]["message"]
    assert calls.count("plan") == 1
    assert "aggregate" not in calls
    # AND the webhook carried the failed job
    (sent,) = receiver.bodies()
    assert sent["state"] == "failed"
    assert sent["error"]["code"] == "internal_error"
    assert job["webhook_delivery"]["status"] == "delivered"


def test_max_processing_time_stops_a_slow_job_with_deadline_exceeded(
    env: Env, api: Api, cuts_clip: Generated
) -> None:
    # GIVEN a stage that takes 3 s and a job allowed 1 s
    done = threading.Event()

    def hook(stage: str) -> None:
        if stage == "plan":
            done.wait(3)

    source = api.upload(cuts_clip.path)["url"]
    env.services.runner.stage_hook = hook  # type: ignore[union-attr]
    try:
        resp = api.create_job([source], headers={"Max-Processing-Time": "1"})
        assert resp.status_code == 202
        # WHEN it runs past its deadline
        job = api.wait(resp.json()["id"], timeout_s=6)
    finally:
        done.set()
    # THEN it is stopped and failed, saying why
    assert job["state"] == "failed"
    assert job["error"]["code"] == "deadline_exceeded"
    assert "Max-Processing-Time" in job["error"]["message"]
    # AND it was stopped while the slow stage was still running (by the deadline sweeper)
    took = datetime.fromisoformat(job["time_completed"]) - datetime.fromisoformat(
        job["time_created"]
    )
    assert timedelta(seconds=1) <= took < timedelta(seconds=3)
