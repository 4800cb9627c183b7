"""Seed 001 "videos": POST a raw video body, poll its analysis in the seed's result shape.

``person_constellation_scenes`` and ``ocr_results`` are empty lists until the faces and OCR
analyzers exist; every other field is computed from the scenes and sections analyzers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import ValidationError as PydanticValidationError

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.params import parse_max_processing_time
from framelens.api.seeds._flow import SeedFlow, read_result, receive_and_answer
from framelens.errors import ValidationError
from framelens.schemas import ErrorEnvelope, JobState, WebhookConfig
from framelens.schemas.results_video import ScenesResult, SectionsResult
from framelens.schemas.seeds.videos import VideoAccepted, VideoResult, VideoStatus

router = APIRouter(
    prefix="/v1/videos",
    tags=["seed 001: videos"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 413, 415, 422, 429)},
)

FLOW = SeedFlow(
    form_field=None,
    media_types=("video",),
    modules={"scenes": {}, "sections": {}},
    kind="video",
    wrong_media="send the video's bytes as the request body",
)


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
    answer = await receive_and_answer(
        request, principal, services, FLOW, webhook=webhook, max_processing_time=deadline
    )
    response.headers["Location"] = f"/v1/videos/{answer.job.id}"
    return VideoAccepted(job_id=answer.job.id)


@router.get("/{job_id}", response_model=VideoStatus, summary="A video job and its analysis")
def get_video(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> VideoStatus:
    """Seed 001's shape: ``raw_scenes``, ``frame_activity_diffs``, ``sections``..."""
    job = services.jobs.get(principal.tenant_id, job_id)
    out = VideoStatus(job_id=job.id, status=job.state, progress=job.progress)
    if job.error is not None:
        out.error = job.error.model_dump(exclude_none=True)
    if job.state != JobState.finished:
        return out
    scenes = read_result(services, job, "scenes", ScenesResult) or ScenesResult()
    sections = read_result(services, job, "sections", SectionsResult) or SectionsResult()
    out.result = VideoResult(
        raw_scenes=scenes.raw_scenes,
        frame_activity_diffs=scenes.frame_activity_diffs,
        sections=sections.sections,
    )
    return out
