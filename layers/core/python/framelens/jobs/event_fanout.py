"""Fanning job events out to the tenant's webhook subscriptions, without holding up the job.

Owns: turning one event of one job into a ``pending`` delivery record per subscription that
wants it (the exact body is stored with it), and sending recorded deliveries on a background
thread with the job webhooks' signing and retries (``jobs.webhooks.deliver``), recording each
outcome. A delivery that was recorded but not sent (the process stopped) stays ``pending`` and is
sent by ``resume`` at the next start. The job only waits for the records to be written; a slow or
failing receiver never delays or fails it. Does not own when events happen (``jobs.service`` and
``jobs.transitions`` call ``emit``), what a payload looks like (``render``, from the composition
root) or the subscription rules (``jobs.subscriptions``).

Deliveries are sent one at a time per process, so a subscription receives a job's events in the
order they happened.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
from typing import TYPE_CHECKING

from framelens.errors import NotFoundError
from framelens.schemas.common import utcnow
from framelens.schemas.subscriptions import EventDelivery, JobEvent

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from framelens.schemas import JobRecord, WebhookDelivery
    from framelens.stores import WebhookStore

__all__ = ["EventFanout"]

log = logging.getLogger(__name__)


def _delivery_id(now: datetime) -> str:
    # Time first: ids sort in creation order (the store lists deliveries by id).
    return f"dl_{now.strftime('%Y%m%dT%H%M%S%f')}_{secrets.token_hex(4)}"


class EventFanout:
    """The job service's event sink: records deliveries, sends them on a worker thread.

    Args:
        store: subscriptions and delivery records (``Stores.webhooks``).
        render: the payload of an event: ``(job, event, delivery_id) -> body bytes``.
        send: POSTs a body: ``(url, body, secret) -> WebhookDelivery`` (signing and retries).
        now: the clock (tests inject one).

    Examples:
        >>> fanout = EventFanout(stores.webhooks, render, send)  # doctest: +SKIP
        >>> fanout.emit(job, JobEvent.completed)  # doctest: +SKIP
    """

    def __init__(
        self,
        store: WebhookStore,
        render: Callable[[JobRecord, JobEvent, str], bytes],
        send: Callable[[str, bytes, str | None], WebhookDelivery],
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._render = render
        self._send = send
        self._now = now
        self._queue: queue.Queue[EventDelivery | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def emit(self, job: JobRecord, event: JobEvent) -> list[EventDelivery]:
        """Record ``event`` of ``job`` for every subscription that wants it, and queue them.

        Never raises: an event that cannot be recorded is logged, and the job goes on.
        """
        try:
            recorded = []
            for sub in self._store.list_subscriptions(job.tenant_id):
                if event not in sub.events:
                    continue
                now = self._now()
                delivery_id = _delivery_id(now)
                delivery = EventDelivery(
                    delivery_id=delivery_id,
                    subscription_id=sub.subscription_id,
                    tenant_id=job.tenant_id,
                    event=event,
                    job_id=job.id,
                    body=self._render(job, event, delivery_id).decode(),
                    time_created=now,
                )
                self._store.put_delivery(delivery)
                recorded.append(delivery)
        except Exception:  # the boundary: webhooks never fail a job
            log.exception("recording %s of job %s for webhooks failed", event.value, job.id)
            return []
        for delivery in recorded:
            self._submit(delivery)
        return recorded

    def resume(self) -> int:
        """Queue every delivery left ``pending`` (a previous process stopped first)."""
        pending = self._store.list_pending()
        for delivery in pending:
            self._submit(delivery)
        return len(pending)

    def deliver(self, delivery: EventDelivery) -> EventDelivery:
        """Send one recorded delivery now and record the outcome (the worker's step)."""
        try:
            sub = self._store.get_subscription(delivery.tenant_id, delivery.subscription_id)
        except NotFoundError:  # unsubscribed meanwhile: its records went with it
            return delivery
        outcome = self._send(sub.url, delivery.body.encode(), sub.secret)
        done = delivery.model_copy(
            update={
                "status": outcome.status,
                "attempts": outcome.attempts,
                "last_status_code": outcome.last_status_code,
                "last_error": outcome.last_error,
                "time_delivered": outcome.time_delivered,
            }
        )
        self._store.put_delivery(done)
        return done

    def close(self) -> None:
        """Stop the worker once what is queued is sent. It is a daemon thread: a process that
        exits first leaves the unsent deliveries ``pending`` for ``resume``."""
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread = None

    def _submit(self, delivery: EventDelivery) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="framelens-event-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put(delivery)

    def _work(self) -> None:
        while (delivery := self._queue.get()) is not None:
            try:
                self.deliver(delivery)
            except Exception:  # one failed record must not stop the worker
                log.exception("webhook delivery %s failed", delivery.delivery_id)
