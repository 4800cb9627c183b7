"""The embedded adapter's SQLite database: schema, per-thread connections, write transactions.

Owns: opening ``<data_dir>/framelens.db`` in WAL mode, the schema, and the ``BEGIN IMMEDIATE``
transactions that make read-modify-write exact across threads and processes. Does not own what
the tables mean (``records``, ``keys``).
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from framelens.errors import StoreError, ValidationError
from framelens.stores.failures import failure_reason

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    time_created TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    idem TEXT UNIQUE,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs (tenant_id, time_created DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE TABLE IF NOT EXISTS job_files (
    tenant_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    time_created TEXT NOT NULL,
    job_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, file_id, job_id)
);
CREATE INDEX IF NOT EXISTS job_files_newest
    ON job_files (tenant_id, file_id, time_created DESC, job_id DESC);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    time_created TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_tenant ON files (tenant_id, time_created DESC, file_id DESC);
CREATE TABLE IF NOT EXISTS keys (
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    time_created TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_by_tenant ON keys (tenant_id, time_created);
CREATE TABLE IF NOT EXISTS tenants (
    tenant_id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value REAL NOT NULL,
    expires_at REAL
);
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
    subscription_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    time_created TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_by_tenant
    ON webhook_subscriptions (tenant_id, time_created, subscription_id);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    subscription_id TEXT,
    state TEXT NOT NULL,
    due_at TEXT,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_tenant ON deliveries (tenant_id, delivery_id DESC);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;
"""

# Columns added after a table first shipped: (table, column, definition). Databases made by an
# earlier version get them on open; the indexes over them are created afterwards.
_ADDED_COLUMNS = (("files", "folder", "TEXT NOT NULL DEFAULT '/'"),)
_LATE_INDEXES = """
CREATE INDEX IF NOT EXISTS files_by_folder
    ON files (tenant_id, folder, time_created DESC, file_id DESC);
"""

# ``PRAGMA user_version`` after the migrations below ran (a new database starts at it).
_SCHEMA_VERSION = 1
# Version 1 added ``job_files`` (jobs by source file): index the jobs that were there before.
_BACKFILL_JOB_FILES = """
INSERT OR IGNORE INTO job_files (tenant_id, file_id, time_created, job_id)
SELECT jobs.tenant_id, substr(source.value, 11), jobs.time_created, jobs.id
FROM jobs, json_each(jobs.body, '$.sources') AS source
WHERE source.value LIKE 'storage://%'
"""

# Writers queue on SQLite's lock rather than fail: a burst of requests must wait, not 500.
_BUSY_TIMEOUT_MS = 30_000


def iso(dt: datetime) -> str:
    """A fixed-width UTC timestamp whose string order is its time order (naive means UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_cursor(parts: list[str]) -> str:
    """An opaque page cursor from the sort key of the last row returned."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parts_count: int = 2) -> list[str]:
    """The sort key a cursor carries (``parts_count`` strings).

    Raises:
        ValidationError: a cursor this API did not return.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise ValidationError("The cursor is not valid; pass back a next_cursor value.") from exc
    if (
        not isinstance(parts, list)
        or len(parts) != parts_count
        or not all(isinstance(p, str) for p in parts)
    ):
        raise ValidationError("The cursor is not valid; pass back a next_cursor value.")
    return parts


def _make_private(path: Path) -> None:
    """Create the database file readable by this user only (it holds key hashes, jobs and
    sealed webhook secrets), and narrow an existing one and its WAL files (best effort: a file
    another user owns keeps its mode); SQLite gives the WAL and shared-memory files it creates
    the database file's mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"Cannot create the database at {path}.") from exc
    for extra in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with suppress(OSError):
            if extra.exists() and extra.stat().st_mode & 0o077:
                extra.chmod(0o600)


class Database:
    """One SQLite file shared by every embedded store; a connection per thread.

    Args:
        path: The database file; created with its schema when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        _make_private(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._closed = False
        # executescript commits on its own, so it runs outside ``write()``.
        with self.read() as conn:
            conn.executescript(_SCHEMA)
            for table, column, definition in _ADDED_COLUMNS:
                present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if column not in present:  # table and column are our constants
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            conn.executescript(_LATE_INDEXES)
        self._migrate()

    def _migrate(self) -> None:
        with self.write() as conn:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version < 1:
                conn.execute(_BACKFILL_JOB_FILES)
            if version < _SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves so read-modify-write takes the
        # write lock up front (BEGIN IMMEDIATE) instead of upgrading and deadlocking.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives process crashes; only power loss can drop the last commits.
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def conn(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        if self._closed:
            raise StoreError("The embedded store is closed.")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = self._connect()
            except sqlite3.Error as exc:
                raise StoreError(f"Cannot open the database at {self.path}.") from exc
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads; sqlite errors become ``StoreError``."""
        try:
            yield self.conn()
        except sqlite3.Error as exc:
            raise StoreError("The embedded database failed.") from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on exit, rolled back on any error."""
        conn = self.conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(_failed("is locked or failed", exc)) from exc
        try:
            yield conn
        except sqlite3.Error as exc:
            _rollback(conn)
            raise StoreError(_failed("failed", exc)) from exc
        except BaseException:
            _rollback(conn)
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            # A failed COMMIT (a full disk) can leave the transaction open: roll it back, or
            # this thread's connection would refuse every later BEGIN.
            _rollback(conn)
            raise StoreError(_failed("failed to commit", exc)) from exc

    def ping(self) -> None:
        """A trivial query, for health checks."""
        with self.read() as conn:
            conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        """Close every connection; later use raises ``StoreError``. Safe to call twice."""
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


def _rollback(conn: sqlite3.Connection) -> None:
    """End an open transaction; a rollback that fails too must not hide the first error."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _failed(what: str, exc: sqlite3.Error) -> str:
    return f"The embedded database {what} ({failure_reason(exc)}); retry later."
