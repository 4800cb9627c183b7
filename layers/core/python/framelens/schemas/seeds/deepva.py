"""Seed 003 (DeepVA) bodies: jobs, storage files, modules, webhooks and errors.

Owns: the field names exactly as ``../shared/seeds/003_*.txt`` spells them (``id``, ``tag``,
``state``, ``progress``, ``duration``, ``time_created`` as ``2019-08-12 08:14:28.430144``,
``sources``, ``modules``, ``result{detailed_link, summary}``; storage's ``url``, ``file_size``,
``is_folder``, ``uploaded``, ``is_image``, ``upload_failed``), the state map from the native
states, and the pure builders from native records to these shapes (``deepva_job``,
``deepva_file``, ``event_payload``). Where the document is silent the shapes follow its own:
lists are ``{"data": [...]}``. Does not own routes (``api.seeds.deepva*``) or the detailed items
(``schemas.seeds.deepva_details``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from framelens.schemas.common import ErrorBody, ErrorEnvelope, utcnow
from framelens.schemas.jobs import JobRecord, JobState
from framelens.schemas.media import FileRecord, MediaType
from framelens.schemas.results_base import Label
from framelens.schemas.subscriptions import JobEvent, WebhookSubscription

if TYPE_CHECKING:
    from framelens.schemas.deliveries import Delivery

__all__ = [
    "ERROR_NAMES",
    "STATES",
    "DeepvaError",
    "DeepvaFile",
    "DeepvaFileList",
    "DeepvaJob",
    "DeepvaJobCreate",
    "DeepvaJobList",
    "DeepvaModule",
    "DeepvaModuleList",
    "DeepvaModuleOption",
    "DeepvaResult",
    "DeepvaState",
    "DeepvaSummary",
    "DeepvaWebhook",
    "DeepvaWebhookCreate",
    "DeepvaWebhookDelivery",
    "DeepvaWebhookDeliveryList",
    "DeepvaWebhookList",
    "deepva_delivery",
    "deepva_file",
    "deepva_job",
    "deepva_time",
    "deepva_webhook",
    "detailed_link",
    "display_source",
    "event_payload",
]

DeepvaState = Literal["waiting", "running", "completed", "failed", "cancelled"]

# Native state -> DeepVA state (the document's "waiting" and "completed").
STATES: dict[JobState, DeepvaState] = {
    JobState.queued: "waiting",
    JobState.running: "running",
    JobState.finished: "completed",
    JobState.failed: "failed",
    JobState.cancelled: "cancelled",
}

# The document's error table: status -> name (Django REST framework's exception names).
ERROR_NAMES: dict[int, str] = {
    400: "BadRequest",
    401: "NotAuthenticated",
    403: "PermissionDenied",
    404: "NotFound",
    405: "MethodNotAllowed",
    429: "Throttled",
    500: "GeneralError",
}


def deepva_time(value: datetime | None) -> str | None:
    """A timestamp as the document writes it: ``2019-08-12 08:14:28.430144`` (UTC).

    Examples:
        >>> deepva_time(datetime(2019, 8, 12, 8, 14, 28, 430144, tzinfo=UTC))
        '2019-08-12 08:14:28.430144'
    """
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def display_source(uri: str) -> str:
    """A source as a client wrote it: local paths without the internal ``file://``."""
    return uri.removeprefix("file://")


class DeepvaError(ErrorEnvelope):
    """An error of the DeepVA routes: the document's name (``type``) plus the one error shape."""

    type: str = Field(examples=["BadRequest"], description="The document's error name.")


# ---- jobs ---------------------------------------------------------------------------------


class DeepvaJobCreate(BaseModel):
    """``POST /api/v1/jobs/``: ``sources`` to process, ``modules`` to apply, an optional tag."""

    sources: list[str] = Field(
        min_length=1, max_length=100, examples=[["storage://f_q1gyaldQ146pAagevHIK"]]
    )
    modules: dict[str, dict[str, Any] | None] = Field(
        min_length=1, examples=[{"face_recognition": {"model": "celebrities"}}]
    )
    tag: str = Field(default="", max_length=200)


class DeepvaSummary(BaseModel):
    """What one source holds (``result.summary[]``)."""

    source: str
    media_type: str = Field(examples=["image"])
    info: dict[str, Any] = Field(default_factory=dict, description="The source's probe.")
    items: list[Label] = Field(default_factory=list)


class DeepvaResult(BaseModel):
    """``result``: the summary inline, the detailed results behind ``detailed_link``."""

    detailed_link: str
    summary: list[DeepvaSummary] = Field(default_factory=list)


class DeepvaJob(BaseModel):
    """A job as the document shows it; ``error`` (ours) says why a failed job failed."""

    id: str
    tag: str = ""
    state: DeepvaState
    progress: float
    duration: float
    time_created: str = Field(examples=["2019-08-12 08:14:28.430144"])
    time_started: str | None = None
    time_completed: str | None = None
    sources: list[str]
    modules: dict[str, Any]
    result: DeepvaResult
    error: ErrorBody | None = None


class DeepvaJobList(BaseModel):
    """``GET /api/v1/jobs/``: newest first; ``next_cursor`` (ours) pages on."""

    data: list[DeepvaJob]
    next_cursor: str | None = None


