"""``/v1/media`` and ``/v1/uploads``: sending media, checked by content, stored as ``storage://``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.uploads import multipart_doc, read_upload, spool_body
from framelens.jobs.files import FileService
from framelens.schemas import ErrorEnvelope, FilePublic, UploadRequest, UploadTarget

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 404, 413, 415, 422, 429)
}

router = APIRouter(prefix="/v1", tags=["media"], responses=_ERRORS)
public = APIRouter(prefix="/v1", tags=["media"], responses=_ERRORS)  # token-authenticated PUT

_BODY_DOC = multipart_doc("file", raw_types=("application/octet-stream", "video/*", "image/*"))


def _files(services: ServicesDep) -> FileService:
    return FileService(services.stores, services.settings)


FilesDep = Annotated[FileService, Depends(_files)]


@router.post(
    "/media",
    status_code=201,
    response_model=FilePublic,
    summary="Upload an image, video or DOCX (multipart field `file`, or the raw body)",
    openapi_extra=_BODY_DOC,
)
async def upload_media(
    request: Request, principal: CurrentPrincipal, services: ServicesDep, files: FilesDep
) -> FilePublic:
    """Store media after checking it by content (magic bytes and a real decode), never by name.

    Up to ``FRAMELENS_MAX_UPLOAD_BYTES`` (10 MB by default, like the seeds); larger files go
    through ``POST /v1/uploads``.
    """
    async with read_upload(request, "file", services.settings.max_upload_bytes) as upload:
        record = await run_in_threadpool(
            files.ingest, principal.tenant_id, upload.path, name=upload.name
        )
    return FilePublic.from_record(record)


@router.get("/media/{file_id}", response_model=FilePublic, summary="A stored file's record")
def get_media(file_id: str, principal: CurrentPrincipal, files: FilesDep) -> FilePublic:
    """The file's record; unknown and other tenants' ids are both 404."""
    return FilePublic.from_record(files.get(principal.tenant_id, file_id))


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadTarget,
    summary="Start a large upload: returns where to PUT the bytes",
)
def create_upload(
    body: UploadRequest, request: Request, principal: CurrentPrincipal, files: FilesDep
) -> UploadTarget:
    """A presigned S3 PUT (AWS) or a one-time local PUT URL (embedded); then call complete_url."""
    base = str(request.base_url).rstrip("/")
    return files.create_upload(
        principal.tenant_id,
        name=body.name,
        content_type=body.content_type,
        size=body.size,
        base_url=base,
    )


@public.put(
    "/uploads/{file_id}",
    status_code=204,
    summary="Send the bytes of a large upload (embedded backend; the token is the credential)",
    openapi_extra={
        "requestBody": {
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            "required": True,
        }
    },
)
async def put_upload(
    file_id: str,
    request: Request,
    services: ServicesDep,
    files: FilesDep,
    token: Annotated[str, Query()],
) -> None:
    """Stream the body to storage; complete the upload afterwards to check and use it."""
    # The token is the credential: check it before spooling a single byte (up to 5 GB).
    await run_in_threadpool(files.check_upload_token, file_id, token)
    limit = services.settings.max_presigned_upload_bytes
    async with spool_body(request, limit) as path:
        with path.open("rb") as fh:
            await run_in_threadpool(files.receive_upload, file_id, token, fh)


@router.post(
    "/uploads/{file_id}/complete",
    response_model=FilePublic,
    responses={409: {"model": ErrorEnvelope, "description": "Nothing uploaded, or complete"}},
    summary="Finish a large upload: check the bytes by content and make it a job source",
)
def complete_upload(file_id: str, principal: CurrentPrincipal, files: FilesDep) -> FilePublic:
    """The uploaded file's record, now usable as ``storage://<file_id>``."""
    return FilePublic.from_record(files.complete_upload(principal.tenant_id, file_id))
