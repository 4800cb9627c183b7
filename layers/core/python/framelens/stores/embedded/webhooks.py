"""Webhook subscriptions and event deliveries in SQLite: the embedded ``WebhookStore``.

Owns: rows holding each record as pydantic JSON plus the columns queries need (tenant,
subscription, creation order, delivery status). Does not own the rules (``jobs.subscriptions``)
or sending (``jobs.event_fanout``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import NotFoundError
from framelens.schemas.subscriptions import EventDelivery, WebhookSubscription
from framelens.stores.embedded._db import iso

if TYPE_CHECKING:
    import builtins

    from framelens.stores.embedded._db import Database

__all__ = ["SqliteWebhookStore"]


class SqliteWebhookStore:
    """``WebhookStore`` on the embedded database.

    Args:
        db: The shared database (see ``build_embedded_stores``).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def put_subscription(self, subscription: WebhookSubscription) -> None:
        """Create or replace a subscription."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO webhook_subscriptions"
                " (subscription_id, tenant_id, time_created, body) VALUES (?, ?, ?, ?)",
                (
                    subscription.subscription_id,
                    subscription.tenant_id,
                    iso(subscription.time_created),
                    subscription.model_dump_json(),
                ),
            )

    def get_subscription(self, tenant_id: str, subscription_id: str) -> WebhookSubscription:
        """The tenant's subscription. Raises ``NotFoundError`` for unknown and foreign ids."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM webhook_subscriptions"
                " WHERE subscription_id = ? AND tenant_id = ?",
                (subscription_id, tenant_id),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"Webhook {subscription_id} not found.")
        return WebhookSubscription.model_validate_json(row[0])

    def list_subscriptions(self, tenant_id: str) -> builtins.list[WebhookSubscription]:
        """The tenant's subscriptions, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM webhook_subscriptions WHERE tenant_id = ?"
                " ORDER BY time_created, subscription_id",
                (tenant_id,),
            ).fetchall()
        return [WebhookSubscription.model_validate_json(r[0]) for r in rows]

    def delete_subscription(self, tenant_id: str, subscription_id: str) -> None:
        """Remove the subscription and its deliveries. Raises ``NotFoundError``."""
        with self.db.write() as conn:
            cur = conn.execute(
                "DELETE FROM webhook_subscriptions WHERE subscription_id = ? AND tenant_id = ?",
                (subscription_id, tenant_id),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"Webhook {subscription_id} not found.")
            conn.execute(
                "DELETE FROM webhook_deliveries WHERE subscription_id = ? AND tenant_id = ?",
                (subscription_id, tenant_id),
            )

    def put_delivery(self, delivery: EventDelivery) -> None:
        """Create or replace a delivery record."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO webhook_deliveries"
                " (delivery_id, subscription_id, tenant_id, status, body) VALUES (?, ?, ?, ?, ?)",
                (
                    delivery.delivery_id,
                    delivery.subscription_id,
                    delivery.tenant_id,
                    delivery.status,
                    delivery.model_dump_json(),
                ),
            )

    def get_delivery(self, tenant_id: str, subscription_id: str, delivery_id: str) -> EventDelivery:
        """One delivery of the tenant's subscription. Raises ``NotFoundError``."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM webhook_deliveries"
                " WHERE delivery_id = ? AND subscription_id = ? AND tenant_id = ?",
                (delivery_id, subscription_id, tenant_id),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"Delivery {delivery_id} not found.")
        return EventDelivery.model_validate_json(row[0])

    def list_deliveries(
        self, tenant_id: str, subscription_id: str, limit: int = 50
    ) -> builtins.list[EventDelivery]:
        """The subscription's latest ``limit`` deliveries, newest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM webhook_deliveries WHERE tenant_id = ? AND subscription_id = ?"
                " ORDER BY delivery_id DESC LIMIT ?",
                (tenant_id, subscription_id, max(1, limit)),
            ).fetchall()
        return [EventDelivery.model_validate_json(r[0]) for r in rows]

    def list_pending(self) -> builtins.list[EventDelivery]:
        """Every pending delivery of every tenant, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM webhook_deliveries WHERE status = 'pending' ORDER BY delivery_id"
            ).fetchall()
        return [EventDelivery.model_validate_json(r[0]) for r in rows]

    def ping(self) -> None:
        """A trivial query, for health checks."""
        self.db.ping()
