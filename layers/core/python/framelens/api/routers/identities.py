"""``/v1/galleries`` and ``/v1/identities``: a tenant's named people, enrolled from photos.

Routes: list galleries; list, enrol into a gallery; get, rename / (un)allowlist, delete an
identity; add photos to it; merge another into it. Enrolment runs as a job (``jobs.enrolment``):
the faces are found where the models are, so locally the job runs inline and the route answers
201 (or 200 when adding) with the identity, while in AWS it answers 202 with the job to poll,
after which the identity exists. A photo with no face or with several is a 400 naming it (in
AWS: the job's error). Another tenant's gallery or identity is a 404, like an unknown one.

Owns the HTTP side only: the rules are ``jobs.galleries`` and ``jobs.enrolment``.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.enrolment_form import enrolment_body_doc, read_enrolment
from framelens.errors import FramelensError, NotFoundError, UnsupportedMediaError, ValidationError
from framelens.jobs.enrolment import ENROLMENT_KIND, enrolment_modules, image_sources
from framelens.jobs.files import FileService
from framelens.jobs.galleries import check_gallery, check_name
from framelens.schemas import ErrorEnvelope, JobCreate, JobState
from framelens.schemas.galleries import (
    EnrolmentAccepted,
    EnrolmentOrder,
    GalleryList,
    GallerySummary,
    IdentityList,
    IdentityMerge,
    IdentityPublic,
    IdentityUpdate,
)

if TYPE_CHECKING:
    from framelens.api.deps import AppServices
    from framelens.api.enrolment_form import EnrolmentRequest
    from framelens.auth import Principal
    from framelens.schemas import FileRecord, JobRecord

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 404, 413, 415, 422, 429)
}
_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": EnrolmentAccepted,
        "description": "AWS: the faces are found by a job; poll `status_url`, then the "
        "identity exists (a photo with no face or several faces fails the job, naming it)",
    }
}
# A failed enrolment job's error code → the status the inline route answers with.
_FAILURE_STATUS = {
    ValidationError.code: 400,
    NotFoundError.code: 404,
    UnsupportedMediaError.code: 415,
    "invalid_media": 400,
    "unprocessable_media": 422,
}

router = APIRouter(prefix="/v1", tags=["identities"], responses=_ERRORS)


class EnrolmentFailedError(FramelensError):
    """An enrolment job that ran inline ended without an identity; carries the job's error."""

    def __init__(self, job: JobRecord) -> None:
        error = job.error
        message = error.message if error else "the enrolment did not finish"
        super().__init__(message, details={"job_id": job.id})
        self.code = error.code if error else "internal_error"  # type: ignore[misc]
        self.http_status = _FAILURE_STATUS.get(self.code, 500)  # type: ignore[misc]


def _new_identity_id() -> str:
    return "id_" + secrets.token_hex(10)


# ---- galleries ------------------------------------------------------------------------------


@router.get("/galleries", response_model=GalleryList, summary="List your galleries")
def list_galleries(principal: CurrentPrincipal, services: ServicesDep) -> GalleryList:
    """Your galleries by name, with how many identities each holds. A gallery exists while it
    holds an identity: enrolling the first person creates it."""
    return GalleryList(
        data=[
            GallerySummary(
                gallery=name,
                identities=len(records),
                allowlisted=sum(r.allowlisted for r in records),
            )
            for name, records in services.galleries.galleries(principal.tenant_id).items()
        ]
    )


@router.get(
    "/galleries/{gallery}/identities",
    response_model=IdentityList,
    summary="List a gallery's identities",
)
def list_identities(
    gallery: str, principal: CurrentPrincipal, services: ServicesDep
) -> IdentityList:
    """The gallery's identities, oldest first; an unknown gallery (or another tenant's) is 404."""
    records = services.galleries.gallery(principal.tenant_id, gallery)
    return IdentityList(gallery=gallery, data=[IdentityPublic.from_record(r) for r in records])


