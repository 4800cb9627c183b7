"""Seed 000 "Best Frame Selection": upload a video, poll, get the top 3 frames.

Paths, field names and the error table follow seed 000: form field ``video``; 400 for an
unsupported or oversize file; 422 for a missing field; 429 over 10 POST per minute per key.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.routers.health import STORAGE_DOWN, storage_unavailable
from framelens.api.seeds._flow import SeedFlow, artifact_url, read_result, receive_and_answer
from framelens.api.uploads import multipart_doc
from framelens.schemas import ErrorEnvelope, JobState
from framelens.schemas.results_video import BestFramesResult
from framelens.schemas.seeds.accepted import Accepted
from framelens.schemas.seeds.best_frame import BestFrameStatus, FrameOut

PREFIX = "/best_frame_selection"
router = APIRouter(
    prefix=PREFIX,
    tags=["seed 000: best frame"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422, 429, 500)},
)
health_router = APIRouter(prefix=PREFIX, tags=["seed 000: best frame"])

# Seed 000's table answers 400 for both "unsupported file type" and "file exceeds limit".
FLOW = SeedFlow(
    form_field="video",
    media_types=("video",),
    modules={"best_frames": {"k": 3}},
    kind="best_frame",
    status_map={413: 400, 415: 400},
)
_STATUS_NAMES = {
    JobState.queued: "queued",
    JobState.running: "processing",
    JobState.finished: "completed",
    JobState.failed: "failed",
    JobState.cancelled: "cancelled",
}


def status_path(job_id: str) -> str:
    """The status URL of a best-frame job."""
    return f"{PREFIX}/api/best-frame/{job_id}/status"


@health_router.get(
    "/health", summary="Liveness (no auth)", responses=STORAGE_DOWN, response_model=dict[str, str]
)
def best_frame_health(services: ServicesDep) -> dict[str, str] | JSONResponse:
    """Seed 000: ``{"status": "ok"}``; 503 while storage cannot be used."""
    return storage_unavailable(services) or {"status": "ok"}


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
    job = (await receive_and_answer(request, principal, services, FLOW)).job
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
    result = read_result(services, job, "best_frames", BestFramesResult)
    if job.state == JobState.finished and result is not None:
        out.frames = [
            FrameOut(
                rank=rank,
                frame_position=frame.frame_index,
                timestamp=frame.timestamp,
                url=artifact_url(job.id, frame.artifact_key),
                scores=frame.scores.model_dump(),
            )
            for rank, frame in enumerate(result.frames, start=1)
        ]
    return out
