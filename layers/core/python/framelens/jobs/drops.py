"""S3 drop events: which uploads an event names, and the outcome of turning each into a job.

Owns: parsing the S3 notification (keys arrive URL-encoded: ``unquote_plus``; sidecars are
skipped), and ``DropIngest``, which makes a job per upload (``jobs.ingest``) or writes why it
could not (``ingest-errors/<key>.json`` from ``stores.layout``), so no drop fails silently.
Does not own logging or metrics (the ingest function's doorway does that with the outcomes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from framelens.errors import FramelensError
from framelens.jobs.ingest import SIDECAR_SUFFIX, create_job_from_upload
from framelens.stores import layout

if TYPE_CHECKING:
    from framelens.jobs.service import JobService
    from framelens.stores import Stores

__all__ = ["DropIngest", "Outcome", "Upload", "parse_event"]


@dataclass(frozen=True, slots=True)
class Upload:
    """One object of an S3 event: the decoded key, or why it could not be decoded."""

    raw_key: str
    key: str | None
    size: int
    etag: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one upload: a job, or a refusal with its code and message."""

    upload: Upload
    job_id: str | None = None
    code: str | None = None
    message: str | None = None


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


class DropIngest:
    """Turns uploads into jobs, recording every refusal in the bucket."""

    def __init__(self, stores: Stores, jobs: JobService, limits: tuple[int, float]) -> None:
        self._stores = stores
        self._jobs = jobs
        self._limits = limits

    def ingest(self, upload: Upload) -> Outcome:
        """The job made from ``upload``, or the recorded reason it was refused."""
        if upload.key is None:
            return self._refuse(upload, "bad_request", upload.error or "undecodable key")
        try:
            job = create_job_from_upload(
                self._stores,
                self._jobs,
                upload.key,
                size=upload.size,
                etag=upload.etag,
                limits=self._limits,
            )
        except FramelensError as exc:
            return self._refuse(upload, exc.code, exc.message)
        return Outcome(upload, job_id=job.id)

    def _refuse(self, upload: Upload, code: str, message: str) -> Outcome:
        body = {"key": upload.key, "raw_key": upload.raw_key, "code": code, "message": message}
        self._stores.blobs.put(
            layout.ingest_error_key(upload.raw_key),
            json.dumps(body).encode("utf-8"),
            "application/json",
        )
        return Outcome(upload, code=code, message=message)
