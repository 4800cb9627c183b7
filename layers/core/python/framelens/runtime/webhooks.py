"""Webhook wiring for the composition root: the sealing key, the delivery service, the job-event
fan-out to subscriptions, and the local delivery worker.

Owns: which settings build those services. Does not own delivery itself (``jobs.deliveries``,
``jobs.delivery_worker``) or the stores behind it; ``framelens.runtime`` calls these.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from framelens.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.config import Settings
    from framelens.jobs.deliveries import DeliveryService
    from framelens.jobs.delivery_worker import DeliveryWorker
    from framelens.jobs.event_fanout import EventFanout
    from framelens.schemas import JobRecord
    from framelens.schemas.subscriptions import JobEvent
    from framelens.stores import DeliveryStore, Stores

__all__ = ["delivery_service", "event_fanout", "start_delivery_worker", "webhook_secret_key"]


def webhook_secret_key(settings: Settings) -> bytes:
    """The key that seals webhook secrets: ``FRAMELENS_WEBHOOK_SECRET_KEY``; else (AWS) the
    Secrets Manager secret ``FRAMELENS_WEBHOOK_SECRET_ARN``; else (embedded) a key generated
    once in the data folder (``webhooks.key``, mode 0600).

    Raises:
        StoreError: AWS with neither (the stack passes its secret's ARN).
    """
    if settings.webhook_secret_key is not None:
        return settings.webhook_secret_key.get_secret_value().encode()
    if settings.backend == "embedded":
        from framelens.stores.embedded.secrets import local_secret

        return local_secret(settings.data_dir, "webhooks")
    if settings.webhook_secret_arn:
        from framelens.stores.aws.platform import secret_bytes

        return secret_bytes(settings, settings.webhook_secret_arn)
    raise StoreError("FRAMELENS_WEBHOOK_SECRET_ARN is not set: webhook secrets cannot be sealed")


def delivery_service(settings: Settings, stores: Stores) -> DeliveryService:
    """Webhook deliveries with the settings' schedule, timeout and sealing key."""
    from framelens.jobs.deliveries import DeliveryService
    from framelens.jobs.retry_schedule import RetryPolicy
    from framelens.jobs.secret_box import SecretBox

    policy = RetryPolicy(
        base_s=settings.webhook_backoff_s,
        max_step_s=settings.webhook_max_backoff_s,
        max_attempts=settings.webhook_max_attempts,
        max_age_s=settings.webhook_max_age_s,
    )
    return DeliveryService(
        stores,
        SecretBox(partial(webhook_secret_key, settings)),
        policy,
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.allow_private_network,
    )


def event_fanout(
    settings: Settings, stores: Stores, deliveries: DeliveryService
) -> EventFanout | None:
    """Job events to subscriptions: the seed 003 payload, queued like job webhooks."""
    if stores.webhooks is None:
        return None
    from framelens.jobs.event_fanout import EventFanout

    base_url = settings.public_base_url

    def render(job: JobRecord, event: JobEvent, delivery_id: str) -> bytes:
        # Imported on the first event: the authorizer builds services too and never sends any.
        from framelens.schemas.seeds.deepva import event_payload

        return event_payload(job, event, delivery_id, base_url)

    return EventFanout(stores.webhooks, render, deliveries)


def start_delivery_worker(
    settings: Settings, deliveries: DeliveryService, store: DeliveryStore | None = None
) -> DeliveryWorker:
    """Send webhook deliveries on their own threads (records a previous process left due
    first); queued deliveries wake it."""
    from framelens.jobs.delivery_worker import DeliveryWorker
    from framelens.schemas.common import utcnow
    from framelens.stores.embedded.deliveries import SqliteDeliveryStore

    expire: Callable[[], int] | None = None
    if isinstance(store, SqliteDeliveryStore):  # DynamoDB expires records by TTL itself
        local: SqliteDeliveryStore = store

        def drop_old() -> int:
            return local.delete_final_before(utcnow() - timedelta(days=settings.job_ttl_days))

        expire = drop_old
    worker = DeliveryWorker(
        deliveries,
        concurrency=settings.webhook_concurrency,
        per_host=settings.webhook_per_host,
        poll_s=settings.webhook_poll_s,
        expire=expire,
    )
    deliveries.on_enqueue = worker.wake
    worker.start()
    return worker
