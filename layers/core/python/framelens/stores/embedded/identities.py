"""Gallery identities in SQLite: the embedded ``IdentityStore``.

Owns: two tables on the shared database (created here if missing): ``identities`` (one row per
identity: indexed tenant, gallery and creation time, plus the record JSON without embeddings)
and ``identity_embeddings`` (one float32 BLOB per vector, ordered by ``seq``). Every write is one
``BEGIN IMMEDIATE`` transaction, so a merge or delete never leaves half an identity. Does not
own the rules (``framelens.jobs.galleries``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import ConflictError, NotFoundError, ValidationError
from framelens.schemas.common import utcnow
from framelens.schemas.identities import IdentityRecord
from framelens.stores._vectors import pack_vector, unpack_vector
from framelens.stores.embedded._db import iso

if TYPE_CHECKING:
    import builtins
    import sqlite3

    from framelens.stores.embedded._db import Database

__all__ = ["SqliteIdentityStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    identity_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    gallery TEXT NOT NULL,
    time_created TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS identities_by_tenant
    ON identities (tenant_id, gallery, time_created, identity_id);
CREATE TABLE IF NOT EXISTS identity_embeddings (
    identity_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (identity_id, seq)
);
"""


def _missing(identity_id: str) -> NotFoundError:
    return NotFoundError(f"Identity {identity_id} not found.")


