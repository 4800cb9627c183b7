"""Webhook subscriptions: a tenant's receivers of job events (seed 003 "subscribe to a webhook for
several events").

Owns: the rules of a subscription (a receiver URL that passes the SSRF guard, at least one known
event, an optional signing secret — stored sealed —, at most ``MAX_SUBSCRIPTIONS`` per tenant)
and reading its delivery records. Does not own sending (``jobs.event_fanout``,
``jobs.deliveries``) or storage (``WebhookStore``).

Examples:
    >>> service = SubscriptionService(stores.webhooks, deliveries)  # doctest: +SKIP
    >>> url = "https://hooks.example.com/fl"
    >>> sub = service.create("acme", url, ["job.completed"])  # doctest: +SKIP
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from framelens.errors import ValidationError
from framelens.schemas.common import utcnow
from framelens.schemas.subscriptions import JobEvent, WebhookSubscription

if TYPE_CHECKING:
    import builtins
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from framelens.jobs.deliveries import DeliveryService
    from framelens.schemas.deliveries import Delivery
    from framelens.stores import WebhookStore

__all__ = ["MAX_SUBSCRIPTIONS", "SubscriptionService", "parse_events"]

MAX_SUBSCRIPTIONS = 20


def _new_id() -> str:
    return "wh_" + secrets.token_hex(8)


def parse_events(events: Sequence[str]) -> list[JobEvent]:
    """The events named, each once, in the order given.

    Raises:
        ValidationError: none given, or a name that is not an event (the message lists them).
    """
    known = [e.value for e in JobEvent]
    unknown = sorted({e for e in events if e not in known})
    if unknown:
        raise ValidationError(
            f"unknown event(s) {', '.join(unknown)}; events: {', '.join(known)}",
            details={"unknown_events": unknown},
        )
    parsed = list(dict.fromkeys(JobEvent(e) for e in events))
    if not parsed:
        raise ValidationError(f"name at least one event: {', '.join(known)}")
    return parsed


class SubscriptionService:
    """Creates, lists and deletes a tenant's subscriptions over a ``WebhookStore``.

    Args:
        store: where subscriptions live (``Stores.webhooks``).
        deliveries: their deliveries, and the box that seals secrets.
        url_guard: the SSRF guard (``jobs.fetch.vet_url``) a receiver URL must pass.
        now: the clock (tests inject one).
    """

    def __init__(
        self,
        store: WebhookStore,
        deliveries: DeliveryService,
        url_guard: Callable[[str], object] | None = None,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self._deliveries = deliveries
        self._url_guard = url_guard
        self._now = now

    def create(
        self, tenant_id: str, url: str, events: Sequence[str], secret: str | None = None
    ) -> WebhookSubscription:
        """Subscribe ``url`` to ``events`` of every job of the tenant.

        Raises:
            ValidationError: unknown or no events, too many subscriptions, a bad secret.
            FetchRefusedError: the URL is not https, or resolves to a non-public address.
        """
        parsed = parse_events(events)
        if secret is not None and not 1 <= len(secret) <= 200:
            raise ValidationError("secret must be 1 to 200 characters (or left out: unsigned)")
        if self._url_guard is not None:
            self._url_guard(url)
        if len(self.store.list_subscriptions(tenant_id)) >= MAX_SUBSCRIPTIONS:
            raise ValidationError(
                f"a tenant has at most {MAX_SUBSCRIPTIONS} webhooks; delete one first"
            )
        sub = WebhookSubscription(
            subscription_id=_new_id(),
            tenant_id=tenant_id,
            url=url,
            events=parsed,
            secret=self._deliveries.box.seal(secret),  # stored sealed, never returned
            time_created=self._now(),
        )
        self.store.put_subscription(sub)
        return sub

    def get(self, tenant_id: str, subscription_id: str) -> WebhookSubscription:
        """The tenant's subscription (``NotFoundError`` for unknown and foreign ids)."""
        return self.store.get_subscription(tenant_id, subscription_id)

    def list(self, tenant_id: str) -> list[WebhookSubscription]:
        """The tenant's subscriptions, oldest first."""
        return self.store.list_subscriptions(tenant_id)

    def delete(self, tenant_id: str, subscription_id: str) -> None:
        """Unsubscribe (its queued deliveries are not sent; their records stay, ``failed``)."""
        self.store.delete_subscription(tenant_id, subscription_id)

    def deliveries(
        self, tenant_id: str, subscription_id: str, limit: int = 50
    ) -> builtins.list[Delivery]:
        """The subscription's latest deliveries, newest first."""
        self.store.get_subscription(tenant_id, subscription_id)  # 404 for foreign ids
        found, _ = self._deliveries.list(tenant_id, subscription_id=subscription_id, limit=limit)
        return found
