"""Seed 000 "Detection API": ``POST /detection/detect/media`` (field ``file``, image or video).

Images and videos up to ``FRAMELENS_SYNC_DETECT_MAX_SECONDS`` (15 s) answer at once with seed
000's body; longer videos answer 202 with a job whose ``objects`` results hold the same frames.
Error table as in seed 000: 400 for an unsupported or oversize file, 422 for a missing field.
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
from framelens.errors import UnsupportedMediaError, ValidationError
from framelens.schemas import ErrorEnvelope, JobCreate, JobState, MediaType

router = APIRouter(
    prefix="/detection",
    tags=["seed 000: detection"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 422, 429, 500)},
)
health_router = APIRouter(prefix="/detection", tags=["seed 000: detection"])

_STATUS_MAP = {413: 400, 415: 400}
DETECTOR = "yolox_nano_coco80"


class DetectionResponse(BaseModel):
    """Seed 000's body: ``frames`` is the number of analyzed frames listed in ``data``."""

    type: Literal["image", "video"]
    frames: int
    data: list[dict[str, Any]]


class DetectionAccepted(BaseModel):
    """A long video: poll ``status_url`` (the native job) for its ``objects`` results."""

    status: Literal["accepted"] = "accepted"
    job_id: str
    status_url: str


@health_router.get("/health", summary="Liveness and whether the detection model is loaded")
def detection_health(services: ServicesDep) -> dict[str, Any]:
    """``{"status": "ok", "model_loaded": bool}`` (no auth)."""
    return model_health(services, DETECTOR)


@router.post(
    "/detect/media",
    response_model=DetectionResponse,
    responses={202: {"model": DetectionAccepted}},
    summary="Detect objects in an image or video (multipart field `file`)",
    openapi_extra=multipart_doc("file"),
)
async def detect_media(
    request: Request, response: Response, principal: CurrentPrincipal, services: ServicesDep
) -> Any:
    """Per-frame detections ``{class, confidence, bbox: [x1, y1, x2, y2]}`` in source pixels.

    Options as query parameters: ``confidence`` (default 0.3), ``classes`` (comma list),
    ``fps`` (video sampling, default 5), ``model`` (a registered detector).
    """
    options = _options(request)
    with seed_statuses(_STATUS_MAP):
        record = await store_upload(request, principal, services, "file")
        if record.media_type not in ("image", "video"):
            raise UnsupportedMediaError("send an image or a video (MP4, AVI, MOV, MKV, WebM)")
        inline = can_run_inline(services, record, services.settings.sync_detect_max_seconds)
        job, _ = services.jobs.create(
            principal,
            JobCreate(sources=[record.url], modules={"objects": options}),
            kind="detection",
            dispatch=not inline,
        )
    if not inline:
        response.status_code = 202
        response.headers["Location"] = f"/v1/jobs/{job.id}"
        return DetectionAccepted(job_id=job.id, status_url=f"/v1/jobs/{job.id}")
    job = await run_inline(services, job.id)
    if job.state != JobState.finished:
        raise job_failure(job)
    result = module_result(services, job, "objects") or {}
    data = [{"frame": f["frame"], "detections": f["detections"]} for f in result.get("frames", [])]
    kind: Literal["image", "video"] = "image" if record.media_type == MediaType.image else "video"
    return DetectionResponse(type=kind, frames=len(data), data=data)


def _options(request: Request) -> dict[str, Any]:
    """``confidence``, ``fps`` (numbers), ``classes``, ``model`` from the query string."""
    params = request.query_params
    options: dict[str, Any] = {}
    for name in ("confidence", "fps"):
        if name in params:
            try:
                options[name] = float(params[name])
            except ValueError as exc:
                raise ValidationError(f"query parameter {name} must be a number") from exc
    for name in ("classes", "model"):
        if name in params:
            options[name] = params[name]
    return options
