"""Job and file records in SQLite: the embedded ``JobStore`` and ``FileStore``.

Owns: rows holding each record as pydantic JSON plus the indexed columns that queries need
(tenant, creation time, state, version, idempotency key), conditional writes and newest-first
cursor pages. Does not own job rules (``framelens.jobs``): it only refuses lost updates.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from framelens.errors import (
    ConflictError,
    IdempotencyConflictError,
    NotFoundError,
    ValidationError,
)
from framelens.schemas import FileRecord, JobRecord, JobState
from framelens.stores._sources import storage_file_ids
from framelens.stores.embedded._db import decode_cursor, encode_cursor, iso

if TYPE_CHECKING:
    import builtins

    from framelens.stores.embedded._db import Database

__all__ = ["SqliteFileStore", "SqliteJobStore"]

_ACTIVE = (JobState.queued.value, JobState.running.value)


def _idem(job: JobRecord) -> str | None:
    # The key is scoped to the tenant: two tenants may use the same Idempotency-Key.
    if job.idempotency_key is None:
        return None
    return f"{job.tenant_id}\x1f{job.idempotency_key}"


def _page_query(
    table: str,
    id_col: str,
    tenant_id: str,
    limit: int,
    cursor: str | None,
    folder: str | None = None,
) -> tuple[str, list[object]]:
    sql = f"SELECT body FROM {table} WHERE tenant_id = ?"  # table and id_col are our constants
    args: list[object] = [tenant_id]
    if folder is not None:
        sql += " AND folder = ?"
        args.append(folder)
    if cursor is not None:
        # A folder listing's cursor names its folder, so it never pages another listing.
        parts = decode_cursor(cursor, parts_count=2 if folder is None else 3)
        if parts[2:] != ([] if folder is None else [folder]):
            raise ValidationError("The cursor is not valid; pass back a next_cursor value.")
        created, last_id = parts[:2]
        sql += f" AND (time_created, {id_col}) < (?, ?)"
        args += [created, last_id]
    sql += f" ORDER BY time_created DESC, {id_col} DESC LIMIT ?"
    # One extra row tells whether a next page exists, so the last page has no cursor.
    args.append(max(1, limit) + 1)
    return sql, args


class SqliteJobStore:
    """``JobStore`` on the embedded database.

    Args:
        db: The shared database (see ``build_embedded_stores``).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, job: JobRecord) -> tuple[JobRecord, bool]:
        """Insert ``job``, or return the job an earlier request with its idempotency key made.

        Raises:
            IdempotencyConflictError: The key was used with a different ``request_hash``.
            ConflictError: A job with this id already exists.
        """
        idem = _idem(job)
        with self.db.write() as conn:
            if idem is not None:
                row = conn.execute("SELECT body FROM jobs WHERE idem = ?", (idem,)).fetchone()
                if row is not None:
                    existing = JobRecord.model_validate_json(row[0])
                    if existing.request_hash != job.request_hash:
                        raise IdempotencyConflictError(
                            "This Idempotency-Key was already used with a different request "
                            "body; use a new key for a new request."
                        )
                    return existing, False
            try:
                conn.execute(
                    "INSERT INTO jobs (id, tenant_id, time_created, state, version, idem, body)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        job.id,
                        job.tenant_id,
                        iso(job.time_created),
                        job.state.value,
                        job.version,
                        idem,
                        job.model_dump_json(),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"Job {job.id} already exists.") from exc
            conn.executemany(
                "INSERT OR IGNORE INTO job_files (tenant_id, file_id, time_created, job_id)"
                " VALUES (?, ?, ?, ?)",
                [
                    (job.tenant_id, file_id, iso(job.time_created), job.id)
                    for file_id in storage_file_ids(job.sources)
                ],
            )
        return job, True

    def get(self, job_id: str, tenant_id: str | None = None) -> JobRecord:
        """The job; another tenant's job raises ``NotFoundError`` like an unknown id."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT tenant_id, body FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        if row is None or (tenant_id is not None and row[0] != tenant_id):
            raise NotFoundError(f"Job {job_id} not found.")
        return JobRecord.model_validate_json(row[1])

    def list(
        self, tenant_id: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[JobRecord], str | None]:
        """The tenant's jobs newest first and the next page's cursor (``None`` on the last)."""
        sql, args = _page_query("jobs", "id", tenant_id, limit, cursor)
        with self.db.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        jobs = [JobRecord.model_validate_json(r[0]) for r in rows]
        if len(jobs) <= max(1, limit):
            return jobs, None
        jobs = jobs[: max(1, limit)]
        return jobs, encode_cursor([iso(jobs[-1].time_created), jobs[-1].id])

    def list_for_file(
        self, tenant_id: str, file_id: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[builtins.list[JobRecord], str | None]:
        """The tenant's jobs with source ``storage://<file_id>``, newest first, and a cursor."""
        sql = (
            "SELECT jobs.body, job_files.time_created, job_files.job_id FROM job_files"
            " JOIN jobs ON jobs.id = job_files.job_id"
            " WHERE job_files.tenant_id = ? AND job_files.file_id = ?"
        )
        args: list[object] = [tenant_id, file_id]
        if cursor is not None:
            parts = decode_cursor(cursor, parts_count=3)
            if len(parts) != 3 or parts[0] != file_id:
                raise ValidationError("The cursor is not valid; pass back a next_cursor value.")
            _, created, last_id = parts
            sql += " AND (job_files.time_created, job_files.job_id) < (?, ?)"
            args += [created, last_id]
        sql += " ORDER BY job_files.time_created DESC, job_files.job_id DESC LIMIT ?"
        args.append(max(1, limit) + 1)  # one more row tells whether a next page exists
        with self.db.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        page = rows[: max(1, limit)]
        jobs = [JobRecord.model_validate_json(r[0]) for r in page]
        if len(rows) <= max(1, limit):
            return jobs, None
        return jobs, encode_cursor([file_id, page[-1][1], page[-1][2]])

    def update(self, job: JobRecord) -> JobRecord:
        """Write ``job`` if nobody wrote since it was read; returns it at ``version + 1``.

        Raises:
            ConflictError: The stored version differs from ``job.version``.
            NotFoundError: The job does not exist.
        """
        new = job.model_copy(update={"version": job.version + 1})
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE jobs SET state = ?, version = ?, body = ? WHERE id = ? AND version = ?",
                (new.state.value, new.version, new.model_dump_json(), job.id, job.version),
            )
            if cur.rowcount == 1:
                return new
            exists = conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job.id,)).fetchone()
        if exists is None:
            raise NotFoundError(f"Job {job.id} not found.")
        raise ConflictError(f"Job {job.id} changed since it was read; re-read and retry.")

    def list_active(self) -> builtins.list[JobRecord]:
        """Every queued or running job of every tenant, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM jobs WHERE state IN (?, ?) ORDER BY time_created", _ACTIVE
            ).fetchall()
        return [JobRecord.model_validate_json(r[0]) for r in rows]

    def ping(self) -> None:
        """A trivial query, for health checks."""
        self.db.ping()

    def close(self) -> None:
        """Close the shared database (every embedded store built with it)."""
        self.db.close()


class SqliteFileStore:
    """``FileStore`` on the embedded database.

    Args:
        db: The shared database (see ``build_embedded_stores``).
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, record: FileRecord) -> None:
        """Create or replace a file record."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO files (file_id, tenant_id, time_created, folder, body)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    record.file_id,
                    record.tenant_id,
                    iso(record.time_created),
                    record.folder,
                    record.model_dump_json(),
                ),
            )

    def get(self, tenant_id: str, file_id: str) -> FileRecord:
        """The tenant's file. Raises ``NotFoundError`` for unknown and foreign ids."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM files WHERE file_id = ? AND tenant_id = ?",
                (file_id, tenant_id),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"File {file_id} not found.")
        return FileRecord.model_validate_json(row[0])

    def list(
        self,
        tenant_id: str,
        limit: int = 50,
        cursor: str | None = None,
        folder: str | None = None,
    ) -> tuple[list[FileRecord], str | None]:
        """The tenant's files (of ``folder`` when given) newest first and the next page's cursor
        (``None`` on the last)."""
        sql, args = _page_query("files", "file_id", tenant_id, limit, cursor, folder)
        with self.db.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        files = [FileRecord.model_validate_json(r[0]) for r in rows]
        if len(files) <= max(1, limit):
            return files, None
        files = files[: max(1, limit)]
        last = [iso(files[-1].time_created), files[-1].file_id]
        return files, encode_cursor(last if folder is None else [*last, folder])

    def delete(self, tenant_id: str, file_id: str) -> None:
        """Remove the record. Raises ``NotFoundError`` for unknown and foreign ids."""
        with self.db.write() as conn:
            cur = conn.execute(
                "DELETE FROM files WHERE file_id = ? AND tenant_id = ?", (file_id, tenant_id)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"File {file_id} not found.")

    def ping(self) -> None:
        """A trivial query, for health checks."""
        self.db.ping()
