"""Unit tests of framelens.auth.quotas: concurrent-job slots and monthly media seconds."""

from __future__ import annotations

import calendar
from typing import TYPE_CHECKING

import pytest

from framelens.auth import Principal, Quotas
from framelens.errors import QuotaExceededError
from framelens.schemas.auth import Plan
from framelens.stores.embedded import build_embedded_stores

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.stores.ports import CounterStore

MAY_31_2024_NOON = float(calendar.timegm((2024, 5, 31, 12, 0, 0, 0, 0, 0)))
JUNE_1_2024 = float(calendar.timegm((2024, 6, 1, 0, 0, 0, 0, 0, 0)))


class FakeClock:
    """Epoch seconds that tests move by hand."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MAY_31_2024_NOON)


@pytest.fixture
def counters(tmp_path: Path, clock: FakeClock) -> CounterStore:
    return build_embedded_stores(tmp_path, clock=clock).counters


def _principal(tenant: str = "acme", jobs: int = 2, seconds: float = 100.0) -> Principal:
    plan = Plan(name="small", concurrent_jobs=jobs, media_seconds_per_month=seconds)
    return Principal(key_id="key_a", tenant_id=tenant, plan=plan)


def test_job_slots_are_limited_and_released(counters: CounterStore, clock: FakeClock) -> None:
    # GIVEN a plan of 2 concurrent jobs with both slots taken
    quotas = Quotas(counters, now=clock)
    principal = _principal()
    quotas.acquire_job_slot(principal)
    quotas.acquire_job_slot(principal)
    # WHEN a third job asks THEN it is refused, naming the quota and the limit
    with pytest.raises(QuotaExceededError) as info:
        quotas.acquire_job_slot(principal)
    assert info.value.quota == "concurrent_jobs"
    assert info.value.details["limit"] == 2
    assert "allows 2" in info.value.message
    # WHEN one job ends THEN a new one fits
    quotas.release_job_slot("acme")
    quotas.acquire_job_slot(principal)
    assert quotas.usage("acme")["jobs_active"] == 2


def test_tenants_have_their_own_slots(counters: CounterStore, clock: FakeClock) -> None:
    quotas = Quotas(counters, now=clock)
    quotas.acquire_job_slot(_principal("acme", jobs=1))
    quotas.acquire_job_slot(_principal("beta", jobs=1))
    assert quotas.usage("beta")["jobs_active"] == 1


def test_double_release_never_mints_extra_slots(counters: CounterStore, clock: FakeClock) -> None:
    # GIVEN one job released twice
    quotas = Quotas(counters, now=clock)
    principal = _principal(jobs=1)
    quotas.acquire_job_slot(principal)
    quotas.release_job_slot("acme")
    quotas.release_job_slot("acme")
    # THEN the count is 0, not -1: still only one slot
    assert quotas.usage("acme")["jobs_active"] == 0
    quotas.acquire_job_slot(principal)
    with pytest.raises(QuotaExceededError):
        quotas.acquire_job_slot(principal)


def test_media_seconds_refused_past_the_monthly_limit(
    counters: CounterStore, clock: FakeClock
) -> None:
    # GIVEN 100 s per month with 70 s used
    quotas = Quotas(counters, now=clock)
    principal = _principal(seconds=100.0)
    assert quotas.add_media_seconds("acme", 70.0) == 70.0
    # WHEN 30 s more are checked THEN it fits; 31 s does not
    quotas.check_media_seconds(principal, 30.0)
    with pytest.raises(QuotaExceededError) as info:
        quotas.check_media_seconds(principal, 31.0)
    # THEN the error names the quota and retries at the start of June (12 h away)
    assert info.value.quota == "media_seconds_per_month"
    assert info.value.retry_after == int(JUNE_1_2024 - MAY_31_2024_NOON)
    assert info.value.details["used"] == 70.0


def test_media_seconds_reset_with_the_month(counters: CounterStore, clock: FakeClock) -> None:
    # GIVEN May used up
    quotas = Quotas(counters, now=clock)
    quotas.add_media_seconds("acme", 100.0)
    assert quotas.usage("acme") == {
        "tenant_id": "acme",
        "month": "2024-05",
        "media_seconds": 100.0,
        "jobs_active": 0,
    }
    # WHEN June starts THEN usage starts from zero
    clock.t = JUNE_1_2024 + 1
    quotas.check_media_seconds(_principal(seconds=100.0), 100.0)
    assert quotas.usage("acme")["month"] == "2024-06"
    assert quotas.usage("acme")["media_seconds"] == 0.0
