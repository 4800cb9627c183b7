"""API keys, tenants and counters in SQLite: the embedded ``KeyStore`` and ``CounterStore``.

Owns: key rows (looked up by hash and by id), tenant rows, and counters whose increments are
exact across threads and processes (``BEGIN IMMEDIATE`` serialises the read-check-write).
Does not own hashing keys or deciding limits (``framelens.auth``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from framelens.errors import NotFoundError
from framelens.schemas import KeyRecord, Tenant
from framelens.stores.embedded._db import iso

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.stores.embedded._db import Database

__all__ = ["SqliteCounterStore", "SqliteKeyStore"]


class SqliteKeyStore:
    """``KeyStore`` on the embedded database.

    Args:
        db: The shared database (see ``build_embedded_stores``).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def put_key(self, key: KeyRecord) -> None:
        """Create or replace a key record (revoking is a put with ``revoked=True``)."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO keys (key_id, key_hash, tenant_id, time_created, body)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    key.key_id,
                    key.key_hash,
                    key.tenant_id,
                    iso(key.time_created),
                    key.model_dump_json(),
                ),
            )

    def get_key_by_hash(self, key_hash: str) -> KeyRecord | None:
        """The key whose secret hashes to ``key_hash``, revoked or not; ``None`` if unknown."""
        with self.db.read() as conn:
            row = conn.execute("SELECT body FROM keys WHERE key_hash = ?", (key_hash,)).fetchone()
        return None if row is None else KeyRecord.model_validate_json(row[0])

    def get_key(self, key_id: str) -> KeyRecord:
        """A key by id. Raises ``NotFoundError``."""
        with self.db.read() as conn:
            row = conn.execute("SELECT body FROM keys WHERE key_id = ?", (key_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"Key {key_id} not found.")
        return KeyRecord.model_validate_json(row[0])

    def list_keys(self, tenant_id: str | None = None) -> list[KeyRecord]:
        """Keys of one tenant, or of all tenants, oldest first."""
        sql = "SELECT body FROM keys"
        args: tuple[str, ...] = ()
        if tenant_id is not None:
            sql += " WHERE tenant_id = ?"
            args = (tenant_id,)
        with self.db.read() as conn:
            rows = conn.execute(sql + " ORDER BY time_created, key_id", args).fetchall()
        return [KeyRecord.model_validate_json(r[0]) for r in rows]

    def put_tenant(self, tenant: Tenant) -> None:
        """Create or replace a tenant."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO tenants (tenant_id, body) VALUES (?, ?)",
                (tenant.tenant_id, tenant.model_dump_json()),
            )

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant, or ``None``."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM tenants WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()
        return None if row is None else Tenant.model_validate_json(row[0])

    def ping(self) -> None:
        """A trivial query, for health checks."""
        self.db.ping()


class SqliteCounterStore:
    """``CounterStore`` on the embedded database.

    Args:
        db: The shared database (see ``build_embedded_stores``).
        clock: Seconds since the epoch; injected by tests to expire counters without sleeping.
    """

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def incr(
        self, name: str, amount: float, *, limit: float | None = None, ttl_s: int | None = None
    ) -> float | None:
        """Add ``amount`` unless the result would exceed ``limit``; ``None`` when refused.

        ``ttl_s`` sets the expiry when the counter is created (or re-created after expiring);
        later increments keep that expiry, so a rate-limit window never slides.
        """
        now = self.clock()
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT value, expires_at FROM counters WHERE name = ?", (name,)
            ).fetchone()
            fresh = row is None or (row[1] is not None and row[1] <= now)
            current = 0.0 if fresh else float(row[0])
            new = current + amount
            if limit is not None and new > limit:
                return None
            expires_at = (now + ttl_s if ttl_s is not None else None) if fresh else row[1]
            conn.execute(
                "INSERT OR REPLACE INTO counters (name, value, expires_at) VALUES (?, ?, ?)",
                (name, new, expires_at),
            )
        return new

    def get(self, name: str) -> float:
        """The counter's value; 0 when missing or expired."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT value, expires_at FROM counters WHERE name = ?", (name,)
            ).fetchone()
        if row is None or (row[1] is not None and row[1] <= self.clock()):
            return 0.0
        return float(row[0])

    def ping(self) -> None:
        """A trivial query, for health checks."""
        self.db.ping()
