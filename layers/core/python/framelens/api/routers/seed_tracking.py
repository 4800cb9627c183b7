"""Seed 000 "Tracking API": ``POST /tracking/api/track-video/`` returns an annotated MP4.

Videos up to ``FRAMELENS_SYNC_TRACK_MAX_SECONDS`` (30 s) answer with the ``video/mp4`` download
itself; longer ones answer 202 with a job and the URL its annotated video will be served from.
Error table as in seed 000's tracking section (400, 401, 403, 413, 422, 500).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.seed_support import (
    can_run_inline,
    job_failure,
    model_health,
    module_result,
    run_inline,
    seed_statuses,
    store_upload,
)
from framelens.api.uploads import multipart_doc
from framelens.errors import JobStateError, NotFoundError, UnsupportedMediaError
from framelens.schemas import ErrorEnvelope, JobCreate, JobRecord, JobState

router = APIRouter(
    prefix="/tracking",
    tags=["seed 000: tracking"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 403, 413, 422, 429, 500)},
)
health_router = APIRouter(prefix="/tracking", tags=["seed 000: tracking"])

_STATUS_MAP = {415: 400}
TRACKER_MODEL = "yolox_nano_coco80"
_MP4 = {"content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}}}


class TrackingAccepted(BaseModel):
    """A long video: the annotated MP4 appears at ``video_url`` once the job finishes."""

    status: Literal["accepted"] = "accepted"
    job_id: str
    status_url: str
    video_url: str


@health_router.get("/health", summary="Liveness and whether the tracking model is loaded")
def tracking_health(services: ServicesDep) -> dict[str, Any]:
    """``{"status": "ok", "model_loaded": bool}`` (no auth)."""
    return model_health(services, TRACKER_MODEL)


def _video_url(job_id: str) -> str:
    return f"/tracking/api/track-video/{job_id}/video"


def _mp4(services: Any, job: JobRecord) -> Response:
    result = module_result(services, job, "tracking") or {}
    videos = result.get("videos") or []
    if not videos:
        raise NotFoundError(f"job {job.id} produced no annotated video")
    data = services.stores.blobs.get(videos[0])
    headers = {"Content-Disposition": f'attachment; filename="tracked_{job.id}.mp4"'}
    return Response(content=data, media_type="video/mp4", headers=headers)


@router.post(
    "/api/track-video/",
    response_class=Response,
    responses={200: _MP4, 202: {"model": TrackingAccepted}},
    summary="Track objects in a video (multipart field `file`); returns an annotated MP4",
    openapi_extra=multipart_doc("file"),
)
async def track_video(
    request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> Response:
    """Boxes, class labels and persistent track ids drawn on every frame (H.264 MP4)."""
    with seed_statuses(_STATUS_MAP):
        record = await store_upload(request, principal, services, "file")
        if record.media_type != "video":
            raise UnsupportedMediaError(
                f"the file is {record.media_type}, not a video; send MP4, AVI, MOV, MKV or WebM"
            )
        inline = can_run_inline(services, record, services.settings.sync_track_max_seconds)
        job, _ = services.jobs.create(
            principal,
            JobCreate(sources=[record.url], modules={"tracking": {}}),
            kind="tracking",
            dispatch=not inline,
        )
    if not inline:
        body = TrackingAccepted(
            job_id=job.id, status_url=f"/v1/jobs/{job.id}", video_url=_video_url(job.id)
        )
        return Response(
            content=body.model_dump_json(),
            status_code=202,
            media_type="application/json",
            headers={"Location": f"/v1/jobs/{job.id}"},
        )
    job = await run_inline(services, job.id)
    if job.state != JobState.finished:
        raise job_failure(job)
    return _mp4(services, job)


@router.get(
    "/api/track-video/{job_id}/video",
    response_class=Response,
    responses={200: _MP4},
    summary="The annotated MP4 of a tracking job that was answered with 202",
)
def tracked_video(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> Response:
    """409 while the job is still running; 404 for unknown and other tenants' jobs."""
    job = services.jobs.get(principal.tenant_id, job_id)
    if job.state != JobState.finished:
        raise JobStateError(
            f"job {job_id} is {job.state.value}; the video exists once it is finished",
            details={"state": job.state.value},
        )
    return _mp4(services, job)
