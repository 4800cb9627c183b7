"""What every seed router shares: upload → job → answer now or 202, and the seeds' error codes.

Owns: ``SeedFlow`` (which form field, which media, which modules, how long may be answered
inline) and ``receive_and_answer``, the one way a seed route turns an uploaded file into a
finished job or an accepted one; status remapping per seed error table; reading a finished job's
typed result; the seed health body. Whether a request is answered inline is the job service's
decision (its dispatcher's capability and the media's length), never a route's.

The seeds disagree with each other on some codes (seed 000 answers 400 for an unsupported or
oversize file where the native API answers 415/413); each seed router states its own mapping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from framelens.errors import (
    FramelensError,
    NotFoundError,
    UnsupportedMediaError,
    ValidationError,
)
from framelens.jobs.results import module_result
from framelens.schemas import JobCreate, JobState
from framelens.schemas.module_options import validate_module_options
from framelens.stores import layout

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi import Request

    from framelens.api.deps import AppServices
    from framelens.auth import Principal
    from framelens.schemas import FileRecord, JobRecord

__all__ = [
    "Answer",
    "JobFailedError",
    "SeedFlow",
    "artifact_url",
    "idempotency_key",
    "job_failure",
    "model_health",
    "read_result",
    "receive_and_answer",
    "seed_statuses",
]

ResultT = TypeVar("ResultT", bound=BaseModel)
_MAX_KEY = 200


@dataclass(frozen=True, slots=True)
class SeedFlow:
    """How one seed route turns an upload into a job.

    Attributes:
        form_field: the multipart field holding the file (``None``: the raw request body).
        media_types: what the file may be (checked by content).
        modules: the job's modules and options.
        kind: the job kind recorded on the job.
        inline_max_seconds: answer inline up to this media length; ``None``: always a job.
        status_map: the seed's error table: native status (or error code) → seed status.
        wrong_media: what to tell a client whose file is another kind of media.
        containers: the formats accepted (``probe.container``: ``"png"``, ``"docx"``...);
            ``None``: every format of ``media_types``.
    """

    form_field: str | None
    media_types: tuple[str, ...]
    modules: dict[str, dict[str, Any]]
    kind: str
    inline_max_seconds: float | None = None
    status_map: dict[int | str, int] = field(default_factory=dict)
    wrong_media: str = "send MP4, AVI, MOV, MKV or WebM"
    containers: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A stored upload and its job: ``finished`` when it ran inline, else dispatched."""

    record: FileRecord
    job: JobRecord
    inline: bool


@contextmanager
def seed_statuses(mapping: dict[int | str, int]) -> Iterator[None]:
    """Re-map the HTTP status of library errors raised inside, per a seed's error table (an
    error code in ``mapping`` wins over its status)."""
    try:
        yield
    except FramelensError as exc:
        status = mapping.get(exc.code, mapping.get(exc.http_status))
        if status is not None:
            exc.http_status = status  # type: ignore[misc]
        raise


