"""Webhook deliveries in SQLite: the embedded ``DeliveryStore`` (the local delivery queue).

Owns: rows holding each ``Delivery`` as pydantic JSON plus the columns queries need (tenant,
subscription, state, ``due_at`` with a partial index over the records still to send, and the
``version`` every update is conditional on). Does not own sending or retry rules
(``jobs.deliveries``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import ConflictError, NotFoundError
from framelens.schemas.deliveries import Delivery
from framelens.stores.embedded._db import decode_cursor, encode_cursor, iso

if TYPE_CHECKING:
    import builtins
    from datetime import datetime

    from framelens.stores.embedded._db import Database

__all__ = ["SqliteDeliveryStore"]

_CURSOR_TAG = "dlv"


def _row(delivery: Delivery) -> tuple[object, ...]:
    due = delivery.due_at
    return (
        delivery.delivery_id,
        delivery.tenant_id,
        delivery.subscription_id,
        delivery.state,
        iso(due) if due is not None else None,
        delivery.version,
        delivery.model_dump_json(),
    )


class SqliteDeliveryStore:
    """``DeliveryStore`` on the embedded database.

    Args:
        db: The shared database (see ``build_embedded_stores``).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, delivery: Delivery) -> bool:
        """Store a new record; False when its id exists already (nothing is written)."""
        with self.db.write() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO deliveries (delivery_id, tenant_id, subscription_id,"
                " state, due_at, version, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                _row(delivery),
            )
            return cur.rowcount == 1

    def get(self, tenant_id: str, delivery_id: str) -> Delivery:
        """The tenant's delivery. Raises ``NotFoundError`` for unknown and foreign ids."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM deliveries WHERE delivery_id = ? AND tenant_id = ?",
                (delivery_id, tenant_id),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"Delivery {delivery_id} not found.")
        return Delivery.model_validate_json(row[0])

    def update(self, delivery: Delivery) -> Delivery:
        """Write it if the stored version is ``delivery.version``; the version goes up by one.

        Raises:
            ConflictError: another writer changed the record first.
            NotFoundError: no such record.
        """
        new = delivery.model_copy(update={"version": delivery.version + 1})
        row = _row(new)
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE deliveries SET state = ?, due_at = ?, version = ?, body = ?"
                " WHERE delivery_id = ? AND tenant_id = ? AND version = ?",
                (
                    row[3],
                    row[4],
                    row[5],
                    row[6],
                    delivery.delivery_id,
                    delivery.tenant_id,
                    delivery.version,
                ),
            )
            if cur.rowcount == 0:
                exists = conn.execute(
                    "SELECT 1 FROM deliveries WHERE delivery_id = ?", (delivery.delivery_id,)
                ).fetchone()
                if exists is None:
                    raise NotFoundError(f"Delivery {delivery.delivery_id} not found.")
                raise ConflictError(f"delivery {delivery.delivery_id} changed meanwhile")
        return new

    def due(self, now: datetime, limit: int = 100) -> builtins.list[Delivery]:
        """Records (every tenant) whose ``due_at`` is at or before ``now``, earliest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM deliveries WHERE due_at IS NOT NULL AND due_at <= ?"
                " ORDER BY due_at, delivery_id LIMIT ?",
                (iso(now), max(1, limit)),
            ).fetchall()
        return [Delivery.model_validate_json(r[0]) for r in rows]

    def list(
        self,
        tenant_id: str,
        *,
        state: str | None = None,
        subscription_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[builtins.list[Delivery], str | None]:
        """The tenant's deliveries newest first, filtered, and the next page's cursor."""
        sql = "SELECT body, delivery_id FROM deliveries WHERE tenant_id = ?"
        args: list[object] = [tenant_id]
        if state is not None:
            sql += " AND state = ?"
            args.append(state)
        if subscription_id is not None:
            sql += " AND subscription_id = ?"
            args.append(subscription_id)
        if cursor is not None:
            _, last_id = decode_cursor(cursor)
            sql += " AND delivery_id < ?"
            args.append(last_id)
        sql += " ORDER BY delivery_id DESC LIMIT ?"
        args.append(max(1, limit) + 1)  # one more row tells whether a next page exists
        with self.db.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        page = rows[: max(1, limit)]
        found = [Delivery.model_validate_json(r[0]) for r in page]
        if len(rows) <= max(1, limit):
            return found, None
        return found, encode_cursor([_CURSOR_TAG, page[-1][1]])

    def delete_final_before(self, cutoff: datetime) -> int:
        """Delete delivered and failed records created before ``cutoff`` (what DynamoDB's TTL
        does for the aws adapter); their bodies expire with the blob layout. How many."""
        # Ids start with their creation time (``jobs.deliveries.delivery_id``), so they compare.
        before = f"dl_{cutoff.strftime('%Y%m%dT%H%M%S%f')}"
        with self.db.write() as conn:
            cur = conn.execute(
                "DELETE FROM deliveries WHERE due_at IS NULL AND delivery_id < ?", (before,)
            )
            return cur.rowcount

    def ping(self) -> None:
        """A trivial query, for health checks."""
        self.db.ping()
