"""Job records in DynamoDB: the aws ``JobStore`` (files: ``stores.aws.files``).

Owns: the item layout documented in ``tables`` (``body`` JSON plus key and index attributes),
transactional idempotent creates, version-conditional updates, newest-first pages on the
``by_tenant`` GSI and moving oversized job bodies to S3. Does not own job rules.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import (
    ConflictError,
    IdempotencyConflictError,
    NotFoundError,
)
from framelens.schemas import JobRecord, JobState
from framelens.stores import layout
from framelens.stores.aws._client import (
    error_code,
    iso,
    scan_all,
    translate,
)
from framelens.stores.aws.job_files import JobFileIndex
from framelens.stores.aws.pages import query_page, string_attr

if TYPE_CHECKING:
    import builtins

    from framelens.stores.aws._client import AwsClients

__all__ = ["DynamoJobStore", "iso"]

_AWS_ERRORS = (ClientError, BotoCoreError)
# DynamoDB items are capped at 400 KB; leave room for the other attributes.
_MAX_INLINE_BODY = 350_000


class DynamoJobStore:
    """``JobStore`` on the jobs table (bodies over ~350 KB go to S3).

    Args:
        clients: The shared lazily built clients.
        table: The jobs table (``FRAMELENS_JOBS_TABLE``).
        bucket: Where oversized job bodies go (``FRAMELENS_MEDIA_BUCKET``).
        ttl_days: Days after creation when DynamoDB may expire a job (``job_ttl_days``).
    """

    def __init__(self, clients: AwsClients, table: str, bucket: str, ttl_days: int = 30) -> None:
        self.clients = clients
        self.table = table
        self.bucket = bucket
        self.ttl_days = ttl_days
        self.by_file = JobFileIndex(clients, table)

    def _item(self, job: JobRecord) -> dict[str, Any]:
        expires = job.time_created + timedelta(days=self.ttl_days)
        item: dict[str, Any] = {
            "job_id": string_attr(job.id),
            "tenant_id": string_attr(job.tenant_id),
            "time_created": string_attr(iso(job.time_created)),
            "state": string_attr(job.state.value),
            "version": {"N": str(job.version)},
            "expires_at": {"N": str(int(expires.timestamp()))},
        }
        body = job.model_dump_json()
        if len(body.encode()) <= _MAX_INLINE_BODY:
            item["body"] = string_attr(body)
            return item
        # Versioned key: a write that loses its condition never clobbers the winner's body.
        ref = layout.record_key("jobs", f"{job.id}.v{job.version}")
        try:
            self.clients.s3.put_object(
                Bucket=self.bucket, Key=ref, Body=body.encode(), ContentType="application/json"
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"job {job.id} body")
        item["body_ref"] = string_attr(ref)
        return item

    def _record(self, item: dict[str, Any]) -> JobRecord:
        if "body" in item:
            return JobRecord.model_validate_json(item["body"]["S"])
        ref = item["body_ref"]["S"]
        try:
            body = self.clients.s3.get_object(Bucket=self.bucket, Key=ref)["Body"].read()
        except _AWS_ERRORS as exc:
            translate(exc, f"job body {ref}")
        return JobRecord.model_validate_json(body)

    def _get_item(self, pk: str) -> dict[str, Any] | None:
        try:
            out = self.clients.dynamodb.get_item(
                TableName=self.table, Key={"job_id": string_attr(pk)}, ConsistentRead=True
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"job {pk}")
        item: dict[str, Any] | None = out.get("Item")
        return item

    def create(self, job: JobRecord) -> tuple[JobRecord, bool]:
        """Insert ``job``, or return the job an earlier request with its idempotency key made.

        Raises:
            IdempotencyConflictError: The key was used with a different ``request_hash``.
            ConflictError: A job with this id already exists.
        """
        item = self._item(job)
        self.by_file.put(job, item["time_created"]["S"], item["expires_at"]["N"])
        put_job = {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(job_id)",
        }
        try:
            if job.idempotency_key is None:
                self.clients.dynamodb.put_item(**put_job)
                return job, True
            idem_pk = f"idem#{job.tenant_id}#{job.idempotency_key}"
            idem_item = {
                "job_id": string_attr(idem_pk),
                "target_job_id": string_attr(job.id),
                "request_hash": string_attr(job.request_hash or ""),
                "expires_at": item["expires_at"],
            }
            self.clients.dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": put_job},
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": idem_item,
                            "ConditionExpression": "attribute_not_exists(job_id)",
                        }
                    },
                ]
            )
            return job, True
        except ClientError as exc:
            if error_code(exc) not in {
                "ConditionalCheckFailedException",
                "TransactionCanceledException",
            }:
                translate(exc, f"job {job.id}")
            if job.idempotency_key is None:
                raise ConflictError(f"Job {job.id} already exists.") from exc
            return self._idempotent_outcome(job, exc)
        except BotoCoreError as exc:
            translate(exc, f"job {job.id}")

    def _idempotent_outcome(self, job: JobRecord, exc: ClientError) -> tuple[JobRecord, bool]:
        idem = self._get_item(f"idem#{job.tenant_id}#{job.idempotency_key}")
        if idem is None:
            # The idempotency item was free, so the job id itself was taken.
            raise ConflictError(f"Job {job.id} already exists.") from exc
        if idem["request_hash"]["S"] != (job.request_hash or ""):
            raise IdempotencyConflictError(
                "This Idempotency-Key was already used with a different request body; "
                "use a new key for a new request."
            ) from exc
        return self.get(idem["target_job_id"]["S"], job.tenant_id), False

    def get(self, job_id: str, tenant_id: str | None = None) -> JobRecord:
        """The job; another tenant's job raises ``NotFoundError`` like an unknown id."""
        item = self._get_item(job_id)
        # Idempotency items share the table but have no tenant_id: never a job.
        if item is None or "tenant_id" not in item:
            raise NotFoundError(f"Job {job_id} not found.")
        if tenant_id is not None and item["tenant_id"]["S"] != tenant_id:
            raise NotFoundError(f"Job {job_id} not found.")
        return self._record(item)

    def list(
        self, tenant_id: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[JobRecord], str | None]:
        """The tenant's jobs newest first and the next page's cursor (``None`` on the last)."""
        items, next_cursor = query_page(
            self.clients, self.table, "job_id", tenant_id, limit, cursor
        )
        return [self._record(i) for i in items], next_cursor

    def list_for_file(
        self, tenant_id: str, file_id: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[builtins.list[JobRecord], str | None]:
        """The tenant's jobs with source ``storage://<file_id>``, newest first, and a cursor."""
        ids, next_cursor = self.by_file.page(tenant_id, file_id, limit, cursor)
        found = self._batch_get(ids)
        jobs = [found[i] for i in ids if i in found and found[i].tenant_id == tenant_id]
        return jobs, next_cursor

    def _batch_get(self, ids: builtins.list[str]) -> dict[str, JobRecord]:
        """The jobs of ``ids`` that exist (one BatchGetItem per 100 ids, consistent reads)."""
        found: dict[str, JobRecord] = {}
        try:
            for start in range(0, len(ids), 100):
                keys = [{"job_id": string_attr(i)} for i in ids[start : start + 100]]
                pending: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
                while pending:
                    out = self.clients.dynamodb.batch_get_item(RequestItems=pending)
                    for item in out.get("Responses", {}).get(self.table, []):
                        if "tenant_id" in item:
                            record = self._record(item)
                            found[record.id] = record
                    pending = out.get("UnprocessedKeys") or {}
        except _AWS_ERRORS as exc:
            translate(exc, "jobs")
        return found

    def update(self, job: JobRecord) -> JobRecord:
        """Write ``job`` if nobody wrote since it was read; returns it at ``version + 1``.

        Raises:
            ConflictError: The stored version differs from ``job.version``.
            NotFoundError: The job does not exist.
        """
        new = job.model_copy(update={"version": job.version + 1})
        item = self._item(new)
        try:
            out = self.clients.dynamodb.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_exists(tenant_id) AND version = :v",
                ExpressionAttributeValues={":v": {"N": str(job.version)}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                translate(exc, f"job {job.id}")
            if "body_ref" in item:
                self._delete_body(item["body_ref"]["S"])
            stored = self._get_item(job.id)
            if stored is None or "tenant_id" not in stored:
                raise NotFoundError(f"Job {job.id} not found.") from exc
            raise ConflictError(
                f"Job {job.id} changed since it was read; re-read and retry."
            ) from exc
        except BotoCoreError as exc:
            translate(exc, f"job {job.id}")
        old_ref = out.get("Attributes", {}).get("body_ref")
        if old_ref is not None:
            self._delete_body(old_ref["S"])
        return new

    def _delete_body(self, ref: str) -> None:
        # Best effort: an orphaned body costs storage, never correctness.
        try:
            self.clients.s3.delete_object(Bucket=self.bucket, Key=ref)
        except _AWS_ERRORS:
            return

    def list_active(self) -> builtins.list[JobRecord]:
        """Every queued or running job of every tenant, oldest first (a filtered scan)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "#s IN (:q, :r)",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {
                ":q": string_attr(JobState.queued.value),
                ":r": string_attr(JobState.running.value),
            },
        }
        items = scan_all(self.clients.dynamodb, "active jobs", **kwargs)
        items.sort(key=lambda i: i["time_created"]["S"])
        return [self._record(i) for i in items]

    def ping(self) -> None:
        """``DescribeTable``: the table exists and we may use it."""
        try:
            self.clients.dynamodb.describe_table(TableName=self.table)
        except _AWS_ERRORS as exc:
            translate(exc, f"table {self.table}")
