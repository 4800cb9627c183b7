"""Seed 001 "videos": POST a raw video body, poll its analysis in the seed's result shape.

A video runs ``scenes``, ``sections``, ``activity``, ``tags``, ``faces`` and ``ocr`` in one job:
sections are composed from the activity and tags of their scenes, ``person_constellation_scenes``
lists the persons whose faces appear in each raw scene, ``ocr_results`` the text segments.

Query options (a raw body has no room for JSON): ``webhook_url`` / ``webhook_secret``;
``include_embeddings`` (default false: face embeddings are biometric data, returned only when
asked); ``allowlist`` (a gallery whose identities count as ``allowlisted``); ``critical``
(comma-separated tags that make a tag or a section ``is_critical``, added to the tenant's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError as PydanticValidationError

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.params import (
    IdempotencyKeyHeader,
    MaxProcessingTimeHeader,
    parse_max_processing_time,
)
from framelens.api.seeds._flow import SeedFlow, read_result, receive_and_answer
from framelens.api.seeds._persons import Seed001Options, Seed001Query, seed_persons
from framelens.errors import ValidationError
from framelens.schemas import ErrorEnvelope, JobState, TimeSegment, WebhookConfig
from framelens.schemas.results_faces import FacesResult
from framelens.schemas.results_ocr import OcrResult
from framelens.schemas.results_video import ScenesResult, SectionsResult
from framelens.schemas.seeds.videos import (
    PersonConstellationScene,
    VideoAccepted,
    VideoResult,
    VideoStatus,
)

if TYPE_CHECKING:
    from framelens.api.deps import AppServices
    from framelens.schemas import JobRecord

router = APIRouter(
    prefix="/v1/videos",
    tags=["seed 001: videos"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 413, 415, 422, 429)},
)


def video_modules(query: Seed001Query | None = None) -> dict[str, dict[str, Any]]:
    """The modules of a seed 001 video job and their options."""
    query = query or Seed001Query()
    return {
        "scenes": {},
        "sections": query.tags(),
        "activity": {},
        "tags": query.tags(),
        "faces": query.faces(),
        "ocr": {},
    }


def query_webhook(
    webhook_url: Annotated[str | None, Query(description="Optional webhook URL")] = None,
    webhook_secret: Annotated[str | None, Query(description="Signs the webhook")] = None,
) -> WebhookConfig | None:
    """The optional webhook of a raw-body request, from its query string.

    Raises:
        ValidationError: ``webhook_url`` is not a valid URL.
    """
    if not webhook_url:
        return None
    try:
        return WebhookConfig.model_validate({"url": webhook_url, "secret": webhook_secret})
    except PydanticValidationError as exc:
        raise ValidationError(f"webhook_url is not a valid URL: {webhook_url[:200]}") from exc


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
    query: Seed001Options,
    webhook: Annotated[WebhookConfig | None, Depends(query_webhook)],
    max_processing_time: MaxProcessingTimeHeader = None,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> VideoAccepted:
    """The body is the video's bytes. A raw body has no room for JSON, so the optional webhook
    comes as the ``webhook_url`` / ``webhook_secret`` query parameters."""
    deadline = parse_max_processing_time(max_processing_time)
    flow = SeedFlow(
        form_field=None,
        media_types=("video",),
        modules=video_modules(query),
        kind="video",
        wrong_media="send the video's bytes as the request body",
    )
    answer = await receive_and_answer(
        request, principal, services, flow, webhook=webhook, max_processing_time=deadline
    )
    response.headers["Location"] = f"/v1/videos/{answer.job.id}"
    return VideoAccepted(job_id=answer.job.id)


@router.get("/{job_id}", response_model=VideoStatus, summary="A video job and its analysis")
def get_video(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> VideoStatus:
    """Seed 001's shape: ``raw_scenes``, ``frame_activity_diffs``, ``sections``,
    ``person_constellation_scenes``, ``ocr_results``."""
    job = services.jobs.get(principal.tenant_id, job_id)
    out = VideoStatus(job_id=job.id, status=job.state, progress=job.progress)
    if job.error is not None:
        out.error = job.error.model_dump(exclude_none=True)
    if job.state == JobState.finished:
        out.result = video_result(services, job)
    return out


def video_result(services: AppServices, job: JobRecord) -> VideoResult:
    """Seed 001's ``result`` of a finished video job (modules it did not run stay empty)."""
    scenes = read_result(services, job, "scenes", ScenesResult) or ScenesResult()
    sections = read_result(services, job, "sections", SectionsResult) or SectionsResult()
    faces = read_result(services, job, "faces", FacesResult)
    ocr = read_result(services, job, "ocr", OcrResult) or OcrResult()
    constellation = [
        PersonConstellationScene(
            time_segment=TimeSegment(
                start_seconds=scene.start_seconds, end_seconds=scene.end_seconds
            ),
            person_ids=seed_persons(job.id, faces, scene.start_seconds, scene.end_seconds),
        )
        for scene in scenes.raw_scenes
    ]
    return VideoResult(
        raw_scenes=scenes.raw_scenes,
        frame_activity_diffs=scenes.frame_activity_diffs,
        person_constellation_scenes=constellation if faces is not None else [],
        ocr_results=ocr.segments,
        sections=sections.sections,
    )
