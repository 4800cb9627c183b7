"""Seed 002 "Video Streaming & Frame Extraction": ``/api/v1/file/{file_uuid}/...``.

``file_uuid`` is the ``file_id`` ``POST /v1/media`` returns (``storage://<file_id>``). Every route
is file-level: another tenant's file answers 404 like an unknown one. Keys: ``X-API-Key`` or
``Authorization: Bearer``. What each answer is comes from ``jobs.file_media``; this module maps
parameters in and answers out. Malformed parameters are 400 (the seed's "Missing/invalid range
parameters"), not FastAPI's 422. In AWS, stored bytes and finished renders are 307 redirects to
short-lived presigned S3 URLs and unfinished renders 202 with ``Retry-After`` (README "Serving
media").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.media_responses import conditions, pending_response, respond
from framelens.errors import ValidationError
from framelens.jobs.file_media import Range
from framelens.jobs.media_answers import PendingAnswer
from framelens.media.thumbnails import Crop
from framelens.schemas import ErrorEnvelope
from framelens.schemas.results_faces import PixelBox
from framelens.schemas.seeds.streaming import (
    CoOccurrenceFace,
    CoOccurrenceIdentity,
    CoOccurrenceResponse,
    FirstCoOccurrence,
    RenderPending,
    TraceRepresentative,
    TraceRepresentativeResponse,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from framelens.jobs.file_media import Pair, TraceFace


class _BadRequestRoute(APIRoute):
    """Seed 002 answers missing or malformed parameters with 400 (its error table)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                problems = [
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
                    for e in exc.errors()
                ]
                raise ValidationError(
                    f"Invalid parameters: {'; '.join(problems[:5])}.",
                    details={"errors": problems},
                ) from exc

        return route


router = APIRouter(
    prefix="/api/v1/file/{file_uuid}",
    tags=["seed 002: video streaming"],
    route_class=_BadRequestRoute,
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422, 429, 503)},
)

FileId = Annotated[str, Path(description="The file_id POST /v1/media returned.")]
Mode = Annotated[Literal["normal", "debug"], Query(description="debug draws the detection overlay")]
Audio = Annotated[Literal["on", "off"], Query(description="off drops the audio stream")]
OptFrame = Annotated[int | None, Query(ge=0)]
OptTime = Annotated[float | None, Query(ge=0)]
Fps = Annotated[float | None, Query(gt=0, description="Override the video's frame rate.")]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", include_in_schema=False)]
_VIDEO: dict[int | str, dict[str, Any]] = {
    200: {"content": {"video/mp4": {}, "video/*": {}}, "description": "The video."},
    206: {"description": "Partial content (Range)."},
    202: {"model": RenderPending, "description": "AWS: a worker is rendering it."},
    307: {"description": "AWS: a short-lived presigned S3 URL (S3 serves Range)."},
    416: {"description": "Range not satisfiable."},
}
_JPEG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}}, "description": "JPEG, cacheable 24 h."},
    202: {"model": RenderPending, "description": "AWS: the file is being indexed."},
}


@router.get(
    "/video",
    response_class=Response,
    responses=_VIDEO,
    summary="Stream the video (Range, ETag); a span by stream copy; mode=debug draws detections",
)
def video(
    file_uuid: FileId,
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    start_frame: OptFrame = None,
    end_frame: OptFrame = None,
    start_time: OptTime = None,
    end_time: OptTime = None,
    fps: Fps = None,
    mode: Mode = "normal",
    audio: Audio = "on",
) -> Response:
    """The whole file with HTTP Range (206/416, ``Accept-Ranges``, ``ETag``, conditional GETs),
    ``Cache-Control: public, max-age=86400``. With a span: from the keyframe at or before it to
    its end, by stream copy (no re-encode). ``audio=off`` remuxes without audio."""
    media = services.file_media
    record = media.file(principal.tenant_id, file_uuid)
    span = Range(start_frame, end_frame, start_time, end_time, fps)
    answer = media.video(
        record, span, audio=audio == "on", debug=mode == "debug", conditions=conditions(request)
    )
    return respond(answer)


