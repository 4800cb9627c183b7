"""S3 drops: an ``ObjectCreated`` event under ``uploads/`` becomes a job.

Owns: parsing the S3 event (keys arrive URL-encoded: ``unquote_plus``), skipping sidecars, and
turning a refused upload into a visible failure record. Does not own reading the tenant and
modules (object metadata ``x-amz-meta-tenant`` / ``-modules``, or the sidecar
``<key>.json`` uploaded *before* the media) nor creating the job: both are
``framelens.jobs.ingest.create_job_from_upload``.

Failures are never silent: an undecodable key, an unknown tenant, a bad sidecar or media that
fails the content check is logged as an ERROR, counted (``IngestFailed``) and written to
``ingest-errors/<key>.json`` in the bucket (no job exists then to carry the error).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from framelens.errors import FramelensError
from framelens.jobs.ingest import create_job_from_upload, object_metadata
from framelens.runtime import build_services

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()
SIDECAR_SUFFIX = ".json"
ERRORS_PREFIX = "ingest-errors/"


@dataclass(frozen=True, slots=True)
class Upload:
    """One object of an S3 event: the decoded key, or why it could not be decoded."""

    raw_key: str
    key: str | None
    size: int
    etag: str | None
    error: str | None = None


@cache
def _services() -> Any:
    return build_services()


def parse_event(event: dict[str, Any]) -> list[Upload]:
    """The uploads an S3 notification names (sidecars left out).

    Examples:
        >>> event = {"Records": [{"s3": {"object": {"key": "uploads/a+b%C3%A9.mp4"}}}]}
        >>> [u.key for u in parse_event(event)]
        ['uploads/a bé.mp4']
    """
    uploads = []
    for record in event.get("Records", []):
        obj = record.get("s3", {}).get("object", {})
        raw = str(obj.get("key", ""))
        size, etag = int(obj.get("size", 0)), obj.get("eTag")
        try:
            key = unquote_plus(raw, errors="strict")
        except UnicodeDecodeError as exc:
            uploads.append(Upload(raw, None, size, etag, error=f"key is not UTF-8: {exc.reason}"))
            continue
        if key.endswith(SIDECAR_SUFFIX):
            continue  # a sidecar is read with its media object, never a job of its own
        uploads.append(Upload(raw, key, size, etag))
    return uploads


def record_failure(upload: Upload, code: str, message: str) -> None:
    """Log, count and store why ``upload`` did not become a job."""
    logger.error("upload refused", extra={"s3_key": upload.raw_key, "code": code})
    metrics.add_metric(name="IngestFailed", unit=MetricUnit.Count, value=1)
    body = {"key": upload.key, "raw_key": upload.raw_key, "code": code, "message": message}
    _services().stores.blobs.put(
        f"{ERRORS_PREFIX}{upload.raw_key}{SIDECAR_SUFFIX}",
        json.dumps(body).encode("utf-8"),
        "application/json",
    )


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Create one job per uploaded object; returns the job ids and the refused keys."""
    created: list[str] = []
    refused: list[str] = []
    for upload in parse_event(event):
        if upload.key is None:
            record_failure(upload, "bad_request", upload.error or "undecodable key")
            refused.append(upload.raw_key)
            continue
        try:
            services = _services()
            job = create_job_from_upload(
                services,
                upload.key,
                size=upload.size,
                etag=upload.etag,
                metadata=object_metadata(services.stores.blobs, upload.key),
            )
        except FramelensError as exc:
            record_failure(upload, exc.code, exc.message)
            refused.append(upload.raw_key)
            continue
        logger.info("job created", extra={"job_id": job.id, "s3_key": upload.key})
        metrics.add_metric(name="IngestJobCreated", unit=MetricUnit.Count, value=1)
        created.append(job.id)
    return {"created": created, "refused": refused}
