"""Jobs by source file on the jobs table: the ``by_file`` index items of ``tables``.

Owns: writing one immutable index item per ``storage://`` source of a new job (before the job,
so a job is never unindexed) and reading a file's job ids newest first, a page at a time, from
the ``by_file`` GSI. Does not own the jobs themselves (``records.DynamoJobStore`` reads them by
id and skips an index item whose job was never written).

Why index items rather than a scan of the tenant's jobs: a file's jobs are found in one query
whatever else the tenant ran, the items never change after the job is created (no write
amplification on the job's many updates), and they expire with the job (same ``expires_at``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import ValidationError
from framelens.stores._sources import storage_file_ids
from framelens.stores.aws._client import decode_cursor, encode_cursor, translate
from framelens.stores.aws.tables import BY_FILE

if TYPE_CHECKING:
    from framelens.schemas import JobRecord
    from framelens.stores.aws._client import AwsClients

__all__ = ["JobFileIndex"]

_AWS_ERRORS = (ClientError, BotoCoreError)
_BATCH_WRITE = 25  # BatchWriteItem's limit
_CURSOR_KEYS = {"job_id", "file_key", "time_created"}


def _file_key(tenant_id: str, file_id: str) -> str:
    return f"{tenant_id}#{file_id}"


class JobFileIndex:
    """The ``by_file`` index items of the jobs table.

    Args:
        clients: The shared lazily built clients.
        table: The jobs table.
    """

    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients = clients
        self.table = table

    def put(self, job: JobRecord, time_created: str, expires_at: str) -> None:
        """Index ``job`` under each of its stored files (idempotent: same items each time)."""
        items = [
            {
                "PutRequest": {
                    "Item": {
                        "job_id": {"S": f"file#{job.tenant_id}#{file_id}#{job.id}"},
                        "file_key": {"S": _file_key(job.tenant_id, file_id)},
                        "time_created": {"S": time_created},
                        "file_job_id": {"S": job.id},
                        "expires_at": {"N": expires_at},
                    }
                }
            }
            for file_id in storage_file_ids(job.sources)
        ]
        try:
            for start in range(0, len(items), _BATCH_WRITE):
                pending: dict[str, Any] = {self.table: items[start : start + _BATCH_WRITE]}
                while pending:
                    out = self.clients.dynamodb.batch_write_item(RequestItems=pending)
                    pending = out.get("UnprocessedItems") or {}
        except _AWS_ERRORS as exc:
            translate(exc, f"job {job.id} file index")

    def page(
        self, tenant_id: str, file_id: str, limit: int, cursor: str | None
    ) -> tuple[list[str], str | None]:
        """Up to ``limit`` job ids of the file, newest first, and the next page's cursor."""
        limit = max(1, limit)
        file_key = _file_key(tenant_id, file_id)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": BY_FILE,
            "KeyConditionExpression": "file_key = :f",
            "ExpressionAttributeValues": {":f": {"S": file_key}},
            "ScanIndexForward": False,
            "Limit": limit + 1,  # one more tells whether a next page exists
        }
        if cursor is not None:
            start = decode_cursor(cursor, _CURSOR_KEYS)
            if start["file_key"] != file_key:
                raise ValidationError("The cursor is not valid; pass back a next_cursor value.")
            kwargs["ExclusiveStartKey"] = {k: {"S": v} for k, v in start.items()}
        try:
            items: list[dict[str, Any]] = self.clients.dynamodb.query(**kwargs)["Items"]
        except _AWS_ERRORS as exc:
            translate(exc, f"file {file_id} jobs")
        ids = [i["file_job_id"]["S"] for i in items[:limit]]
        if len(items) <= limit:
            return ids, None
        last = items[limit - 1]
        return ids, encode_cursor({k: last[k]["S"] for k in _CURSOR_KEYS})
