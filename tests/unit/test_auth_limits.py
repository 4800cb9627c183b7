"""Unit tests of framelens.auth.limits: one-minute windows, GET/POST split, exact bursts."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from framelens.auth import Principal, RateLimiter, rate_bucket
from framelens.errors import RateLimitedError
from framelens.schemas.auth import Plan
from framelens.stores.embedded import build_embedded_stores

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.stores.ports import CounterStore


WINDOW_START = 1_700_000_040  # a multiple of 60: a window starts here


class FakeClock:
    """Epoch seconds that tests move by hand."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(WINDOW_START + 20.0)  # 20 s into a one-minute window


@pytest.fixture
def counters(tmp_path: Path, clock: FakeClock) -> CounterStore:
    return build_embedded_stores(tmp_path, clock=clock).counters


def _principal(key_id: str = "key_a", get: int = 60, post: int = 10) -> Principal:
    return Principal(
        key_id=key_id,
        tenant_id="acme",
        plan=Plan(get_per_minute=get, post_per_minute=post),
    )


@pytest.mark.parametrize(
    ("method", "bucket"),
    [("GET", "GET"), ("head", "GET"), ("POST", "POST"), ("DELETE", "POST"), ("put", "POST")],
)
def test_methods_map_to_seed_buckets(method: str, bucket: str) -> None:
    assert rate_bucket(method) == bucket


def test_eleventh_post_in_a_minute_is_refused_with_retry_after(
    counters: CounterStore, clock: FakeClock
) -> None:
    # GIVEN the seed default of 10 POST per minute, 20 s into the window
    limiter = RateLimiter(counters, now=clock)
    principal = _principal()
    # WHEN 10 POSTs are sent
    decisions = [limiter.check(principal, "POST") for _ in range(10)]
    # THEN they pass with a falling remaining count, and the 11th is refused until window end
    assert [d.remaining for d in decisions] == list(range(9, -1, -1))
    assert decisions[0].limit == 10
    with pytest.raises(RateLimitedError) as info:
        limiter.check(principal, "POST")
    assert info.value.retry_after == 40
    assert "10 POST requests per minute" in info.value.message


def test_get_and_post_limits_are_counted_apart(counters: CounterStore, clock: FakeClock) -> None:
    # GIVEN a key that used up its POSTs
    limiter = RateLimiter(counters, now=clock)
    principal = _principal(post=2)
    limiter.check(principal, "POST")
    limiter.check(principal, "POST")
    # WHEN it sends a GET THEN it still passes against the GET limit
    assert limiter.check(principal, "GET").remaining == 59


def test_keys_are_limited_separately(counters: CounterStore, clock: FakeClock) -> None:
    limiter = RateLimiter(counters, now=clock)
    limiter.check(_principal("key_a", post=1), "POST")
    with pytest.raises(RateLimitedError):
        limiter.check(_principal("key_a", post=1), "POST")
    assert limiter.check(_principal("key_b", post=1), "POST").remaining == 0


def test_next_window_starts_fresh(counters: CounterStore, clock: FakeClock) -> None:
    # GIVEN a full window
    limiter = RateLimiter(counters, now=clock)
    principal = _principal(post=1)
    limiter.check(principal, "POST")
    with pytest.raises(RateLimitedError):
        limiter.check(principal, "POST")
    # WHEN the clock passes the window's end
    clock.t = WINDOW_START + 60
    # THEN the key may post again, with a full minute until reset
    decision = limiter.check(principal, "POST")
    assert decision.remaining == 0
    assert decision.reset_s == 60


def test_retry_after_is_at_least_one_second(counters: CounterStore, clock: FakeClock) -> None:
    clock.t = WINDOW_START + 59.7  # 0.3 s before the window ends
    limiter = RateLimiter(counters, now=clock)
    limiter.check(_principal(post=1), "POST")
    with pytest.raises(RateLimitedError) as info:
        limiter.check(_principal(post=1), "POST")
    assert info.value.retry_after == 1


def test_concurrent_burst_grants_exactly_the_limit(
    counters: CounterStore, clock: FakeClock
) -> None:
    # GIVEN 40 threads racing POSTs against a limit of 10
    limiter = RateLimiter(counters, now=clock)
    principal = _principal()
    granted: list[int] = []
    refused: list[int] = []
    barrier = threading.Barrier(40)

    def hit() -> None:
        barrier.wait()
        try:
            limiter.check(principal, "POST")
            granted.append(1)
        except RateLimitedError:
            refused.append(1)

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # THEN exactly 10 pass and 30 are refused: no over-grant
    assert (len(granted), len(refused)) == (10, 30)