_ARTICLES = {"image": "an image", "video": "a video", "document": "a document"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def idempotency_key(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` (at most 200 characters), or ``None``.

    Raises:
        ValidationError: a key longer than 200 characters.
    """
    key = request.headers.get("idempotency-key") or None
    if key is not None and len(key) > _MAX_KEY:
        raise ValidationError(
            f"Idempotency-Key must be at most {_MAX_KEY} characters",
            details={"header": "Idempotency-Key"},
        )
    return key


async def _store(
    request: Request, principal: Principal, services: AppServices, flow: SeedFlow
) -> tuple[FileRecord, str]:
    from framelens.api.uploads import read_upload
    from framelens.jobs.files import FileService

    files = FileService(services.stores, services.settings)
    limit = services.settings.max_upload_bytes
    async with read_upload(request, flow.form_field or "file", limit) as up:
        digest = await run_in_threadpool(_sha256, up.path)
        record: FileRecord = await run_in_threadpool(
            files.ingest, principal.tenant_id, up.path, name=up.name
        )
    if record.media_type not in flow.media_types:
        wanted = " or ".join(_ARTICLES.get(t, t) for t in flow.media_types)
        found = _ARTICLES.get(str(record.media_type), str(record.media_type))
        raise UnsupportedMediaError(f"the file is {found}, not {wanted}; {flow.wrong_media}")
    container = record.probe.container or ""
    if flow.containers is not None and container not in flow.containers:
        raise UnsupportedMediaError(
            f"the file is {container.upper() or 'an unknown format'}, which this endpoint does "
            f"not take; {flow.wrong_media}",
            details={"detected": container},
        )
    return record, digest


async def receive_and_answer(
    request: Request,
    principal: Principal,
    services: AppServices,
    flow: SeedFlow,
    *,
    webhook: Any = None,
    max_processing_time: int = 0,
) -> Answer:
    """Store the upload, create its job, and run it now when the job service says it may.

    Raises:
        JobFailedError: an inline job ended without results (its own code; 400 for media).
        FramelensError: upload, validation and quota errors, re-mapped by ``flow.status_map``.
    """
    with seed_statuses(flow.status_map):
        key = idempotency_key(request)
        validate_module_options(flow.modules)  # before the upload is stored, not after
        record, digest = await _store(request, principal, services, flow)
        request_body = JobCreate(sources=[record.url], modules=flow.modules, webhook=webhook)
        # The body is a fresh upload (a new storage id each time): a replay is the same bytes
        # with the same options, whatever file id they were stored under.
        fingerprint = {
            "content_sha256": digest,
            "modules": flow.modules,
            "webhook": webhook.model_dump(mode="json") if webhook is not None else None,
            "query": sorted(request.query_params.multi_items()),
        }
        if flow.inline_max_seconds is None:
            job, _ = services.jobs.create(
                principal,
                request_body,
                kind=flow.kind,
                max_processing_time=max_processing_time,
                idempotency_key=key,
                fingerprint=fingerprint,
            )
            inline = False
        else:
            job, inline = services.jobs.create_answer(
                principal,
                request_body,
                kind=flow.kind,
                inline_max_seconds=flow.inline_max_seconds,
                media_seconds=record.probe.duration_s or 0.0,
                max_processing_time=max_processing_time,
                idempotency_key=key,
                fingerprint=fingerprint,
            )
        if job.sources != [record.url]:  # a replay: the first request's job has its own copy
            record = await _drop_copy(services, principal, record, job)
            return Answer(record, job, inline=False)
        if not inline:
            return Answer(record, job, inline=False)
    if inline:
        job = await run_in_threadpool(services.jobs.run_inline, job.id)
        if job.state != JobState.finished:
            raise job_failure(job)
    return Answer(record, job, inline)


async def _drop_copy(
    services: AppServices, principal: Principal, copy: FileRecord, job: JobRecord
) -> FileRecord:
    """Delete ``copy`` (an Idempotency-Key replay's upload); the record of the job's own file."""
    from framelens.jobs.files import FileService

    files = FileService(services.stores, services.settings)
    await run_in_threadpool(files.delete, principal.tenant_id, copy.file_id)
    first = job.sources[0].removeprefix("storage://")
    try:
        return await run_in_threadpool(files.get, principal.tenant_id, first)
    except NotFoundError:  # the first request's file was deleted since: answer with the copy's
        return copy


class JobFailedError(FramelensError):
    """A synchronous seed request's job ended without results; carries the job's error code."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]
        self.http_status = http_status  # type: ignore[misc]


# Job error codes a client caused (its media, or an option a module refused): 400, not 500.
_CLIENT_CODES = frozenset(
    {
        "unsupported_media_type",
        "unprocessable_media",
        "media_too_long",
        "bad_request",
        "invalid_option",
    }
)


def job_failure(job: JobRecord) -> JobFailedError:
    """The error to answer when an inline job failed: its own code, 4xx for media problems."""
    if job.error is None:
        return JobFailedError("internal_error", "the analysis did not finish", 500)
    status = 500
    if job.error.code in _CLIENT_CODES:
        status = 400
    return JobFailedError(job.error.code, job.error.message, status)


def read_result(
    services: AppServices, job: JobRecord, module: str, model: type[ResultT]
) -> ResultT | None:
    """The typed result of ``module`` for the job's first source (``None`` if absent)."""
    return module_result(services.stores.blobs, job, module, model)


def model_health(services: AppServices, model: str) -> dict[str, Any]:
    """Seed health body ``{"status": "ok", "model_loaded": bool}``; loads the model if it can."""
    try:
        services.models.session(model)
    except FramelensError as exc:
        return {"status": "ok", "model_loaded": False, "model": model, "detail": exc.message}
    return {"status": "ok", "model_loaded": True, "model": model}


def artifact_url(job_id: str, key: str | None) -> str | None:
    """The API path that serves an artifact blob key of ``job_id``."""
    name = layout.artifact_name(job_id, key) if key else None
    return f"/v1/jobs/{job_id}/artifacts/{name}" if name else None
