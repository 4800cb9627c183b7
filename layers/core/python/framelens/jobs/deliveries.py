"""Webhook deliveries: the durable record is the queue; one path for job and event webhooks.

Owns: turning a job's final webhook (seed 001 / native ``webhook``) or one event of a job for
one seed 003 subscription into a ``Delivery`` record (the exact body in the blob store, the
receiver's secret still sealed), claiming a due record with a lease (so a process that dies
mid-send leaves it due again once the lease ends), sending one attempt and recording the outcome
(delivered, failed for good, or ``pending`` again at the retry schedule's next time), mirroring
a job webhook's record on the job (``webhook_delivery``), and listing and redelivering a tenant's
deliveries. Does not own: when to poll, how many to send at once (``jobs.delivery_worker``), the
wire (``jobs.webhooks``) or the schedule (``jobs.retry_schedule``).

Examples:
    >>> service = DeliveryService(stores, box, policy, timeout_s=10)  # doctest: +SKIP
    >>> service.enqueue_job(job, body)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from framelens.errors import ConflictError, NotFoundError, StoreError, ValidationError
from framelens.jobs.webhooks import Attempt, attempt
from framelens.schemas import WebhookDelivery
from framelens.schemas.common import utcnow
from framelens.schemas.deliveries import DELIVERY_STATES, Delivery
from framelens.stores import layout

if TYPE_CHECKING:
    import builtins
    from collections.abc import Callable
    from datetime import datetime

    from framelens.jobs.retry_schedule import RetryPolicy
    from framelens.jobs.secret_box import SecretBox
    from framelens.schemas import JobRecord
    from framelens.schemas.subscriptions import JobEvent, WebhookSubscription
    from framelens.stores import DeliveryStore, Stores

__all__ = ["DeliveryService", "delivery_id"]

log = logging.getLogger(__name__)


def delivery_id(at: datetime, suffix: str | None = None) -> str:
    """A delivery id that sorts by time: ``dl_<UTC time>_<suffix or random>``."""
    return f"dl_{at.strftime('%Y%m%dT%H%M%S%f')}_{suffix or secrets.token_hex(4)}"


class DeliveryService:
    """Records, claims, sends and reports webhook deliveries over a ``DeliveryStore``.

    Args:
        stores: The store adapters (``deliveries``, ``blobs`` and ``webhooks`` are used).
        box: Opens sealed secrets just before signing.
        policy: The retry schedule.
        timeout_s: Limit on one attempt; a claim's lease is a little longer.
        allow_private: Let receivers be private addresses (local development only).
        now: The clock (tests inject one).
    """

    def __init__(
        self,
        stores: Stores,
        box: SecretBox,
        policy: RetryPolicy,
        *,
        timeout_s: float,
        allow_private: bool = False,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        if stores.deliveries is None:
            raise StoreError("this deployment has no delivery store")
        self._store: DeliveryStore = stores.deliveries
        self._stores = stores
        self.box = box
        self.policy = policy
        self.timeout_s = timeout_s
        self.lease_s = max(2 * timeout_s, timeout_s + 5.0)
        self._allow_private = allow_private
        self._now = now
        self.on_enqueue: Callable[[], None] | None = None  # wakes the local worker
        self._soonest: datetime | None = None  # the earliest retry this process scheduled
        self.record_job: Callable[[str, WebhookDelivery], object] | None = None

    # ---- producing ------------------------------------------------------------------------

    def enqueue_job(self, job: JobRecord, body: bytes) -> Delivery | None:
        """Queue the final webhook of an ended ``job`` (``None`` when it has none).

        Idempotent: the id comes from the job and the time it ended, so the pipeline, the
        deadline sweeper and a cancel that all notify make one record.
        """
        if job.webhook is None:
            return None
        ended = job.time_completed or job.time_created
        digest = hashlib.sha256(job.id.encode()).hexdigest()[:8]
        record = self._new(
            delivery_id(ended, "j" + digest),
            job,
            kind="job",
            event=f"job.{job.state.value}",
            url=str(job.webhook.url),
            secret=self.box.seal(job.webhook.secret),
        )
        return self._put(record, body)

    def enqueue_event(
        self,
        job: JobRecord,
        subscription: WebhookSubscription,
        event: JobEvent,
        render: Callable[[str], bytes],
    ) -> Delivery | None:
        """Queue ``event`` of ``job`` for ``subscription``; ``render(delivery_id)`` is its body."""
        record_id = delivery_id(self._now())
        record = self._new(
            record_id,
            job,
            kind="event",
            event=event.value,
            url=subscription.url,
            secret=self.box.seal(subscription.secret),
            subscription_id=subscription.subscription_id,
        )
        return self._put(record, render(record_id))

    def _new(
        self,
        record_id: str,
        job: JobRecord,
        *,
        subscription_id: str | None = None,
        **fields: str | None,
    ) -> Delivery:
        now = self._now()
        return Delivery.model_validate(
            {
                "delivery_id": record_id,
                "tenant_id": job.tenant_id,
                "job_id": job.id,
                "subscription_id": subscription_id,
                "body_key": layout.webhook_body_key(job.tenant_id, record_id),
                "next_attempt_at": now,
                "time_created": now,
                "time_queued": now,
                **fields,
            }
        )

    def _put(self, record: Delivery, body: bytes) -> Delivery | None:
        # The body first: a record never names bytes that are not there.
        self._stores.blobs.put(record.body_key, body, "application/json")
        if not self._store.create(record):
            return None  # queued before (a second notify of the same job)
        if self.on_enqueue is not None:
            self.on_enqueue()
        return record

    # ---- reading --------------------------------------------------------------------------

    def get(self, tenant_id: str, record_id: str) -> Delivery:
        """The tenant's delivery (``NotFoundError`` for unknown and foreign ids)."""
        return self._store.get(tenant_id, record_id)

    def list(
        self,
        tenant_id: str,
        *,
        state: str | None = None,
        subscription_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[builtins.list[Delivery], str | None]:
        """The tenant's deliveries newest first, and the next page's cursor.

        Raises:
            ValidationError: an unknown state or a limit outside 1..200.
        """
        if state is not None and state not in DELIVERY_STATES:
            raise ValidationError(f"state must be one of {', '.join(DELIVERY_STATES)}")
        if not 1 <= limit <= 200:
            raise ValidationError("limit must be between 1 and 200")
        return self._store.list(
            tenant_id, state=state, subscription_id=subscription_id, limit=limit, cursor=cursor
        )

    def due(self, limit: int) -> builtins.list[Delivery]:
        """Records due now (every tenant), earliest first."""
        return self._store.due(self._now(), limit)

    def due_in(self, cap_s: float) -> float:
        """Seconds until the earliest retry this process scheduled is due, at most ``cap_s``."""
        soonest = self._soonest
        if soonest is None:
            return cap_s
        wait = (soonest - self._now()).total_seconds()
        if wait <= 0:
            self._soonest = None
        return max(0.0, min(cap_s, wait))

    # ---- redelivering ---------------------------------------------------------------------

    def redeliver(self, tenant_id: str, record_id: str) -> Delivery:
        """Send a delivered or failed delivery again, on a fresh retry schedule.

        Raises:
            NotFoundError: unknown or another tenant's delivery.
            ConflictError: it is still pending or being sent (it will be sent anyway).
        """
        record = self._store.get(tenant_id, record_id)
        if record.state not in ("delivered", "failed"):
            raise ConflictError(
                f"delivery {record_id} is {record.state}: it is sent when due; "
                "only delivered or failed deliveries can be redelivered"
            )
        now = self._now()
        queued = self._store.update(
            record.model_copy(
                update={
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "time_queued": now,
                    "lease_until": None,
                }
            )
        )
        self._mirror(queued)
        if self.on_enqueue is not None:
            self.on_enqueue()
        return queued

    # ---- sending --------------------------------------------------------------------------

    def claim(self, record: Delivery) -> Delivery | None:
        """Take a due record for sending (a lease of ``lease_s``); ``None`` if another worker
        took it first or it is no longer due."""
        now = self._now()
        due = record.due_at
        if due is None or due > now:
            return None
        try:
            return self._store.update(
                record.model_copy(
                    update={
                        "state": "sending",
                        "lease_until": now + timedelta(seconds=self.lease_s),
                    }
                )
            )
        except (ConflictError, NotFoundError):
            return None

    def defer(self, record: Delivery, seconds: float) -> None:
        """Move a due ``pending`` record ``seconds`` later (its receiver host is at its bound),
        so the records behind it in the queue get their turn."""
        if record.state != "pending":
            return
        later = self._now() + timedelta(seconds=seconds)
        with contextlib.suppress(ConflictError, NotFoundError):
            self._store.update(record.model_copy(update={"next_attempt_at": later}))

    def send(self, claimed: Delivery) -> Delivery:
        """Make one attempt of a claimed record and record how it went."""
        gone = self._unsubscribed(claimed)
        if gone is not None:
            return self._finish(claimed, Attempt(None, gone, retryable=False))
        try:
            body = self._stores.blobs.get(claimed.body_key)
            secret = self.box.open(claimed.secret)
        except (NotFoundError, StoreError) as exc:
            return self._finish(claimed, Attempt(None, exc.message, retryable=False))
        outcome = attempt(
            claimed.url,
            body,
            secret,
            timeout_s=self.timeout_s,
            allow_private=self._allow_private,
        )
        return self._finish(claimed, outcome)

    def _unsubscribed(self, record: Delivery) -> str | None:
        webhooks = self._stores.webhooks
        if record.subscription_id is None or webhooks is None:
            return None
        try:
            webhooks.get_subscription(record.tenant_id, record.subscription_id)
        except NotFoundError:
            return "the subscription was deleted"
        return None

    def _finish(self, claimed: Delivery, outcome: Attempt) -> Delivery:
        now = self._now()
        attempts = claimed.attempts + 1
        update: dict[str, object] = {
            "attempts": attempts,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
            "lease_until": None,
        }
        if outcome.delivered:
            update |= {"state": "delivered", "time_delivered": now}
        else:
            retry_at = (
                self.policy.next_attempt(attempts, claimed.time_queued, now)
                if outcome.retryable
                else None
            )
            if retry_at is None:
                update["state"] = "failed"
            else:
                update |= {"state": "pending", "next_attempt_at": retry_at}
                if self._soonest is None or retry_at < self._soonest:
                    self._soonest = retry_at
        try:
            done = self._store.update(claimed.model_copy(update=update))
        except ConflictError:  # our lease ran out and another worker took it over
            log.info("delivery %s changed while it was being sent", claimed.delivery_id)
            return claimed
        self._mirror(done)
        return done

    def _mirror(self, record: Delivery) -> None:
        """A job webhook's record, as seed 001's ``webhook_delivery`` on the job."""
        if record.kind != "job" or self.record_job is None:
            return
        view = WebhookDelivery(
            status=record.state,
            attempts=record.attempts,
            last_status_code=record.last_status_code,
            last_error=record.last_error,
            time_delivered=record.time_delivered,
        )
        with contextlib.suppress(NotFoundError):  # an expired job: the record is what counts
            self.record_job(record.job_id, view)