def deepva_job(job: JobRecord, detailed_link: str) -> DeepvaJob:
    """The document's view of a job (sources and modules as the client sent them)."""
    summary = [
        DeepvaSummary(
            source=display_source(str(entry.get("source", ""))),
            media_type=str(entry.get("media_type", "")),
            info=entry.get("info") or {},
            items=[Label.model_validate(i) for i in entry.get("labels", [])],
        )
        for entry in job.summary
    ]
    return DeepvaJob(
        id=job.id,
        tag=job.tag,
        state=STATES[job.state],
        progress=job.progress,
        duration=job.duration,
        time_created=deepva_time(job.time_created) or "",
        time_started=deepva_time(job.time_started),
        time_completed=deepva_time(job.time_completed),
        sources=job.extra.get("deepva_sources") or [display_source(s) for s in job.sources],
        modules=job.extra.get("deepva_modules") or job.modules,
        result=DeepvaResult(detailed_link=detailed_link, summary=summary),
        error=job.error,
    )


def detailed_link(base_url: str, job_id: str) -> str:
    """Where a job's detailed results are (absolute when ``base_url`` is)."""
    return f"{base_url.rstrip('/')}/api/v1/jobs/{job_id}/detailed-results"


def event_payload(job: JobRecord, event: JobEvent, delivery_id: str, base_url: str) -> bytes:
    """The JSON a subscription receives: ``{"event", "delivery_id", "time", "job"}``."""
    body = {
        "event": event.value,
        "delivery_id": delivery_id,
        "time": deepva_time(utcnow()),
        "job": deepva_job(job, detailed_link(base_url, job.id)).model_dump(mode="json"),
    }
    return json.dumps(body, separators=(",", ":")).encode()


# ---- storage ------------------------------------------------------------------------------


class DeepvaFile(BaseModel):
    """A stored file (``POST /api/v1/storage/`` answers it with 201).

    ``id`` is the tenant's storage number (files uploaded through ``/v1/media`` have none);
    ``url`` is what a job names as its source. ``folder``, ``media_type`` and ``time_created``
    are ours.
    """

    id: int | None = Field(examples=[594])
    url: str = Field(examples=["storage://f_q1gyaldQ146pAagevHIK"])
    file_size: int | None
    name: str | None
    is_folder: bool = False
    uploaded: bool
    is_image: bool
    upload_failed: bool = False
    folder: str = Field(examples=["/"])
    media_type: MediaType | None = None
    time_created: str | None = None


class DeepvaFileList(BaseModel):
    """``GET /api/v1/storage/?folder=``: the folder's files, newest first."""

    data: list[DeepvaFile]
    next_cursor: str | None = None


def deepva_file(record: FileRecord) -> DeepvaFile:
    """The document's view of a stored file."""
    uploaded = record.state == "ready"
    return DeepvaFile(
        id=record.number,
        url=record.url,
        file_size=record.size if uploaded else None,
        name=record.name,
        uploaded=uploaded,
        is_image=record.media_type == MediaType.image,
        folder=record.folder,
        media_type=record.media_type,
        time_created=deepva_time(record.time_created),
    )


# ---- modules ------------------------------------------------------------------------------


class DeepvaModuleOption(BaseModel):
    """One option of a module."""

    name: str
    description: str
    required: bool = False


class DeepvaModule(BaseModel):
    """A Visual Mining Module: its options and the native analyzers that run it."""

    name: str = Field(examples=["face_recognition"])
    description: str
    analyzers: list[str] = Field(description="The native modules that run it (/v1/jobs names).")
    media_types: list[str]
    options: list[DeepvaModuleOption] = Field(default_factory=list)


class DeepvaModuleList(BaseModel):
    """``GET /api/v1/modules/``."""

    data: list[DeepvaModule]


# ---- webhooks -----------------------------------------------------------------------------


class DeepvaWebhookCreate(BaseModel):
    """``POST /api/v1/webhooks/``: where to POST which job events, and the signing secret."""

    url: str = Field(max_length=2000, examples=["https://hooks.example.com/deepva"])
    events: list[str] = Field(min_length=1, examples=[["job.completed", "job.failed"]])
    secret: str | None = Field(default=None, max_length=200)


class DeepvaWebhook(BaseModel):
    """A subscription (its secret is never returned; ``has_secret`` says deliveries are signed)."""

    id: str
    url: str
    events: list[JobEvent]
    has_secret: bool
    time_created: str


class DeepvaWebhookList(BaseModel):
    """``GET /api/v1/webhooks/``."""

    data: list[DeepvaWebhook]


class DeepvaWebhookDelivery(BaseModel):
    """One event sent to a subscription, and how it went."""

    id: str
    event: JobEvent
    job_id: str
    status: str = Field(examples=["delivered"], description="pending | delivered | failed")
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
    time_created: str
    time_delivered: str | None = None


class DeepvaWebhookDeliveryList(BaseModel):
    """``GET /api/v1/webhooks/{id}/deliveries/``: newest first."""

    data: list[DeepvaWebhookDelivery]


def deepva_webhook(sub: WebhookSubscription) -> DeepvaWebhook:
    """The public view of a subscription."""
    return DeepvaWebhook(
        id=sub.subscription_id,
        url=sub.url,
        events=sub.events,
        has_secret=bool(sub.secret),
        time_created=deepva_time(sub.time_created) or "",
    )


def deepva_delivery(delivery: Delivery) -> DeepvaWebhookDelivery:
    """The public view of a delivery record (its body is not repeated; a delivery between two
    attempts, or being sent, is ``pending``)."""
    return DeepvaWebhookDelivery(
        id=delivery.delivery_id,
        event=JobEvent(delivery.event),
        job_id=delivery.job_id,
        status="pending" if delivery.state == "sending" else delivery.state,
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        time_created=deepva_time(delivery.time_created) or "",
        time_delivered=deepva_time(delivery.time_delivered),
    )
