"""Per-tenant quotas: concurrent jobs and processed media seconds per calendar month (UTC).

Owns: the quota counter names and the checks that raise ``QuotaExceededError`` naming the
quota. Does not own: when a job takes or returns its slot (``jobs``), or the counters'
atomicity (``CounterStore.incr`` with a limit never over-grants under concurrency).

With ``owe_releases`` (the local server) a slot that cannot be returned because the counters
cannot be written (a full disk) is owed: remembered in this process and returned by ``settle``
(the local runner's sweep calls it), so a storage outage does not shrink a tenant's concurrency
for good. In AWS the error is raised, so the stage's retry returns the slot.
"""

from __future__ import annotations

import calendar
import logging
import math
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from framelens.errors import QuotaExceededError, StoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.auth.principal import Principal
    from framelens.stores.ports import CounterStore

__all__ = ["CONCURRENT_JOBS_RETRY_AFTER_S", "Quotas"]

CONCURRENT_JOBS_RETRY_AFTER_S = 15

log = logging.getLogger(__name__)


class Quotas:
    """Concurrent-job slots and monthly media-seconds usage of each tenant.

    Examples:
        >>> quotas = Quotas(stores.counters)  # doctest: +SKIP
        >>> quotas.acquire_job_slot(principal)  # doctest: +SKIP
        >>> quotas.release_job_slot(principal.tenant_id)  # doctest: +SKIP
    """

    def __init__(
        self,
        counters: CounterStore,
        now: Callable[[], float] = time.time,
        *,
        owe_releases: bool = False,
    ) -> None:
        """Args:
        counters: The atomic counter store.
        now: Clock in epoch seconds (injected in tests).
        owe_releases: Keep slots the counters refuse to take back, for ``settle``.
        """
        self._counters = counters
        self._now = now
        self.owe_releases = owe_releases
        self._owed: Counter[str] = Counter()  # tenant -> slots not yet returned
        self._owed_lock = threading.Lock()

    # -- concurrent jobs -------------------------------------------------------------------

    def acquire_job_slot(self, principal: Principal) -> None:
        """Take one of the tenant's concurrent-job slots (release it when the job ends).

        Raises:
            QuotaExceededError: All slots are taken (``quota="concurrent_jobs"``).
        """
        limit = principal.plan.concurrent_jobs
        taken = self._counters.incr(_jobs_name(principal.tenant_id), 1, limit=limit)
        if taken is None:
            raise QuotaExceededError(
                f"quota exceeded: concurrent_jobs; plan {principal.plan.name!r} allows {limit} "
                "queued or running jobs at once; wait for one to finish or cancel one",
                quota="concurrent_jobs",
                # When a slot frees is unknown; a short wait is the honest hint (issue 16).
                retry_after=CONCURRENT_JOBS_RETRY_AFTER_S,
                details={"limit": limit},
            )

    def release_job_slot(self, tenant_id: str) -> None:
        """Return a slot taken by ``acquire_job_slot``; never drives the count below zero.

        With ``owe_releases`` a slot the counters cannot take back now is owed (``settle``)
        rather than raised.
        """
        try:
            self._release(tenant_id)
        except StoreError as exc:
            if not self.owe_releases:
                raise
            with self._owed_lock:
                self._owed[tenant_id] += 1
            log.warning("job slot of %s owed: the counters failed (%s)", tenant_id, exc.message)

    def settle(self) -> int:
        """Return the slots owed since the counters failed; returns how many went back."""
        with self._owed_lock:
            owed, self._owed = self._owed, Counter()
        returned = 0
        for tenant_id, count in owed.items():
            for _ in range(count):
                try:
                    self._release(tenant_id)
                    returned += 1
                except StoreError:
                    with self._owed_lock:
                        self._owed[tenant_id] += 1
        return returned

    def _release(self, tenant_id: str) -> None:
        name = _jobs_name(tenant_id)
        left = self._counters.incr(name, -1)
        if left is not None and left < 0:
            # A double release (e.g. a retried finalize) must not mint an extra slot.
            self._counters.incr(name, -left)

    # -- media seconds ---------------------------------------------------------------------

    def check_media_seconds(self, principal: Principal, seconds: float) -> None:
        """Refuse work that would take the tenant past its monthly media seconds.

        A read, not a reservation: concurrent jobs may together overshoot by their sizes, which
        is why usage is added with ``add_media_seconds`` once the work is done.

        Raises:
            QuotaExceededError: ``used + seconds`` exceeds the plan
                (``quota="media_seconds_per_month"``, ``retry_after`` = seconds to next month).
        """
        limit = principal.plan.media_seconds_per_month
        now = self._now()
        used = self._counters.get(_usage_name(principal.tenant_id, now))
        if used + seconds > limit:
            raise QuotaExceededError(
                f"quota exceeded: media_seconds_per_month; plan {principal.plan.name!r} allows "
                f"{limit:g} s per month, {used:g} s used, this request needs {seconds:g} s",
                quota="media_seconds_per_month",
                retry_after=_seconds_to_next_month(now),
                details={"limit": limit, "used": used, "requested": seconds},
            )

    def add_media_seconds(self, tenant_id: str, seconds: float) -> float:
        """Record processed media seconds for this month; returns the month's new total.

        Never refuses: the work has been done, so it is counted.
        """
        total = self._counters.incr(_usage_name(tenant_id, self._now()), seconds)
        return float(total or 0.0)

    def usage(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's current month, media seconds used and jobs holding a slot."""
        now = self._now()
        return {
            "tenant_id": tenant_id,
            "month": _month(now),
            "media_seconds": self._counters.get(_usage_name(tenant_id, now)),
            "jobs_active": int(self._counters.get(_jobs_name(tenant_id))),
        }


def _jobs_name(tenant_id: str) -> str:
    return f"jobs_active#{tenant_id}"


def _month(now: float) -> str:
    return time.strftime("%Y-%m", time.gmtime(now))


def _usage_name(tenant_id: str, now: float) -> str:
    return f"usage#{tenant_id}#{_month(now)}"


def _seconds_to_next_month(now: float) -> int:
    t = time.gmtime(now)
    year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
    start = calendar.timegm((year, month, 1, 0, 0, 0, 0, 0, 0))
    return max(1, math.ceil(start - now))
