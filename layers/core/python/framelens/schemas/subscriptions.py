"""Webhook subscriptions of a tenant and the deliveries of job events to them (seed 003).

Owns: the stored subscription (``WebhookSubscription``) and the event names (``JobEvent``). A
subscription receives every job of its tenant; each event it wants becomes a ``Delivery``
(``schemas.deliveries``), the same record job webhooks use. Does not own the routes' shapes
(``schemas.seeds.deepva``) or delivering (``jobs.deliveries``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from framelens.schemas.common import utcnow

__all__ = ["JobEvent", "WebhookSubscription"]


class JobEvent(StrEnum):
    """What happened to a job; the ``event`` of a delivery's payload."""

    created = "job.created"
    started = "job.started"
    completed = "job.completed"
    failed = "job.failed"
    cancelled = "job.cancelled"


class WebhookSubscription(BaseModel):
    """A tenant's receiver of job events. ``secret`` (sealed, ``jobs.secret_box``) signs
    deliveries and is never returned."""

    subscription_id: str
    tenant_id: str
    url: str
    events: list[JobEvent]
    secret: str | None = None
    time_created: datetime = Field(default_factory=utcnow)
