"""Seed 000 "Human Activity Recognition API": ``POST /human_activity/activity-prediction``.

Paths, fields and the error table follow seed 000: field ``file``, an MP4, AVI or MOV video
recognised by content; 400 for another type, a file over 10 MB or one that does not decode; 401
without a valid key (``GET /human_activity/health`` too: the seed says this API's health needs
the key, unlike the others); 404 for an unknown job; 422 without a file in the field ``file``.

Videos up to ``FRAMELENS_SYNC_ACTIVITY_MAX_SECONDS`` (30 s) are answered at once where this
server runs jobs in-process (the local server); longer ones (and every video in AWS, where API
Gateway allows 29 s) answer 202 with ``status_url`` (``GET
/human_activity/activity-prediction/{job_id}``), which gives the same body once finished.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.routers.health import STORAGE_DOWN, storage_unavailable
from framelens.api.seeds._flow import SeedFlow, model_health, read_result, receive_and_answer
from framelens.api.seeds._polling import accepted_response, finished_job, pending_response
from framelens.api.uploads import multipart_doc
from framelens.schemas import ErrorEnvelope
from framelens.schemas.results_activity import ActivityResult
from framelens.schemas.seeds.accepted import Accepted, Pending
from framelens.schemas.seeds.activity import ActivityResponse, activity_response

PREFIX = "/human_activity"
KIND = "activity"
MODEL = "movinet_a0_stream_kinetics600_int8"
router = APIRouter(
    prefix=PREFIX,
    tags=["seed 000: human activity"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422, 429, 500)},
)

_STATUS_MAP: dict[int | str, int] = {
    413: 400,
    415: 400,
    "unprocessable_media": 400,
    "media_too_long": 400,
}


def status_path(job_id: str) -> str:
    """Where a 202'd prediction's body appears."""
    return f"{PREFIX}/activity-prediction/{job_id}"


@router.get(
    "/health",
    summary="Liveness and whether the activity model loads (needs the key)",
    responses=STORAGE_DOWN,
    response_model=dict[str, Any],
)
def activity_health(_: CurrentPrincipal, services: ServicesDep) -> dict[str, Any] | JSONResponse:
    """``{"status": "ok", "model_loaded": bool}``; seed 000 requires ``X-API-Key`` here."""
    return storage_unavailable(services) or model_health(services, MODEL)


@router.post(
    "/activity-prediction",
    response_model=ActivityResponse,
    responses={202: {"model": Accepted}},
    summary="The human activity of a video (multipart field `file`: MP4, AVI or MOV)",
    openapi_extra=multipart_doc("file"),
)
async def predict_activity(
    request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> ActivityResponse | JSONResponse:
    """``{"activity": "<Kinetics-400 label>"}`` first, then the Kinetics-600 name, its
    probability, the video's ranking and each shot's activity."""
    flow = SeedFlow(
        form_field="file",
        media_types=("video",),
        modules={"activity": {}},
        kind=KIND,
        inline_max_seconds=services.settings.sync_activity_max_seconds,
        status_map=_STATUS_MAP,
        wrong_media="send an MP4, AVI or MOV video",
        containers=("mp4", "avi", "mov"),
    )
    answer = await receive_and_answer(request, principal, services, flow)
    if not answer.inline:
        return accepted_response(answer.job.id, status_path(answer.job.id))
    result = read_result(services, answer.job, "activity", ActivityResult) or ActivityResult()
    return activity_response(result)


@router.get(
    "/activity-prediction/{job_id}",
    response_model=ActivityResponse,
    responses={202: {"model": Pending}},
    summary="The activity of a video answered with 202, once its job is finished",
)
def activity_status(
    job_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> ActivityResponse | JSONResponse:
    """202 ``Pending`` until the job is finished, then the body ``POST`` answers inline."""
    job = finished_job(services, principal.tenant_id, job_id, KIND)
    pending = pending_response(job, status_path(job.id))
    if pending is not None:
        return pending
    result = read_result(services, job, "activity", ActivityResult) or ActivityResult()
    return activity_response(result)
