"""``/v1/jobs/{id}/identities``: a job's face identities named from the galleries as they are now.

A viewer lists a file's persons with their representative faces and current names, and after
enrolling one (``POST /v1/galleries/{g}/identities``) says which gallery identity it is, so the
job's timeline and overlays show the name from then on; renames, merges and deletions in the
gallery show up without any link. Owns the HTTP side only: the rules are
``jobs.job_identities``.
"""

from __future__ import annotations

from fastapi import APIRouter

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.routers.insights import SourceQuery, link_maker
from framelens.jobs import insights
from framelens.jobs.job_identities import job_identities, link_identity
from framelens.schemas import ErrorEnvelope
from framelens.schemas.job_identities import JobIdentity, JobIdentityLink, JobIdentityList

router = APIRouter(
    prefix="/v1",
    tags=["identities"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 409, 422, 429)},
)


@router.get(
    "/jobs/{job_id}/identities",
    response_model=JobIdentityList,
    summary="A job's face identities, named as the galleries are now",
)
def list_job_identities(
    job_id: str, principal: CurrentPrincipal, services: ServicesDep, source: SourceQuery = 0
) -> JobIdentityList:
    """The persons the ``faces`` module found in one source, first seen first, each with a
    short-lived link to its representative face and its gallery identity's current name
    (``null``: unknown). 409 while the job has not finished."""
    job = services.jobs.get(principal.tenant_id, job_id)
    insights.source_info(job, source)
    thumbs = link_maker(services.links, job.tenant_id, "image/jpeg")
    data = job_identities(services.stores.blobs, services.galleries, job, source, thumbs)
    return JobIdentityList(job_id=job.id, source=source, data=data)


@router.put(
    "/jobs/{job_id}/identities/{identity_uuid}",
    response_model=JobIdentity,
    summary="Say which gallery identity one of a job's identities is",
)
def put_job_identity(
    job_id: str,
    identity_uuid: str,
    body: JobIdentityLink,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> JobIdentity:
    """Link the job's identity ``identity_uuid`` to your gallery identity
    ``gallery_identity_id`` (e.g. the one you just enrolled from its face), or forget the link
    with ``null``. The job's timeline, overlays and this list then name it from the gallery.
    An unknown gallery identity is a 400; an unknown job identity a 404."""
    job = services.jobs.get(principal.tenant_id, job_id)
    insights.source_info(job, 0)
    blobs, galleries = services.stores.blobs, services.galleries
    source = link_identity(blobs, galleries, job, identity_uuid, body.gallery_identity_id)
    thumbs = link_maker(services.links, job.tenant_id, "image/jpeg")
    listed = job_identities(blobs, galleries, job, source, thumbs)
    return next(i for i in listed if i.identity_uuid == identity_uuid)
