"""The delivery worker: sends due webhook deliveries on its own threads, never the job workers'.

Owns: polling the delivery records for due ones (woken early when one is queued or a send ends),
how many are sent at once — at most ``concurrency`` in all and ``per_host`` to one receiver
host, so a receiver that never answers holds at most ``per_host`` threads for ``timeout_s``
each and never delays jobs or other receivers — and keeping a job's events to one subscription
in order (one at a time per subscription and job, oldest first; a retry can still let a later
event overtake an earlier one). A due record that must wait (its host is at its bound, or an
earlier event of its job is being sent) is deferred a little (``defer_s``) when the due records
fill the poll's window, so a flood of deliveries to one slow receiver never hides the others
behind it in the queue. ``run_now`` is
one poll sent to its end, for the scheduled function in AWS.
Does not own what one send does (``jobs.deliveries``).

Examples:
    >>> worker = DeliveryWorker(deliveries, concurrency=8, per_host=2)  # doctest: +SKIP
    >>> worker.start()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from framelens.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.jobs.deliveries import DeliveryService
    from framelens.schemas.deliveries import Delivery

__all__ = ["DeliveryWorker"]

log = logging.getLogger(__name__)
EXPIRE_EVERY_S = 3600.0


def _order_key(record: Delivery) -> tuple[str, str]:
    return (record.subscription_id or record.url, record.job_id)


class DeliveryWorker:
    """Polls ``DeliveryService`` for due records and sends them on a bounded pool.

    Args:
        deliveries: Records, claims and sends.
        concurrency: Sends in flight at once, in all.
        per_host: Sends in flight at once to one receiver host.
        poll_s: Longest wait between polls (records due later, leases that ran out).
        defer_s: How far a due record waiting for its host's bound is moved back.
        expire: Called once an hour to drop old final records (the embedded store; DynamoDB
            expires them by TTL).
    """

    def __init__(
        self,
        deliveries: DeliveryService,
        *,
        concurrency: int = 8,
        per_host: int = 2,
        poll_s: float = 1.0,
        defer_s: float = 2.0,
        expire: Callable[[], int] | None = None,
    ) -> None:
        self._deliveries = deliveries
        self._concurrency = max(1, concurrency)
        self._per_host = max(1, per_host)
        self._poll_s = poll_s
        self._defer_s = defer_s
        self._last_warning = -60.0
        self._expire = expire
        self._last_expiry = -EXPIRE_EVERY_S
        self._lock = threading.Lock()
        self._in_flight: dict[str, Delivery] = {}  # delivery id -> record being sent
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start polling (records left due by a previous process are sent first)."""
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._pool = ThreadPoolExecutor(
                max_workers=self._concurrency, thread_name_prefix="framelens-webhook"
            )
            self._thread = threading.Thread(
                target=self._loop, name="framelens-deliveries", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """Poll now (a record was queued)."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop polling; sends in flight finish (their records are leased, so a process that
        exits first leaves them to the next start)."""
        with self._lock:
            thread, pool = self._thread, self._pool
            self._thread = self._pool = None
        self._stop.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout=timeout_s)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    # ---- polling --------------------------------------------------------------------------

    def run_once(self) -> int:
        """One poll: claim what is due and may be sent now, start sending it; how many."""
        pool = self._pool
        if pool is None:
            raise RuntimeError("start the worker first (or use run_now)")
        started = 0
        for record in self._eligible():
            claimed = self._deliveries.claim(record)
            if claimed is None:
                continue
            with self._lock:
                self._in_flight[claimed.delivery_id] = claimed
            pool.submit(self._send, claimed)
            started += 1
        return started

    def run_now(self) -> int:
        """Send what is due in this thread, up to ``concurrency`` records at once, and wait for
        them (a scheduled function's whole run); how many were sent."""
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="framelens-webhook") as pool:
            self._pool = pool
            try:
                return self.run_once()
            finally:
                self._pool = None

    def _eligible(self) -> list[Delivery]:
        with self._lock:
            free = self._concurrency - len(self._in_flight)
            hosts = Counter(r.host for r in self._in_flight.values())
            busy = {_order_key(r) for r in self._in_flight.values()}
            sending = set(self._in_flight)
        if free <= 0:
            return []
        chosen: list[Delivery] = []
        window = 4 * self._concurrency
        due = self._deliveries.due(limit=window)
        # Only a full window may hide records behind it: then the ones that must wait step back.
        crowded = len(due) >= window
        for record in due:
            key = _order_key(record)
            if record.delivery_id in sending:
                continue  # our own send, whose lease ran out: it is still being sent
            if key in busy or hosts[record.host] >= self._per_host:
                # It waits for an earlier event of the same job, or for its host's bound: out
                # of the way, so the queue behind it is seen.
                busy.add(key)
                if crowded:
                    self._deliveries.defer(record, self._defer_s)
                continue
            chosen.append(record)
            busy.add(key)
            hosts[record.host] += 1
            if len(chosen) >= free:
                break
        return chosen

    def _send(self, claimed: Delivery) -> None:
        try:
            self._deliveries.send(claimed)
        except StoreError as exc:  # its outcome could not be recorded: due again after the lease
            self._warn(f"webhook delivery {claimed.delivery_id} not recorded: {exc.message}")
        except Exception:  # one record must not stop the worker; it is due again after its lease
            log.exception("webhook delivery %s failed", claimed.delivery_id)
        finally:
            with self._lock:
                self._in_flight.pop(claimed.delivery_id, None)
            self._wake.set()  # a slot is free, and a retry may be due soon

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before polling: a record queued meanwhile wakes the next wait
            try:
                self.run_once()
            except StoreError as exc:  # a full disk, say: the records wait, nothing is lost
                self._warn(f"webhook deliveries wait: {exc.message}")
            except Exception:
                log.exception("polling webhook deliveries failed")
            self._expire_old()
            self._wake.wait(self._next_wait())

    def _expire_old(self) -> None:
        if self._expire is None or time.monotonic() - self._last_expiry < EXPIRE_EVERY_S:
            return
        self._last_expiry = time.monotonic()
        try:
            removed = self._expire()
        except StoreError as exc:
            self._warn(f"old webhook deliveries were not removed: {exc.message}")
            return
        if removed:
            log.info("removed %d webhook deliveries past their retention", removed)

    def _warn(self, message: str) -> None:
        """Log a storage outage once a minute, not on every poll."""
        now = time.monotonic()
        if now - self._last_warning >= 60.0:
            self._last_warning = now
            log.warning(message)

    def _next_wait(self) -> float:
        """Until the earliest pending retry, at most ``poll_s``."""
        soonest = self._deliveries.due_in(self._poll_s)
        return max(0.005, min(self._poll_s, soonest))