@router.get(
    "/video/bbox",
    response_class=Response,
    responses=_VIDEO,
    summary="The video with every detected object and face drawn",
)
def video_bbox(
    file_uuid: FileId,
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    audio: Audio = "on",
) -> Response:
    """Boxes, labels and track ids from the file's latest finished analysis with detections or
    faces (objects or tracking, and faces); 404 naming the modules to run when there is none."""
    media = services.file_media
    record = media.file(principal.tenant_id, file_uuid)
    return respond(media.detections(record, audio=audio == "on", conditions=conditions(request)))


@router.get(
    "/thumbnail",
    response_class=Response,
    responses=_JPEG,
    summary="One frame as JPEG (frame-exact), optionally cropped",
)
def thumbnail(
    file_uuid: FileId,
    principal: CurrentPrincipal,
    services: ServicesDep,
    frame: Annotated[int, Query(description="Zero-based frame number.")],
    x: Annotated[int | None, Query(description="Crop left edge; needs y, w, h.")] = None,
    y: Annotated[int | None, Query(description="Crop top edge; needs x, w, h.")] = None,
    w: Annotated[int | None, Query(description="Crop width; needs x, y, h.")] = None,
    h: Annotated[int | None, Query(description="Crop height; needs x, y, w.")] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Frame ``frame`` exactly (seek to the keyframe before, decode forward). All four crop
    values or none, inside the frame; a frame past the end is a 400 naming the frame count."""
    crop = Crop.from_params(x, y, w, h)
    media = services.file_media
    record = media.file(principal.tenant_id, file_uuid)
    answer = media.thumbnail(record, frame, crop, if_none_match)
    return respond(answer)


@router.get(
    "/clip",
    response_class=Response,
    responses={**_VIDEO, 200: {"content": {"video/mp2t": {}}, "description": "MPEG-TS."}},
    summary="A frame-accurate clip as MPEG-TS (H.264 + AAC)",
)
def clip(
    file_uuid: FileId,
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    start_frame: OptFrame = None,
    end_frame: OptFrame = None,
    start_time: OptTime = None,
    end_time: OptTime = None,
    fps: Fps = None,
    mode: Mode = "normal",
    audio: Audio = "on",
) -> Response:
    """Frames ``start_frame..end_frame`` inclusive (else ``start_time..end_time``) re-encoded;
    ``mode=debug`` draws a "CLIP" label; no range is a 400."""
    media = services.file_media
    record = media.file(principal.tenant_id, file_uuid)
    span = Range(start_frame, end_frame, start_time, end_time, fps)
    answer = media.clip(
        record, span, audio=audio == "on", debug=mode == "debug", conditions=conditions(request)
    )
    return respond(answer)


@router.get(
    "/trace/{trace_id}/video",
    response_class=Response,
    responses=_VIDEO,
    summary="The span of one face trace, that face highlighted",
)
def trace_video(
    file_uuid: FileId,
    trace_id: int,
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    audio: Audio = "on",
) -> Response:
    """From the trace's first to last face, every face drawn, this trace's highlighted."""
    media = services.file_media
    record = media.file(principal.tenant_id, file_uuid)
    return respond(
        media.trace_video(record, trace_id, audio=audio == "on", conditions=conditions(request))
    )


def _representative(face: TraceFace) -> TraceRepresentative:
    sighting = face.face.sighting
    x, y, w, h = sighting.bbox
    return TraceRepresentative(
        frame_number=sighting.frame,
        timestamp_secs=round(float(face.face.timestamp), 3),
        bbox=PixelBox(x=x, y=y, width=w, height=h),
        confidence=round(sighting.confidence, 3),
        quality_score=round(face.face.quality_score, 1),
        blur_score=round(face.face.blur_score, 2),
    )


@router.get(
    "/trace/{trace_id}/representative-face",
    response_model=TraceRepresentativeResponse,
    responses={202: {"model": RenderPending}},
    summary="The best single face of a trace (area x confidence top 10, then the sharpest)",
)
def representative_face(
    file_uuid: FileId, trace_id: int, principal: CurrentPrincipal, services: ServicesDep
) -> TraceRepresentativeResponse | Response:
    """Seed 002's two-stage choice: the 10 faces with the largest area × confidence, then the
    one FFmpeg's ``blurdetect`` finds sharpest (lower ``blur_score`` = sharper)."""
    media = services.file_media
    record = media.file(principal.tenant_id, file_uuid)
    chosen = media.representative(record, trace_id)
    if isinstance(chosen, PendingAnswer):
        return pending_response(chosen)
    return TraceRepresentativeResponse(
        file_uuid=file_uuid,
        trace_id=trace_id,
        face_count=chosen.trace.face_count,
        representative=_representative(chosen),
    )


@router.get(
    "/trace/{trace_id}/thumbnail",
    response_class=Response,
    responses=_JPEG,
    summary="The representative face of a trace as a 320x320 JPEG",
)
def trace_thumbnail(
    file_uuid: FileId,
    trace_id: int,
    principal: CurrentPrincipal,
    services: ServicesDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The face ``representative-face`` chooses, with a margin, 320×320; cacheable 24 h."""
    media = services.file_media
    record = media.file(principal.tenant_id, file_uuid)
    return respond(media.trace_thumbnail(record, trace_id, if_none_match))


def _face(file_uuid: str, face: TraceFace) -> CoOccurrenceFace:
    shown = _representative(face)
    return CoOccurrenceFace(
        frame_number=shown.frame_number,
        bbox=shown.bbox,
        confidence=shown.confidence,
        thumbnail_url=f"/api/v1/file/{file_uuid}/trace/{face.trace.trace_id}/thumbnail",
    )


@router.get(
    "/identities/{identity_uuid_a}/co-occur-with/{identity_uuid_b}",
    response_model=CoOccurrenceResponse,
    responses={202: {"model": RenderPending}},
    summary="The first frame where two identities appear together",
)
def co_occur(
    file_uuid: FileId,
    identity_uuid_a: str,
    identity_uuid_b: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> CoOccurrenceResponse | Response:
    """First co-occurrence frame and time, how many frames they share, and each one's
    representative face; 404 when either is unknown or they never appear together."""
    media = services.file_media
    record = media.file(principal.tenant_id, file_uuid)
    pair = media.cooccurrence(record, identity_uuid_a, identity_uuid_b)
    if isinstance(pair, PendingAnswer):
        return pending_response(pair)
    return _cooccurrence_response(file_uuid, identity_uuid_a, identity_uuid_b, pair)


def _cooccurrence_response(
    file_uuid: str, uuid_a: str, uuid_b: str, pair: Pair
) -> CoOccurrenceResponse:
    names = {i.identity_uuid: i.name for i in pair.analysis.result.identities}
    together = pair.together
    return CoOccurrenceResponse(
        file_uuid=file_uuid,
        identity_a=CoOccurrenceIdentity(
            identity_uuid=uuid_a,
            name=names.get(uuid_a),
            trace_id=pair.a.trace.trace_id,
        ),
        identity_b=CoOccurrenceIdentity(
            identity_uuid=uuid_b,
            name=names.get(uuid_b),
            trace_id=pair.b.trace.trace_id,
        ),
        first_cooccurrence=FirstCoOccurrence(
            frame_number=together.frame_number,
            timestamp_secs=round(together.timestamp_secs, 3),
            total_cooccurrence_frames=together.total_cooccurrence_frames,
            representative_face_a=_face(file_uuid, pair.a),
            representative_face_b=_face(file_uuid, pair.b),
        ),
    )