@router.post(
    "/galleries/{gallery}/identities",
    status_code=201,
    response_model=IdentityPublic,
    responses=_ACCEPTED,
    summary="Enrol a person from photos (one face each)",
    openapi_extra=enrolment_body_doc(with_name=True),
)
async def enrol_identity(
    gallery: str, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> Response:
    """Create the named identity ``name`` in ``gallery`` from 1 to 10 photos, each showing
    exactly one face: uploaded in the multipart field ``images`` (repeatable) and/or stored
    before with ``POST /v1/media`` (``file_ids``, or JSON ``{"name", "images": [ids]}``).
    ``allowlisted: true`` makes matches to it report ``allowlisted``.

    201 with the identity when the faces are found at once (local server); 202 with a job to
    poll where they are found by the pipeline (AWS). Uploaded photos are deleted when the job
    ends; only their embeddings stay, in the identity.
    """
    check_gallery(gallery)
    async with read_enrolment(request, services.settings.max_upload_bytes) as form:
        if not form.name:
            raise ValidationError("a new identity needs a 'name'", details={"field": "name"})
        order = EnrolmentOrder(
            action="create",
            identity_id=_new_identity_id(),
            gallery=gallery,
            name=check_name(form.name),
            allowlisted=form.allowlisted,
        )
        return await _enrol(services, principal, order, form, done_status=201)


# ---- one identity ---------------------------------------------------------------------------


@router.get("/identities/{identity_id}", response_model=IdentityPublic, summary="An identity")
def get_identity(
    identity_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> IdentityPublic:
    """The identity (never its embeddings); unknown and other tenants' ids are both 404."""
    return IdentityPublic.from_record(services.galleries.get(principal.tenant_id, identity_id))


@router.patch(
    "/identities/{identity_id}",
    response_model=IdentityPublic,
    summary="Rename an identity and/or set its allowlisted flag",
)
def update_identity(
    identity_id: str, body: IdentityUpdate, principal: CurrentPrincipal, services: ServicesDep
) -> IdentityPublic:
    """Change ``name`` and/or ``allowlisted``; jobs created afterwards see the change."""
    galleries, tenant = services.galleries, principal.tenant_id
    record = galleries.get(tenant, identity_id)
    if body.name is not None:
        record = galleries.rename(tenant, identity_id, body.name)
    if body.allowlisted is not None:
        record = galleries.set_allowlisted(tenant, identity_id, body.allowlisted)
    return IdentityPublic.from_record(record)


@router.delete("/identities/{identity_id}", status_code=204, summary="Delete an identity")
def delete_identity(identity_id: str, principal: CurrentPrincipal, services: ServicesDep) -> None:
    """Delete the identity and every face embedding it holds (nothing of it is kept)."""
    services.galleries.delete(principal.tenant_id, identity_id)


@router.post(
    "/identities/{identity_id}/faces",
    response_model=IdentityPublic,
    responses=_ACCEPTED,
    summary="Add photos to an identity (one face each)",
    openapi_extra=enrolment_body_doc(with_name=False),
)
async def add_faces(
    identity_id: str, request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> Response:
    """Add the face of each photo (as for enrolment) to the identity: 200 with it, or 202 with
    a job in AWS."""
    record = services.galleries.get(principal.tenant_id, identity_id)
    async with read_enrolment(request, services.settings.max_upload_bytes) as form:
        order = EnrolmentOrder(action="add", identity_id=identity_id, gallery=record.gallery)
        return await _enrol(services, principal, order, form, done_status=200)


@router.post(
    "/identities/{identity_id}/merge",
    response_model=IdentityPublic,
    summary="Merge another identity into this one",
)
def merge_identities(
    identity_id: str, body: IdentityMerge, principal: CurrentPrincipal, services: ServicesDep
) -> IdentityPublic:
    """Move ``other_id``'s faces into this identity and delete ``other_id`` (one gallery's
    identities only); the merged identity is allowlisted if either was."""
    merged = services.galleries.merge(principal.tenant_id, identity_id, body.other_id)
    return IdentityPublic.from_record(merged)


# ---- enrolment as a job ---------------------------------------------------------------------


async def _store_uploads(
    services: AppServices, principal: Principal, form: EnrolmentRequest, stored: list[FileRecord]
) -> list[str]:
    """Store the uploaded photos as the tenant's files (checked by content); their labels."""
    files = FileService(services.stores, services.settings)
    labels = []
    for n, upload in enumerate(form.uploads, start=1):
        label = upload.name or f"image {n}"
        record = await run_in_threadpool(
            files.ingest, principal.tenant_id, upload.path, name=upload.name
        )
        stored.append(record)
        if record.media_type != "image":
            raise UnsupportedMediaError(
                f"{label} is a {record.media_type}; enrol people from photos (JPEG, PNG, WebP)",
                details={"image": label, "media_type": record.media_type},
            )
        labels.append(label)
    return labels


def _forget(services: AppServices, tenant_id: str, stored: list[FileRecord]) -> None:
    for record in stored:
        services.stores.files.delete(tenant_id, record.file_id)
        services.stores.blobs.delete(record.blob_key)


async def _enrolment_job(
    services: AppServices, principal: Principal, order: EnrolmentOrder, form: EnrolmentRequest
) -> tuple[JobRecord, bool]:
    """Store the photos and create the enrolment job: ``(job, run it inline)``. Photos stored
    before a failure are deleted (no job would ever delete them)."""
    stored: list[FileRecord] = []
    try:
        labels = await _store_uploads(services, principal, form, stored)
        sources = [r.url for r in stored]
        sources += image_sources(services.stores.files, principal.tenant_id, form.file_ids)
        order = order.model_copy(
            update={
                "labels": [*labels, *form.file_ids],
                "uploaded": [r.file_id for r in stored],
            }
        )
        return services.jobs.create_answer(
            principal,
            JobCreate(sources=sources, modules=enrolment_modules(), tag="enrolment"),
            kind=ENROLMENT_KIND,
            inline_max_seconds=0.0,  # photos have no duration: inline wherever jobs can be
            media_seconds=0.0,
            extra=order.to_extra(),
        )
    except BaseException:
        _forget(services, principal.tenant_id, stored)
        raise


async def _enrol(
    services: AppServices,
    principal: Principal,
    order: EnrolmentOrder,
    form: EnrolmentRequest,
    *,
    done_status: int,
) -> Response:
    """Store the photos, create the enrolment job, and answer with the identity or 202."""
    job, inline = await _enrolment_job(services, principal, order, form)
    if not inline:
        accepted = EnrolmentAccepted.from_job(job, order.identity_id)
        return JSONResponse(
            accepted.model_dump(mode="json"),
            status_code=202,
            headers={"Location": accepted.status_url},
        )
    job = await run_in_threadpool(services.jobs.run_inline, job.id)
    if job.state != JobState.finished:
        raise EnrolmentFailedError(job)
    record = services.galleries.get(principal.tenant_id, order.identity_id)
    identity = IdentityPublic.from_record(record)
    return JSONResponse(
        identity.model_dump(mode="json"),
        status_code=done_status,
        headers={"Location": f"/v1/identities/{identity.id}"},
    )
