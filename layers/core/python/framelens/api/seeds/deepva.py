"""Seed 003 (DeepVA) jobs and modules: ``/api/v1/jobs/`` and ``/api/v1/modules/``.

A dialect of the native job system: a DeepVA job is a native job (kind ``deepva``) whose sources
and modules were translated (``deepva_sources``, ``deepva_modules``); what the client sent is
kept on the job and shown back. States map ``queued → waiting``, ``running → running``,
``finished → completed``, ``failed → failed``, ``cancelled → cancelled``. Every path answers with
and without its trailing slash; errors follow the document's table (``_deepva.ERRORS``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError as PydanticValidationError

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.seeds._deepva import ERRORS, PREFIX, RESPONSES, base_url, both
from framelens.api.seeds._flow import idempotency_key
from framelens.api.seeds.deepva_modules import catalogue, native_modules
from framelens.api.seeds.deepva_sources import native_sources
from framelens.errors import JobStateError, ValidationError
from framelens.jobs.results import module_source_results
from framelens.schemas import JobCreate, JobRecord, JobState
from framelens.schemas.seeds.deepva import (
    STATES,
    DeepvaJob,
    DeepvaJobCreate,
    DeepvaJobList,
    DeepvaModuleList,
    deepva_job,
    detailed_link,
    display_source,
)
from framelens.schemas.seeds.deepva_details import (
    RESULT_MODELS,
    DeepvaDetail,
    DeepvaDetailedResults,
    details_of,
)

__all__ = ["ERRORS", "router"]

router = APIRouter(prefix=PREFIX, tags=["seed 003: DeepVA"], responses=RESPONSES)


def _view(job: JobRecord, request: Request, services: ServicesDep) -> DeepvaJob:
    return deepva_job(job, detailed_link(base_url(request, services), job.id))


def _galleries(services: ServicesDep, tenant_id: str) -> list[str]:
    store = services.stores.identities
    if store is None:
        return []
    return sorted({r.gallery for r in store.list(tenant_id)})


@both(router, "POST", "/jobs", status_code=201, response_model=DeepvaJob, summary="Create a job")
def create_job(
    body: DeepvaJobCreate,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> DeepvaJob:
    """Apply ``modules`` to ``sources``; answers the job (``waiting``) with 201 and Location."""
    modules = native_modules(body.modules, lambda: _galleries(services, principal.tenant_id))
    sources = native_sources(body.sources, services.settings)
    try:
        native = JobCreate(sources=sources, modules=modules, tag=body.tag)
    except PydanticValidationError as exc:
        raise ValidationError(f"the job is not valid: {exc.errors()[0]['msg']}") from exc
    extra = {
        "deepva_sources": body.sources,
        "deepva_modules": {name: options or {} for name, options in body.modules.items()},
    }
    job, _ = services.jobs.create(
        principal, native, kind="deepva", extra=extra, idempotency_key=idempotency_key(request)
    )
    response.headers["Location"] = f"{PREFIX}/jobs/{job.id}/"
    return _view(job, request, services)


@both(router, "GET", "/jobs", response_model=DeepvaJobList, summary="List jobs, newest first")
def list_jobs(
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DeepvaJobList:
    """The jobs in ``data``; pass ``next_cursor`` back as ``cursor`` for the next page."""
    jobs, nxt = services.jobs.list(principal.tenant_id, limit=limit, cursor=cursor)
    return DeepvaJobList(data=[_view(j, request, services) for j in jobs], next_cursor=nxt)


@both(router, "GET", "/jobs/{job_id}", response_model=DeepvaJob, summary="A job")
def get_job(
    job_id: str, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> DeepvaJob:
    """The job's state, progress and summary; unknown and other tenants' ids are 404."""
    return _view(services.jobs.get(principal.tenant_id, job_id), request, services)


@both(router, "DELETE", "/jobs/{job_id}", response_model=DeepvaJob, summary="Cancel a job")
def cancel_job(
    job_id: str, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> DeepvaJob:
    """Cancel a waiting or running job (400 if it already ended)."""
    return _view(services.jobs.cancel(principal.tenant_id, job_id), request, services)


@both(
    router,
    "GET",
    "/jobs/{job_id}/detailed-results",
    response_model=DeepvaDetailedResults,
    summary="Page a completed job's detailed results",
)
def detailed_results(
    job_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> DeepvaDetailedResults:
    """One item per thing found (a face trace, an object class, a text, a shot...) with its
    times, boxes and face landmarks, ``limit`` at a time."""
    job = services.jobs.get(principal.tenant_id, job_id)
    if job.state != JobState.finished:
        state = STATES[job.state]
        raise JobStateError(
            f"job {job_id} is {state}; its detailed results exist once it is completed",
            details={"state": state},
        )
    items: list[DeepvaDetail] = []
    for module in sorted(job.result_keys):
        model = RESULT_MODELS.get(module)
        if model is None:  # probe: no items
            continue
        for entry in module_source_results(services.stores.blobs, job, module, model):
            source = display_source(entry.uri)
            items.extend(details_of(module, entry.result, source, entry.media_type))
    if cursor is not None and not cursor.isdigit():
        raise ValidationError("cursor is not one this API returned; pass back next_cursor")
    start = int(cursor or 0)
    nxt = str(start + limit) if start + limit < len(items) else None
    return DeepvaDetailedResults(
        id=job.id, data=items[start : start + limit], total=len(items), next_cursor=nxt
    )


@both(router, "GET", "/modules", response_model=DeepvaModuleList, summary="Visual Mining Modules")
def list_modules(principal: CurrentPrincipal) -> DeepvaModuleList:
    """Every module with its options and the native analyzers that run it."""
    return DeepvaModuleList(data=catalogue())
