"""Webhook subscriptions of a tenant and the deliveries of job events to them (seed 003).

Owns: the stored records (``WebhookSubscription``, ``EventDelivery``) and the event names
(``JobEvent``). A subscription receives every job of its tenant; a delivery is one event POSTed to
one subscription, recorded like a job webhook's ``WebhookDelivery``. Does not own the routes'
shapes (``schemas.seeds.deepva``) or delivering (``jobs.event_fanout``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from framelens.schemas.common import utcnow

__all__ = ["EventDelivery", "JobEvent", "WebhookSubscription"]


class JobEvent(StrEnum):
    """What happened to a job; the ``event`` of a delivery's payload."""

    created = "job.created"
    started = "job.started"
    completed = "job.completed"
    failed = "job.failed"
    cancelled = "job.cancelled"


class WebhookSubscription(BaseModel):
    """A tenant's receiver of job events. ``secret`` signs deliveries and is never returned."""

    subscription_id: str
    tenant_id: str
    url: str
    events: list[JobEvent]
    secret: str | None = None
    time_created: datetime = Field(default_factory=utcnow)


class EventDelivery(BaseModel):
    """One event sent to one subscription: the exact body and the outcome (as ``WebhookDelivery``).

    ``delivery_id`` starts with its creation time, so ids sort in time order.
    """

    delivery_id: str
    subscription_id: str
    tenant_id: str
    event: JobEvent
    job_id: str
    body: str = Field(description="The exact JSON sent (the signature covers these bytes).")
    status: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    time_created: datetime = Field(default_factory=utcnow)
    time_delivered: datetime | None = None
