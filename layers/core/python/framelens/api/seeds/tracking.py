"""Seed 000 "Tracking API": ``POST /tracking/api/track-video/`` returns an annotated MP4.

Videos up to ``FRAMELENS_SYNC_TRACK_MAX_SECONDS`` (30 s) answer with the ``video/mp4`` download
itself (where the backend can run jobs in-process); longer ones answer 202 with a job and the URL
its annotated video will be served from. Error table as in seed 000's tracking section (400, 401,
403, 413, 422, 500).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from framelens.api.deps import AppServices, CurrentPrincipal, ServicesDep
from framelens.api.routers.health import STORAGE_DOWN, storage_unavailable
from framelens.api.seeds._flow import SeedFlow, model_health, read_result, receive_and_answer
from framelens.api.uploads import multipart_doc
from framelens.errors import JobStateError, NotFoundError
from framelens.schemas import ErrorEnvelope, JobRecord, JobState
from framelens.schemas.results_objects import TrackingResult
from framelens.schemas.seeds.detection import TrackingAccepted

router = APIRouter(
    prefix="/tracking",
    tags=["seed 000: tracking"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 403, 413, 422, 429, 500)},
)
health_router = APIRouter(prefix="/tracking", tags=["seed 000: tracking"])

TRACKER_MODEL = "yolox_nano_coco80"
_MP4 = {"content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}}}


@health_router.get(
    "/health",
    summary="Liveness and whether the tracking model is loaded",
    responses=STORAGE_DOWN,
    response_model=dict[str, Any],
)
def tracking_health(services: ServicesDep) -> dict[str, Any] | JSONResponse:
    """``{"status": "ok", "model_loaded": bool}`` (no auth)."""
    return storage_unavailable(services) or model_health(services, TRACKER_MODEL)


def _video_url(job_id: str) -> str:
    return f"/tracking/api/track-video/{job_id}/video"


def _mp4(services: AppServices, job: JobRecord) -> Response:
    result = read_result(services, job, "tracking", TrackingResult)
    if result is None or not result.videos:
        raise NotFoundError(f"job {job.id} produced no annotated video")
    data = services.stores.blobs.get(result.videos[0])
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
    flow = SeedFlow(
        form_field="file",
        media_types=("video",),
        modules={"tracking": {}},
        kind="tracking",
        inline_max_seconds=services.settings.sync_track_max_seconds,
        status_map={415: 400},
    )
    answer = await receive_and_answer(request, principal, services, flow)
    job = answer.job
    if answer.inline:
        return _mp4(services, job)
    body = TrackingAccepted(
        job_id=job.id, status_url=f"/v1/jobs/{job.id}", video_url=_video_url(job.id)
    )
    return Response(
        content=body.model_dump_json(),
        status_code=202,
        media_type="application/json",
        headers={"Location": f"/v1/jobs/{job.id}"},
    )


@router.get(
    "/api/track-video/{job_id}/video",
    response_class=Response,
    responses={
        200: _MP4,
        404: {"model": ErrorEnvelope, "description": "No such job"},
        409: {"model": ErrorEnvelope, "description": "The job has not finished"},
    },
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
