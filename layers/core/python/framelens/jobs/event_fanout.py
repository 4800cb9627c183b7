"""Fanning job events out to the tenant's webhook subscriptions, without holding up the job.

Owns: turning one event of one job into a queued delivery per subscription that wants it (the
exact body is stored with it). The job only waits for the records to be written; sending is the
delivery worker's (``jobs.delivery_worker``), on the same path, schedule and signing as job
webhooks (``jobs.deliveries``), so a slow or failing receiver never delays or fails the job.
Does not own when events happen (``jobs.service`` and ``jobs.transitions`` call ``emit``), what a
payload looks like (``render``, from the composition root) or the subscription rules
(``jobs.subscriptions``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.jobs.deliveries import DeliveryService
    from framelens.schemas import JobRecord
    from framelens.schemas.deliveries import Delivery
    from framelens.schemas.subscriptions import JobEvent
    from framelens.stores import WebhookStore

__all__ = ["EventFanout"]

log = logging.getLogger(__name__)


class EventFanout:
    """The job service's event sink: queues one delivery per interested subscription.

    Args:
        store: The tenants' subscriptions (``Stores.webhooks``).
        render: The payload of an event: ``(job, event, delivery_id) -> body bytes``.
        deliveries: Where deliveries are queued.

    Examples:
        >>> fanout = EventFanout(stores.webhooks, render, deliveries)  # doctest: +SKIP
        >>> fanout.emit(job, JobEvent.completed)  # doctest: +SKIP
    """

    def __init__(
        self,
        store: WebhookStore,
        render: Callable[[JobRecord, JobEvent, str], bytes],
        deliveries: DeliveryService,
    ) -> None:
        self._store = store
        self._render = render
        self._deliveries = deliveries

    def emit(self, job: JobRecord, event: JobEvent) -> list[Delivery]:
        """Queue ``event`` of ``job`` for every subscription that wants it.

        Never raises: an event that cannot be recorded is logged, and the job goes on.
        """
        queued: list[Delivery] = []
        try:
            for sub in self._store.list_subscriptions(job.tenant_id):
                if event not in sub.events:
                    continue

                def render(record_id: str) -> bytes:
                    return self._render(job, event, record_id)

                record = self._deliveries.enqueue_event(job, sub, event, render)
                if record is not None:
                    queued.append(record)
        except Exception:  # the boundary: webhooks never fail a job
            log.exception("recording %s of job %s for webhooks failed", event.value, job.id)
        return queued
