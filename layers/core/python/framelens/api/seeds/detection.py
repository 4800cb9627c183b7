"""Seed 000 "Detection API": ``POST /detection/detect/media`` (field ``file``, image or video).

Images and videos up to ``FRAMELENS_SYNC_DETECT_MAX_SECONDS`` (15 s) answer at once with seed
000's body (where the backend can run jobs in-process); longer videos answer 202 with a job whose
``objects`` results hold the same frames. Error table as in seed 000: 400 for an unsupported or
oversize file, 422 for a missing field.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.routers.health import STORAGE_DOWN, storage_unavailable
from framelens.api.seeds._flow import SeedFlow, model_health, read_result, receive_and_answer
from framelens.api.uploads import multipart_doc
from framelens.errors import ValidationError
from framelens.schemas import ErrorEnvelope, MediaType
from framelens.schemas.results_objects import ObjectsResult
from framelens.schemas.seeds.detection import DetectionAccepted, DetectionFrame, DetectionResponse

router = APIRouter(
    prefix="/detection",
    tags=["seed 000: detection"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 422, 429, 500)},
)
health_router = APIRouter(prefix="/detection", tags=["seed 000: detection"])

DETECTOR = "yolox_nano_coco80"


@health_router.get(
    "/health",
    summary="Liveness and whether the detection model is loaded",
    responses=STORAGE_DOWN,
    response_model=dict[str, Any],
)
def detection_health(services: ServicesDep) -> dict[str, Any] | JSONResponse:
    """``{"status": "ok", "model_loaded": bool}`` (no auth)."""
    return storage_unavailable(services) or model_health(services, DETECTOR)


@router.post(
    "/detect/media",
    response_model=DetectionResponse,
    responses={202: {"model": DetectionAccepted}},
    summary="Detect objects in an image or video (multipart field `file`)",
    openapi_extra=multipart_doc("file"),
)
async def detect_media(
    request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> DetectionResponse | JSONResponse:
    """Per-frame detections ``{class, confidence, bbox: [x1, y1, x2, y2]}`` in source pixels.

    Options as query parameters: ``confidence`` (default 0.3), ``classes`` (comma list),
    ``fps`` (video sampling, default 5), ``model`` (a registered detector).
    """
    flow = SeedFlow(
        form_field="file",
        media_types=("image", "video"),
        modules={"objects": _options(request)},
        kind="detection",
        inline_max_seconds=services.settings.sync_detect_max_seconds,
        status_map={413: 400, 415: 400, "invalid_option": 400},  # seed 000: bad input is a 400
        wrong_media="send an image or a video (MP4, AVI, MOV, MKV or WebM)",
    )
    answer = await receive_and_answer(request, principal, services, flow)
    job = answer.job
    if not answer.inline:
        accepted = DetectionAccepted(job_id=job.id, status_url=f"/v1/jobs/{job.id}")
        return JSONResponse(
            accepted.model_dump(), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"}
        )
    result = read_result(services, job, "objects", ObjectsResult) or ObjectsResult()
    data = [DetectionFrame(frame=f.frame, detections=f.detections) for f in result.frames]
    kind: Literal["image", "video"] = (
        "image" if answer.record.media_type == MediaType.image else "video"
    )
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
