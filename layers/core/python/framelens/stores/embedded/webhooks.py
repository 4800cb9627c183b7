"""Webhook subscriptions in SQLite: the embedded ``WebhookStore``.

Owns: rows holding each subscription as pydantic JSON plus the columns queries need (tenant,
creation order). Does not own the rules (``jobs.subscriptions``) or deliveries
(``embedded.deliveries``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import NotFoundError
from framelens.schemas.subscriptions import WebhookSubscription
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
        """Remove the subscription. Raises ``NotFoundError``."""
        with self.db.write() as conn:
            cur = conn.execute(
                "DELETE FROM webhook_subscriptions WHERE subscription_id = ? AND tenant_id = ?",
                (subscription_id, tenant_id),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"Webhook {subscription_id} not found.")

    def ping(self) -> None:
        """A trivial query, for health checks."""
        self.db.ping()
