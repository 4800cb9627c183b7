"""Jobs: the request that creates one, the stored record, and the public view of it.

Field names follow seed 003 (DeepVA jobs: ``sources``, ``modules``, ``state``, ``progress``,
``time_created``...) with the states of the issue (queued/running/finished/failed/cancelled).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, HttpUrl, field_validator

from framelens.schemas.common import ErrorBody, utcnow
from framelens.schemas.module_options import ModulesSchema

__all__ = [
    "TERMINAL_STATES",
    "JobCreate",
    "JobError",
    "JobList",
    "JobPublic",
    "JobRecord",
    "JobResultRef",
    "JobState",
    "ResultPage",
    "WebhookConfig",
    "WebhookDelivery",
]


class JobState(StrEnum):
    """Lifecycle: queued → running → finished | failed | cancelled."""

    queued = "queued"
    running = "running"
    finished = "finished"
    failed = "failed"
    cancelled = "cancelled"


TERMINAL_STATES = frozenset({JobState.finished, JobState.failed, JobState.cancelled})


class WebhookConfig(BaseModel):
    """Seed 001 ``WebhookConfig``: POSTed the final job; signed when ``secret`` is set."""

    url: HttpUrl
    secret: str | None = None


class WebhookDelivery(BaseModel):
    """The outcome of delivering a job's webhook, recorded on the job."""

    status: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    time_delivered: datetime | None = None


class JobCreate(BaseModel):
    """``POST /v1/jobs`` body.

    Examples:
        >>> JobCreate(sources=["storage://abc"], modules={"probe": {}}).modules
        {'probe': {}}
    """

    sources: list[str] = Field(min_length=1, max_length=100, examples=[["storage://f_abc123"]])
    # Each module's options are checked when the job is created (``validate_module_options``);
    # the OpenAPI document shows them as ``ModuleOptions``.
    modules: Annotated[dict[str, dict[str, Any]], ModulesSchema] = Field(
        min_length=1, examples=[{"scenes": {}, "best_frames": {"k": 3}}]
    )
    webhook: WebhookConfig | None = None
    tag: str = Field(default="", max_length=200)

    @field_validator("sources")
    @classmethod
    def _known_schemes(cls, sources: list[str]) -> list[str]:
        for src in sources:
            # http:// passes here so that the server refuses it with its own reason (it is
            # allowed only with FRAMELENS_ALLOW_PRIVATE_NETWORK, for local tests); so does
            # file:// (local paths: the local server only, under FRAMELENS_LOCAL_SOURCE_ROOTS).
            if not src.startswith(("storage://", "s3://", "https://", "http://", "file://")):
                raise ValueError(
                    f"source {src!r} must start with storage://, s3://, https:// or file://"
                )
        return sources


class JobError(ErrorBody):
    """Why a job failed (same shape as every API error)."""


class JobResultRef(BaseModel):
    """Seed 003's ``result``: a summary inline and a link to the paged detailed results."""

    summary: list[dict[str, Any]] = Field(default_factory=list)
    detailed_link: str | None = None


class JobRecord(BaseModel):
    """The stored job. ``version`` guards every conditional write."""

    id: str
    tenant_id: str
    state: JobState = JobState.queued
    progress: float = 0.0
    kind: str = "native"  # which API created it: native | best_frame | video | image_batch | ...
    tag: str = ""
    sources: list[str]
    modules: dict[str, dict[str, Any]]
    webhook: WebhookConfig | None = None
    webhook_delivery: WebhookDelivery | None = None
    max_processing_time: int = 0
    deadline: datetime | None = None
    time_created: datetime = Field(default_factory=utcnow)
    time_started: datetime | None = None
    time_completed: datetime | None = None
    error: JobError | None = None
    summary: list[dict[str, Any]] = Field(default_factory=list)
    result_keys: dict[str, str] = Field(default_factory=dict)  # module -> blob key of its result
    media_seconds: float = 0.0
    media_units: int = 0
    idempotency_key: str | None = None
    request_hash: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)  # seed-route specifics (external ids...)
    version: int = 0

    @property
    def duration(self) -> float:
        """Seconds spent processing (seed 003 ``duration``)."""
        if self.time_started is None:
            return 0.0
        end = self.time_completed or utcnow()
        return round((end - self.time_started).total_seconds(), 3)


class JobPublic(BaseModel):
    """What ``GET /v1/jobs/{id}`` returns."""

    id: str
    tag: str
    state: JobState
    progress: float
    duration: float
    time_created: datetime
    time_started: datetime | None
    time_completed: datetime | None
    sources: list[str]
    modules: dict[str, dict[str, Any]]
    error: JobError | None = None
    result: JobResultRef
    webhook_delivery: WebhookDelivery | None = None

    @classmethod
    def from_record(cls, job: JobRecord, detailed_link: str | None) -> JobPublic:
        """The public view of a stored job."""
        return cls(
            id=job.id,
            tag=job.tag,
            state=job.state,
            progress=job.progress,
            duration=job.duration,
            time_created=job.time_created,
            time_started=job.time_started,
            time_completed=job.time_completed,
            sources=job.sources,
            modules=job.modules,
            error=job.error,
            result=JobResultRef(summary=job.summary, detailed_link=detailed_link),
            webhook_delivery=job.webhook_delivery,
        )


class JobList(BaseModel):
    """A page of jobs, newest first; pass ``next_cursor`` back as ``cursor``."""

    data: list[JobPublic]
    next_cursor: str | None = None


class ResultPage(BaseModel):
    """A page of one module's detailed results."""

    job_id: str
    module: str
    items: list[Any]
    total: int
    next_cursor: str | None = None
