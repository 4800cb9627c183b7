"""Rate limits, quotas and idempotency through HTTP, including concurrent bursts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from framelens.auth import RateLimiter
from framelens.schemas.auth import Plan
from tests.e2e.test_api_routes import assert_error

if TYPE_CHECKING:
    from tests.e2e.conftest import Api, Env
    from tests.media import Generated


@pytest.fixture
def frozen_limiter(env: Env) -> None:
    """Pin the rate limiter's clock mid-window so a burst never straddles two windows."""
    env.services.limiter = RateLimiter(env.services.stores.counters, now=lambda: 1_800_000_030.0)


@pytest.mark.usefixtures("frozen_limiter")
def test_eleventh_post_in_a_minute_is_429_with_retry_after(env: Env) -> None:
    # GIVEN a key on the default plan (10 POST per minute)
    api = env.api(env.key(plan=None))
    for i in range(10):
        resp = api.post("/v1/uploads", json={"content_type": "video/mp4"})
        assert resp.status_code == 201, f"request {i + 1}: {resp.text}"
    assert resp.headers["X-RateLimit-Remaining"] == "0"
    # WHEN it sends an 11th
    resp = api.post("/v1/uploads", json={"content_type": "video/mp4"})
    # THEN 429 with Retry-After (seconds to the window's end) in the error shape
    error = assert_error(resp, 429, "rate_limited")
    assert resp.headers["Retry-After"] == "30"
    assert error["details"]["limit"] == 10
    # AND GETs have their own budget
    assert api.get("/v1/jobs").status_code == 200


@pytest.mark.usefixtures("frozen_limiter")
def test_concurrent_get_burst_grants_exactly_the_limit(env: Env) -> None:
    # GIVEN a fresh key allowed 20 GET per minute
    api = env.api(env.key("burst", Plan(name="small", get_per_minute=20)))
    # WHEN 30 threads send a GET at once
    start = threading.Barrier(30)

    def one(_: int) -> int:
        start.wait()
        return api.get("/v1/jobs").status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        codes = list(pool.map(one, range(30)))
    # THEN exactly 20 are granted and the rest refused
    assert codes.count(200) == 20
    assert codes.count(429) == 10


def test_default_plan_grants_sixty_gets_then_refuses(env: Env, frozen_limiter: None) -> None:
    api = env.api(env.key(plan=None))
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: api.get("/v1/jobs").status_code, range(61)))
    assert codes.count(200) == 60
    assert codes.count(429) == 1


def test_concurrent_jobs_quota_is_429_naming_it_and_frees_when_the_job_ends(
    env: Env, cuts_clip: Generated, gate: threading.Event
) -> None:
    # GIVEN a tenant allowed one job at a time, with one job held in the pipeline
    api = env.api(env.key("solo", Plan(name="solo", post_per_minute=100, concurrent_jobs=1)))
    source = api.upload(cuts_clip.path)["url"]
    first = api.create_job([source])
    assert first.status_code == 202
    # WHEN it asks for a second
    resp = api.create_job([source])
    # THEN 429 naming the quota
    error = assert_error(resp, 429, "quota_exceeded")
    assert error["details"]["quota"] == "concurrent_jobs"
    assert "concurrent_jobs" in error["message"]
    # AND once the first job ends, the slot is free again
    gate.set()
    assert api.wait(first.json()["id"])["state"] == "finished"
    assert api.create_job([source]).status_code == 202


# ---- idempotency -----------------------------------------------------------------------------


@pytest.fixture
def source(api: Api, cuts_clip: Generated) -> str:
    return str(api.upload(cuts_clip.path)["url"])


def test_same_idempotency_key_and_body_returns_the_same_job(api: Api, source: str) -> None:
    headers = {"Idempotency-Key": "order-1"}
    first = api.create_job([source], headers=headers)
    second = api.create_job([source], headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(api.get("/v1/jobs").json()["data"]) == 1


def test_same_idempotency_key_with_another_body_is_422(api: Api, source: str) -> None:
    headers = {"Idempotency-Key": "order-2"}
    assert api.create_job([source], headers=headers).status_code == 202
    resp = api.create_job([source], headers=headers, tag="different")
    assert_error(resp, 422, "idempotency_key_reused")
    assert len(api.get("/v1/jobs").json()["data"]) == 1


def test_concurrent_identical_requests_make_one_job(api: Api, source: str) -> None:
    # GIVEN 8 clients sending the same request with the same Idempotency-Key at once
    start = threading.Barrier(8)

    def one(_: int) -> tuple[int, str]:
        start.wait()
        resp = api.create_job([source], headers={"Idempotency-Key": "burst-1"})
        return resp.status_code, resp.json().get("id", resp.text)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(8)))
    # THEN all get the same job, and only one exists
    assert {code for code, _ in results} == {202}
    assert len({job_id for _, job_id in results}) == 1
    listed = api.get("/v1/jobs").json()["data"]
    assert [j["id"] for j in listed] == [results[0][1]]
