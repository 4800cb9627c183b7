"""Seed 001 "videos": POST a raw video body, poll its analysis in the seed's result shape.

``person_constellation_scenes`` and ``ocr_results`` are empty lists until the faces and OCR
analyzers exist; every other field is computed from the scenes and sections analyzers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.routers.jobs import parse_max_processing_time
from framelens.api.seed_support import module_result
from framelens.api.uploads import read_upload
from framelens.errors import UnsupportedMediaError, ValidationError
from framelens.jobs.files import FileService
from framelens.schemas import ErrorEnvelope, JobCreate, JobState, TimeSegment, WebhookConfig

router = APIRouter(
    prefix="/v1/videos",
    tags=["seed 001: videos"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 413, 415, 422, 429)},
)

VIDEO_MODULES: dict[str, dict[str, Any]] = {"scenes": {}, "sections": {}}


class VideoAccepted(BaseModel):
    """Seed 001's 202 body."""

    job_id: str


class RawScene(BaseModel):
    """A detected scene (seed 001), with its frame span as well."""

    start_seconds: float
    end_seconds: float
    start_frame: int | None = None
    end_frame: int | None = None


class VideoResult(BaseModel):
    """Seed 001's ``result`` object."""

    raw_scenes: list[RawScene] = Field(default_factory=list)
    frame_activity_diffs: list[float] = Field(default_factory=list)
    person_constellation_scenes: list[dict[str, Any]] = Field(default_factory=list)
    ocr_results: list[dict[str, Any]] = Field(default_factory=list)
    sections: list[dict[str, Any]] = Field(default_factory=list)


class VideoStatus(BaseModel):
    """``GET /v1/videos/{job_id}``: ``result`` is set once ``status`` is ``finished``."""

    job_id: str
    status: JobState
    progress: float
    result: VideoResult | None = None
    error: dict[str, Any] | None = None


@router.post(
    "",
    status_code=202,
    response_model=VideoAccepted,
    summary="Send a video as the raw request body; 202 with Location",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
)
async def submit_video(
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    services: ServicesDep,
    max_processing_time: Annotated[str | None, Header(alias="Max-Processing-Time")] = None,
    webhook_url: Annotated[str | None, Query(description="Optional webhook URL")] = None,
    webhook_secret: Annotated[str | None, Query(description="Signs the webhook")] = None,
) -> VideoAccepted:
    """The body is the video's bytes. A raw body has no room for JSON, so the optional webhook
    comes as the ``webhook_url`` / ``webhook_secret`` query parameters."""
    deadline = parse_max_processing_time(max_processing_time)
    webhook = None
    if webhook_url:
        try:
            webhook = WebhookConfig.model_validate({"url": webhook_url, "secret": webhook_secret})
        except PydanticValidationError as exc:
            raise ValidationError(f"webhook_url is not a valid URL: {webhook_url[:200]}") from exc
    files = FileService(services.stores, services.settings)
    async with read_upload(request, "file", services.settings.max_upload_bytes) as upload:
        record = await run_in_threadpool(files.ingest, principal.tenant_id, upload.path)
    if record.media_type != "video":
        raise UnsupportedMediaError(f"the body is {record.media_type}, not a video")
    job, _ = services.jobs.create(
        principal,
        JobCreate(sources=[record.url], modules=VIDEO_MODULES, webhook=webhook),
        max_processing_time=deadline,
        kind="video",
    )
    response.headers["Location"] = f"/v1/videos/{job.id}"
    return VideoAccepted(job_id=job.id)


@router.get("/{job_id}", response_model=VideoStatus, summary="A video job and its analysis")
def get_video(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> VideoStatus:
    """Seed 001's shape: ``raw_scenes``, ``frame_activity_diffs``, ``sections``..."""
    job = services.jobs.get(principal.tenant_id, job_id)
    out = VideoStatus(job_id=job.id, status=job.state, progress=job.progress)
    if job.error is not None:
        out.error = job.error.model_dump(exclude_none=True)
    if job.state != JobState.finished:
        return out
    scenes = module_result(services, job, "scenes") or {}
    sections = module_result(services, job, "sections") or {}
    out.result = VideoResult(
        raw_scenes=[RawScene(**s) for s in scenes.get("raw_scenes", [])],
        frame_activity_diffs=scenes.get("frame_activity_diffs", []),
        sections=[
            {**s, "time_segments": [TimeSegment(**t).model_dump() for t in s["time_segments"]]}
            for s in sections.get("sections", [])
        ],
    )
    return out
