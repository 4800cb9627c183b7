"""What the seed-compatible routers share: status remapping and reading a job's module results.

The seeds disagree with each other on some codes (seed 000 answers 400 for an unsupported or
oversize file where the native API answers 415/413); each seed router states its own mapping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from framelens.errors import FramelensError, NotFoundError

if TYPE_CHECKING:
    from fastapi import Request

    from framelens.auth import Principal
    from framelens.runtime import Services
    from framelens.schemas import FileRecord, JobRecord

__all__ = [
    "JobFailedError",
    "artifact_url",
    "can_run_inline",
    "job_failure",
    "model_health",
    "module_result",
    "run_inline",
    "seed_statuses",
    "store_upload",
]


@contextmanager
def seed_statuses(mapping: dict[int, int]) -> Iterator[None]:
    """Re-map the HTTP status of library errors raised inside, per a seed's error table."""
    try:
        yield
    except FramelensError as exc:
        if exc.http_status in mapping:
            exc.http_status = mapping[exc.http_status]  # type: ignore[misc]
        raise


async def store_upload(
    request: Request, principal: Principal, services: Services, field: str
) -> FileRecord:
    """Receive the multipart ``field`` and store it as a checked file (``POST /v1/media`` rules)."""
    from starlette.concurrency import run_in_threadpool

    from framelens.api.uploads import read_upload
    from framelens.jobs.files import FileService

    files = FileService(services.stores, services.settings)
    async with read_upload(request, field, services.settings.max_upload_bytes) as upload:
        record: FileRecord = await run_in_threadpool(
            files.ingest, principal.tenant_id, upload.path, name=upload.name
        )
    return record


def can_run_inline(services: Services, record: FileRecord, max_seconds: float) -> bool:
    """Whether a seed route may answer synchronously: a local runner and short enough media."""
    duration = record.probe.duration_s or 0.0
    return services.runner is not None and duration <= max_seconds


async def run_inline(services: Services, job_id: str) -> JobRecord:
    """Run a job created with ``dispatch=False`` on a worker thread and return it, ended."""
    from starlette.concurrency import run_in_threadpool

    assert services.runner is not None
    await run_in_threadpool(services.runner.run_job, job_id)
    return services.stores.jobs.get(job_id)


class JobFailedError(FramelensError):
    """A synchronous seed request's job ended without results; carries the job's error code."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]
        self.http_status = http_status  # type: ignore[misc]


def job_failure(job: JobRecord) -> JobFailedError:
    """The error to answer when an inline job failed: its own code, 4xx for media problems."""
    if job.error is None:
        return JobFailedError("internal_error", "the analysis did not finish", 500)
    status = 500
    if job.error.code in ("unsupported_media_type", "unprocessable_media", "media_too_long"):
        status = 400
    return JobFailedError(job.error.code, job.error.message, status)


def model_health(services: Services, model: str) -> dict[str, Any]:
    """Seed health body ``{"status": "ok", "model_loaded": bool}``; loads the model if it can."""
    try:
        services.models.session(model)
    except FramelensError as exc:
        return {"status": "ok", "model_loaded": False, "model": model, "detail": exc.message}
    return {"status": "ok", "model_loaded": True, "model": model}


def module_result(
    services: Services, job: JobRecord, module: str, source_index: int = 0
) -> dict[str, Any] | None:
    """The merged result of ``module`` for one source of a finished job (``None`` if absent)."""
    key = job.result_keys.get(module)
    if key is None:
        return None
    try:
        doc = json.loads(services.stores.blobs.get(key))
    except NotFoundError:
        return None
    for entry in doc.get("sources", []):
        if entry.get("index") == source_index:
            result: dict[str, Any] | None = entry.get("result")
            return result
    return None


def artifact_url(job_id: str, key: str | None) -> str | None:
    """The API path that serves an artifact blob key of ``job_id``."""
    prefix = f"artifacts/{job_id}/"
    if not key or not key.startswith(prefix):
        return None
    return f"/v1/jobs/{job_id}/artifacts/{key.removeprefix(prefix)}"