class SqliteIdentityStore:
    """``IdentityStore`` on the embedded database.

    Args:
        db: The shared database (see ``build_embedded_stores``).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.read() as conn:
            conn.executescript(_SCHEMA)

    # --- helpers (run inside a connection) ---------------------------------------------------

    @staticmethod
    def _row(conn: sqlite3.Connection, tenant_id: str, identity_id: str) -> IdentityRecord:
        row = conn.execute(
            "SELECT body FROM identities WHERE identity_id = ? AND tenant_id = ?",
            (identity_id, tenant_id),
        ).fetchone()
        if row is None:
            raise _missing(identity_id)
        record = IdentityRecord.model_validate_json(row[0])
        vectors = conn.execute(
            "SELECT vector FROM identity_embeddings WHERE identity_id = ? ORDER BY seq",
            (identity_id,),
        ).fetchall()
        return record.model_copy(update={"embeddings": [unpack_vector(v[0]) for v in vectors]})

    @staticmethod
    def _append(
        conn: sqlite3.Connection, identity_id: str, embeddings: builtins.list[builtins.list[float]]
    ) -> None:
        start = conn.execute(
            "SELECT COALESCE(MAX(seq) + 1, 0) FROM identity_embeddings WHERE identity_id = ?",
            (identity_id,),
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO identity_embeddings (identity_id, seq, vector) VALUES (?, ?, ?)",
            [(identity_id, start + k, pack_vector(v)) for k, v in enumerate(embeddings)],
        )

    @staticmethod
    def _write_body(conn: sqlite3.Connection, record: IdentityRecord) -> None:
        conn.execute(
            "UPDATE identities SET body = ? WHERE identity_id = ?",
            (record.model_dump_json(exclude={"embeddings"}), record.identity_id),
        )

    # --- the port ------------------------------------------------------------------------------

    def create(self, record: IdentityRecord) -> IdentityRecord:
        """Insert ``record``. Raises ``ConflictError`` if its id exists."""
        import sqlite3

        with self.db.write() as conn:
            try:
                conn.execute(
                    "INSERT INTO identities (identity_id, tenant_id, gallery, time_created, body)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        record.identity_id,
                        record.tenant_id,
                        record.gallery,
                        iso(record.time_created),
                        record.model_dump_json(exclude={"embeddings"}),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"Identity {record.identity_id} already exists.") from exc
            self._append(conn, record.identity_id, record.embeddings)
        return record

    def get(self, tenant_id: str, identity_id: str) -> IdentityRecord:
        """The tenant's identity. Raises ``NotFoundError`` for unknown and foreign ids."""
        with self.db.read() as conn:
            return self._row(conn, tenant_id, identity_id)

    def list(self, tenant_id: str, gallery: str | None = None) -> builtins.list[IdentityRecord]:
        """The tenant's identities, oldest first (of one ``gallery`` if given)."""
        sql = "SELECT identity_id FROM identities WHERE tenant_id = ?"
        args: builtins.list[object] = [tenant_id]
        if gallery is not None:
            sql += " AND gallery = ?"
            args.append(gallery)
        sql += " ORDER BY time_created, identity_id"
        with self.db.read() as conn:
            ids = [r[0] for r in conn.execute(sql, args).fetchall()]
            return [self._row(conn, tenant_id, i) for i in ids]

    def rename(self, tenant_id: str, identity_id: str, name: str) -> IdentityRecord:
        """Change the name. Raises ``NotFoundError``."""
        with self.db.write() as conn:
            record = self._row(conn, tenant_id, identity_id)
            record = record.model_copy(update={"name": name, "time_updated": utcnow()})
            self._write_body(conn, record)
        return record

    def set_allowlisted(
        self, tenant_id: str, identity_id: str, allowlisted: bool
    ) -> IdentityRecord:
        """Set the ``allowlisted`` flag. Raises ``NotFoundError``."""
        with self.db.write() as conn:
            record = self._row(conn, tenant_id, identity_id)
            record = record.model_copy(
                update={"allowlisted": allowlisted, "time_updated": utcnow()}
            )
            self._write_body(conn, record)
        return record

    def add_embeddings(
        self, tenant_id: str, identity_id: str, embeddings: builtins.list[builtins.list[float]]
    ) -> IdentityRecord:
        """Append embeddings. Raises ``NotFoundError``."""
        with self.db.write() as conn:
            record = self._row(conn, tenant_id, identity_id)
            self._append(conn, identity_id, embeddings)
            record = record.model_copy(
                update={"embeddings": [*record.embeddings, *embeddings], "time_updated": utcnow()}
            )
            self._write_body(conn, record)
        return record

    def merge(self, tenant_id: str, keep_id: str, other_id: str) -> IdentityRecord:
        """Move ``other_id``'s embeddings into ``keep_id`` and delete ``other_id``."""
        if keep_id == other_id:
            raise ValidationError("An identity cannot be merged with itself.")
        with self.db.write() as conn:
            keep = self._row(conn, tenant_id, keep_id)
            other = self._row(conn, tenant_id, other_id)
            if keep.gallery != other.gallery:
                raise ValidationError(
                    f"Identities {keep_id} and {other_id} are in different galleries "
                    f"({keep.gallery!r}, {other.gallery!r}); only one gallery's can merge."
                )
            self._append(conn, keep_id, other.embeddings)
            conn.execute("DELETE FROM identity_embeddings WHERE identity_id = ?", (other_id,))
            conn.execute("DELETE FROM identities WHERE identity_id = ?", (other_id,))
            merged = keep.model_copy(
                update={
                    "embeddings": [*keep.embeddings, *other.embeddings],
                    "allowlisted": keep.allowlisted or other.allowlisted,
                    "time_updated": utcnow(),
                }
            )
            self._write_body(conn, merged)
        return merged

    def delete(self, tenant_id: str, identity_id: str) -> None:
        """Remove the identity and its embeddings. Raises ``NotFoundError``."""
        with self.db.write() as conn:
            cur = conn.execute(
                "DELETE FROM identities WHERE identity_id = ? AND tenant_id = ?",
                (identity_id, tenant_id),
            )
            if cur.rowcount == 0:
                raise _missing(identity_id)
            conn.execute("DELETE FROM identity_embeddings WHERE identity_id = ?", (identity_id,))

    def ping(self) -> None:
        """A trivial query, for health checks."""
        self.db.ping()
