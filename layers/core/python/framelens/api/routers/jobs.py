"""``/v1/jobs``: create (202 + Location), read, list, cancel, page results, fetch artifacts."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import RedirectResponse

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.params import parse_max_processing_time
from framelens.errors import NotFoundError
from framelens.jobs.results import results_link
from framelens.schemas import ErrorEnvelope, JobCreate, JobList, JobPublic, JobRecord, ResultPage
from framelens.stores import layout

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 404, 409, 422, 429)
}
router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=_ERRORS)
modules_router = APIRouter(prefix="/v1", tags=["jobs"], responses=_ERRORS)


def public(job: JobRecord, base_url: str = "") -> JobPublic:
    """The public view with its detailed-results link (absolute with a public base URL)."""
    return JobPublic.from_record(job, detailed_link=results_link(job.id, base_url))


@router.post("", status_code=202, response_model=JobPublic, summary="Create a job")
def create_job(
    body: JobCreate,
    response: Response,
    principal: CurrentPrincipal,
    services: ServicesDep,
    max_processing_time: Annotated[str | None, Header(alias="Max-Processing-Time")] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JobPublic:
    """Queue ``modules`` over ``sources``; poll ``Location`` or wait for the webhook.

    The same ``Idempotency-Key`` with the same body returns the same job (never two); with a
    different body it is a 422.
    """
    job, created = services.jobs.create(
        principal,
        body,
        idempotency_key=idempotency_key,
        max_processing_time=parse_max_processing_time(max_processing_time),
    )
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return public(job, services.settings.public_base_url)


@router.get("", response_model=JobList, summary="List jobs, newest first")
def list_jobs(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> JobList:
    """A page of the caller's jobs; pass ``next_cursor`` back as ``cursor`` for the next."""
    jobs, nxt = services.jobs.list(principal.tenant_id, limit=limit, cursor=cursor)
    base = services.settings.public_base_url
    return JobList(data=[public(j, base) for j in jobs], next_cursor=nxt)


@router.get("/{job_id}", response_model=JobPublic, summary="A job's state, progress and result")
def get_job(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> JobPublic:
    """The job; unknown and other tenants' ids are both 404."""
    return public(services.jobs.get(principal.tenant_id, job_id), services.settings.public_base_url)


@router.delete("/{job_id}", response_model=JobPublic, summary="Cancel a job")
def cancel_job(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> JobPublic:
    """Cancel a queued or running job (409 if it already ended); its webhook fires once."""
    job = services.jobs.cancel(principal.tenant_id, job_id)
    return public(job, services.settings.public_base_url)


@router.get("/{job_id}/results", response_model=ResultPage, summary="Page detailed results")
def job_results(
    job_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    module: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ResultPage:
    """Detailed items of one module (or all), ``limit`` at a time."""
    return services.jobs.results_page(principal.tenant_id, job_id, module, cursor, limit)


@router.get(
    "/{job_id}/artifacts/{name:path}",
    summary="Download an artifact (a best frame's image, an annotated video...)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "video/mp4": {}}}},
)
def job_artifact(
    job_id: str, name: str, principal: CurrentPrincipal, services: ServicesDep
) -> Response:
    """The bytes of an artifact named in the job's results (its ``artifact`` path); one larger
    than a Lambda response can carry is a 307 to a presigned S3 GET (AWS)."""
    services.jobs.get(principal.tenant_id, job_id)  # 404 for foreign jobs
    if ".." in name.split("/"):
        raise NotFoundError("no such artifact")
    key = layout.artifact_key(job_id, name)
    blobs = services.stores.blobs
    if blobs.size(key) > services.settings.max_inline_response_bytes:
        url = blobs.presign_get(key, expires_s=services.settings.presign_expiry_s)
        if url is not None:
            return RedirectResponse(url, status_code=307)
    data = blobs.get(key)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(content=data, media_type=media_type)


# ``/v1/jobs/`` answers like ``/v1/jobs`` instead of a 307 to it: a client that does not follow
# redirects (seed 003's curl examples, which end in a slash and have no -L) gets the body.
router.add_api_route(
    "/",
    create_job,
    methods=["POST"],
    status_code=202,
    response_model=JobPublic,
    include_in_schema=False,
)
router.add_api_route(
    "/", list_jobs, methods=["GET"], response_model=JobList, include_in_schema=False
)


@modules_router.get("/modules", response_model=list[str], summary="The modules a job may run")
def list_modules(_: CurrentPrincipal, services: ServicesDep) -> list[str]:
    """Module names for ``POST /v1/jobs``'s ``modules``."""
    return services.jobs.modules()
