"""What a finished job saw, for viewers: timeline lanes, overlay windows, and signed media links.

``GET /v1/jobs/{id}/timeline`` lays every result of one source on its time axis (with
short-lived links to the source and to thumbnails); ``GET /v1/jobs/{id}/overlays`` gives the
boxes to draw in a window of at most two minutes, so a long video's detections are fetched as it
plays. ``GET /v1/links/{token}`` serves a signed link (HTTP Range included) to clients that cannot
send a key, such as a browser's ``<video>``; in AWS links are S3's own presigned URLs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from framelens.api.deps import AppServices, CurrentPrincipal, ServicesDep
from framelens.errors import NotFoundError
from framelens.jobs import insights
from framelens.jobs.job_identities import IdentityNamer
from framelens.jobs.links import MediaLinks
from framelens.media.conditional import plan_get
from framelens.schemas import ErrorEnvelope, JobRecord
from framelens.schemas.insights import OverlayWindow, Timeline

router = APIRouter(
    prefix="/v1",
    tags=["insights"],
    responses={code: {"model": ErrorEnvelope} for code in (401, 404, 409, 422, 429)},
)
links_router = APIRouter(prefix="/v1", tags=["insights"])

SourceQuery = Annotated[int, Query(ge=0, le=99, description="Index of the job's source.")]


def link_maker(links: MediaLinks, tenant_id: str, content_type: str) -> Any:
    """Blob key → a short-lived link to it (``None`` for no key or an expired artifact)."""

    def link(key: str | None) -> str | None:
        if not key:
            return None
        try:
            return links.url(tenant_id, key, content_type)
        except NotFoundError:
            return None  # an artifact that expired: no link rather than a broken one

    return link


def _media_link(
    services: AppServices, job: JobRecord, source: int
) -> tuple[str | None, str | None]:
    uri = job.sources[source] if source < len(job.sources) else ""
    if not uri.startswith("storage://"):
        return None, None
    file_id = uri.removeprefix("storage://")
    try:
        record = services.stores.files.get(job.tenant_id, file_id)
    except NotFoundError:
        return file_id, None
    return file_id, link_maker(services.links, job.tenant_id, record.content_type)(record.blob_key)


def _names(services: AppServices, job: JobRecord) -> IdentityNamer | None:
    """Face identity names as the galleries hold them now (renames, enrolments, deletions)."""
    if "faces" not in job.result_keys:
        return None
    return IdentityNamer(services.stores.blobs, services.galleries, job)


@router.get(
    "/jobs/{job_id}/timeline", response_model=Timeline, summary="A job's results on a timeline"
)
def timeline(
    job_id: str, principal: CurrentPrincipal, services: ServicesDep, source: SourceQuery = 0
) -> Timeline:
    """Scenes, sections, activity, text, faces, objects, tracks and best frames as intervals."""
    job = services.jobs.get(principal.tenant_id, job_id)
    info = insights.source_info(job, source)
    file_id, media_url = _media_link(services, job, source)
    thumbs = link_maker(services.links, job.tenant_id, "image/jpeg")
    return Timeline(
        job_id=job.id,
        source=source,
        media_type=info.get("media_type"),
        duration=info.get("duration_s"),
        width=info.get("width"),
        height=info.get("height"),
        file_id=file_id,
        media_url=media_url,
        lanes=insights.lanes(services.stores.blobs, job, source, thumbs, _names(services, job)),
    )


@router.get(
    "/jobs/{job_id}/overlays", response_model=OverlayWindow, summary="Boxes to draw in a window"
)
def overlays(
    job_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    start: Annotated[float, Query(ge=0, description="Window start, seconds.")],
    end: Annotated[float, Query(gt=0, description="Window end, seconds (at most start + 120).")],
    source: SourceQuery = 0,
) -> OverlayWindow:
    """Objects, tracks, faces (with identity names) and text lines in ``[start, end)``."""
    job = services.jobs.get(principal.tenant_id, job_id)
    insights.source_info(job, source)
    names = _names(services, job)
    return insights.overlays(services.stores.blobs, job, source, start, end, names)


@links_router.get(
    "/links/{token}",
    response_class=Response,
    responses={
        206: {"description": "A byte range"},
        401: {"model": ErrorEnvelope},
        404: {"model": ErrorEnvelope},
        416: {"description": "Range not satisfiable"},
    },
    summary="Bytes behind a signed link (no key: the link is the credential)",
)
def signed_link(
    token: str,
    request: Request,
    services: ServicesDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    """A link from a timeline (valid for an hour); HTTP Range and conditional GETs work."""
    target = services.links.verify(token)
    blobs = services.stores.blobs
    size = blobs.size(target.key)
    etag = f'"{token.rpartition(".")[2][:27]}-{size}"'
    plan = plan_get(
        size,
        range_header=range_header,
        if_none_match=request.headers.get("if-none-match"),
        if_range=request.headers.get("if-range"),
        etag=etag,
        cache_control="private, max-age=3600",
    )
    if plan.range is None:
        return Response(status_code=plan.status, headers=plan.headers)
    chunks = blobs.iter_range(target.key, plan.range.start, plan.range.end)
    return StreamingResponse(
        chunks, status_code=plan.status, media_type=target.content_type, headers=plan.headers
    )
