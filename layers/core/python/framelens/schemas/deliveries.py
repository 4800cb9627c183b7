"""Webhook deliveries: the durable record that is also the delivery queue, and its public view.

Owns: ``Delivery`` (one body to POST to one receiver: a job's final webhook, or one event of a
job to one seed 003 subscription), its states (``pending → sending → delivered | failed``, and
back to ``pending`` between attempts) and ``DeliveryPublic`` / ``DeliveryList`` (what
``/v1/webhooks/deliveries`` answers). Does not own sending, the retry schedule or storage
(``jobs.deliveries``, ``jobs.retry_schedule``, ``DeliveryStore``).

A record is *due* while it is ``pending`` and its ``next_attempt_at`` has passed, or while it is
``sending`` and its ``lease_until`` has passed (the process sending it stopped): ``due_at`` is
whichever of the two applies, ``None`` once the record is final.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from framelens.schemas.common import utcnow

__all__ = [
    "DELIVERY_STATES",
    "Delivery",
    "DeliveryKind",
    "DeliveryList",
    "DeliveryPublic",
    "DeliveryState",
]

DeliveryState = Literal["pending", "sending", "delivered", "failed"]
DeliveryKind = Literal["job", "event"]
DELIVERY_STATES: tuple[str, ...] = ("pending", "sending", "delivered", "failed")


class Delivery(BaseModel):
    """One body to POST to one receiver, and how that went so far (the stored record).

    ``delivery_id`` starts with its creation time, so ids sort in time order. ``secret`` is the
    receiver's signing secret *sealed* (``jobs.secret_box``), never plain text. ``version``
    guards every conditional write (two workers never send one attempt twice).
    """

    delivery_id: str
    tenant_id: str
    job_id: str
    kind: DeliveryKind
    event: str  # job.finished | job.failed | job.cancelled (kind job), or a JobEvent (event)
    subscription_id: str | None = None
    url: str
    secret: str | None = None
    body_key: str  # the exact bytes sent live in the blob store (``layout.webhook_body_key``)
    state: DeliveryState = "pending"
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    time_created: datetime = Field(default_factory=utcnow)
    time_queued: datetime = Field(default_factory=utcnow)  # the retry window starts here
    time_delivered: datetime | None = None
    version: int = 0

    @property
    def due_at(self) -> datetime | None:
        """When the delivery worker should pick this record up; ``None`` when it is final."""
        if self.state == "pending":
            return self.next_attempt_at
        if self.state == "sending":
            return self.lease_until or self.next_attempt_at
        return None

    @property
    def host(self) -> str:
        """The receiver's host (concurrency is bounded per host)."""
        return (urlsplit(self.url).hostname or "").lower()


class DeliveryPublic(BaseModel):
    """``GET /v1/webhooks/deliveries``: one delivery, without its body or secret."""

    id: str
    job_id: str
    event: str = Field(examples=["job.finished"])
    subscription_id: str | None = Field(
        default=None, description="The seed 003 subscription; null for a job's own webhook."
    )
    host: str = Field(description="The receiver's host (the URL may carry credentials).")
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = Field(
        default=None, description="When the next attempt is due (pending deliveries)."
    )
    last_status_code: int | None = None
    last_error: str | None = None
    time_created: datetime
    time_delivered: datetime | None = None

    @classmethod
    def from_record(cls, record: Delivery) -> DeliveryPublic:
        """The public view of a stored delivery."""
        return cls(
            id=record.delivery_id,
            job_id=record.job_id,
            event=record.event,
            subscription_id=record.subscription_id,
            host=record.host,
            state=record.state,
            attempts=record.attempts,
            next_attempt_at=record.next_attempt_at if record.state == "pending" else None,
            last_status_code=record.last_status_code,
            last_error=record.last_error,
            time_created=record.time_created,
            time_delivered=record.time_delivered,
        )


class DeliveryList(BaseModel):
    """A page of deliveries, newest first; pass ``next_cursor`` back as ``cursor``."""

    data: list[DeliveryPublic]
    next_cursor: str | None = None
