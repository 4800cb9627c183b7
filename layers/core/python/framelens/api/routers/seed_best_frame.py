"""Seed 000 "Best Frame Selection": upload a video, poll, get the top 3 frames.

Paths, field names and the error table follow seed 000: form field ``video``; 400 for an
unsupported or oversize file; 422 for a missing field; 429 over 10 POST per minute per key.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.seed_support import artifact_url, module_result, seed_statuses
from framelens.api.uploads import multipart_doc, read_upload
from framelens.errors import UnsupportedMediaError
from framelens.jobs.files import FileService
from framelens.schemas import ErrorEnvelope, JobCreate, JobState

PREFIX = "/best_frame_selection"
router = APIRouter(
    prefix=PREFIX,
    tags=["seed 000: best frame"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422, 429, 500)},
)
health_router = APIRouter(prefix=PREFIX, tags=["seed 000: best frame"])

# Seed 000's table answers 400 for both "unsupported file type" and "file exceeds limit".
_STATUS_MAP = {413: 400, 415: 400}
_STATUS_NAMES = {
    JobState.queued: "queued",
    JobState.running: "processing",
    JobState.finished: "completed",
    JobState.failed: "failed",
    JobState.cancelled: "cancelled",
}


class Accepted(BaseModel):
    """Seed 000's 202 body."""

    status: Literal["accepted"] = "accepted"
    job_id: str
    status_url: str


class FrameOut(BaseModel):
    """One selected frame: where to download it and where it is in the video."""

    rank: int
    frame_position: int
    timestamp: float
    url: str | None
    scores: dict[str, float]


class BestFrameStatus(BaseModel):
    """The status URL's body; ``frames`` is filled once ``status`` is ``completed``."""

    job_id: str
    status: str
    progress: float
    frames: list[FrameOut] = []
    error: dict[str, Any] | None = None


def status_path(job_id: str) -> str:
    """The status URL of a best-frame job."""
    return f"{PREFIX}/api/best-frame/{job_id}/status"


@health_router.get("/health", summary="Liveness (no auth)")
def best_frame_health() -> dict[str, str]:
    """Seed 000: ``{"status": "ok"}``."""
    return {"status": "ok"}


@router.post(
    "/api/best-frame/",
    status_code=202,
    response_model=Accepted,
    summary="Upload a video (form field `video`) and start best-frame selection",
    openapi_extra=multipart_doc("video"),
)
async def submit_best_frame(
    request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> Accepted:
    """MP4, AVI, MOV, MKV or WebM; checked by content. Returns the job and its status URL."""
    files = FileService(services.stores, services.settings)
    with seed_statuses(_STATUS_MAP):
        async with read_upload(request, "video", services.settings.max_upload_bytes) as upload:
            record = await run_in_threadpool(
                files.ingest, principal.tenant_id, upload.path, name=upload.name
            )
        if record.media_type != "video":
            raise UnsupportedMediaError(
                f"the file is {record.media_type}, not a video; send MP4, AVI, MOV, MKV or WebM"
            )
        job, _ = services.jobs.create(
            principal,
            JobCreate(sources=[record.url], modules={"best_frames": {"k": 3}}),
            kind="best_frame",
        )
    return Accepted(job_id=job.id, status_url=status_path(job.id))


@router.get(
    "/api/best-frame/{job_id}/status",
    response_model=BestFrameStatus,
    summary="State of a best-frame job; the three frames once completed",
)
def best_frame_status(
    job_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> BestFrameStatus:
    """Poll until ``status`` is ``completed`` (or ``failed``)."""
    job = services.jobs.get(principal.tenant_id, job_id)
    out = BestFrameStatus(job_id=job.id, status=_STATUS_NAMES[job.state], progress=job.progress)
    if job.error is not None:
        out.error = job.error.model_dump(exclude_none=True)
    if job.state == JobState.finished:
        result = module_result(services, job, "best_frames") or {}
        for rank, frame in enumerate(result.get("frames", []), start=1):
            scores = frame.get("scores", {})
            out.frames.append(
                FrameOut(
                    rank=rank,
                    frame_position=frame["frame_index"],
                    timestamp=frame["timestamp"],
                    url=artifact_url(job.id, frame.get("artifact_key")),
                    scores={k: float(v) for k, v in scores.items()},
                )
            )
    return out
