"""Per-key rate limits: fixed one-minute windows counted in the ``CounterStore``.

Owns: the window arithmetic, the counter names and the GET/POST split of seed 000 (60 GET and
10 POST per minute per key by default; plans change the numbers). Does not own: the counters'
atomicity (the store's ``incr`` with a limit is exact under concurrency, so bursts never
over-grant) or turning a refusal into a 429 (the API's exception handlers).

When the counter store cannot be written (a full disk, a read-only database) reads fail open:
a GET or HEAD is let through uncounted, with a logged warning, so status, results and media
stay readable; other methods raise the ``StoreError`` (503 with ``Retry-After``).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from framelens.errors import RateLimitedError, StoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.auth.principal import Principal
    from framelens.stores.ports import CounterStore

__all__ = ["WINDOW_S", "RateDecision", "RateLimiter", "rate_bucket"]

WINDOW_S = 60
_WINDOW_TTL_S = 2 * WINDOW_S  # outlives its window so a late request still reads it
_GET_LIKE = frozenset({"GET", "HEAD"})
_WARN_EVERY_S = 60.0  # a full disk must not also flood the log
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateDecision:
    """An allowed request's standing in its window (for ``X-RateLimit-*`` headers)."""

    limit: int
    remaining: int
    reset_s: int


def rate_bucket(method: str) -> str:
    """``"GET"`` for read methods (GET, HEAD), ``"POST"`` for every other method.

    Examples:
        >>> rate_bucket("head"), rate_bucket("DELETE")
        ('GET', 'POST')
    """
    return "GET" if method.upper() in _GET_LIKE else "POST"


class RateLimiter:
    """Counts a key's requests per method bucket in fixed one-minute windows.

    Examples:
        >>> limiter = RateLimiter(stores.counters)  # doctest: +SKIP
        >>> limiter.check(principal, "POST").remaining  # doctest: +SKIP
        9
    """

    def __init__(self, counters: CounterStore, now: Callable[[], float] = time.time) -> None:
        """Args:
        counters: The atomic counter store.
        now: Clock in epoch seconds (injected in tests).
        """
        self._counters = counters
        self._now = now
        self._warned_at = -_WARN_EVERY_S

    def check(self, principal: Principal, method: str) -> RateDecision:
        """Count one request of ``principal`` and refuse it when its window is full.

        Args:
            principal: The authenticated caller; its plan sets the limits.
            method: The HTTP method; GET and HEAD share the GET limit, others the POST limit.

        Returns:
            The limit, the requests left in this window and the seconds until it resets.

        Raises:
            RateLimitedError: The window is full; ``retry_after`` is the seconds to its end.
            StoreError: The counters cannot be written and the request is not a read.
        """
        bucket = rate_bucket(method)
        plan = principal.plan
        limit = plan.get_per_minute if bucket == "GET" else plan.post_per_minute
        now = self._now()
        window = int(now // WINDOW_S)
        reset_s = max(1, math.ceil((window + 1) * WINDOW_S - now))
        name = f"rate#{principal.key_id}#{bucket}#{window}"
        try:
            count = self._counters.incr(name, 1, limit=limit, ttl_s=_WINDOW_TTL_S)
        except StoreError as exc:
            if bucket != "GET":
                raise
            self._warn_open(exc)
            return RateDecision(limit=limit, remaining=limit, reset_s=reset_s)
        if count is None:
            raise RateLimitedError(
                f"rate limit exceeded: this key may send {limit} {bucket} requests per minute; "
                f"retry in {reset_s} s",
                retry_after=reset_s,
                details={"limit": limit, "bucket": bucket},
            )
        return RateDecision(limit=limit, remaining=max(0, limit - int(count)), reset_s=reset_s)

    def _warn_open(self, exc: StoreError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            log.warning("rate limits not counted for reads: the counters failed (%s)", exc.message)
