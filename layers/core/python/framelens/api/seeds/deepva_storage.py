"""Seed 003 (DeepVA) storage: ``/api/v1/storage/`` — files in folders, usable as job sources.

``POST`` takes the document's multipart form (``file`` and ``folder``, ``/`` or ``/a/b/``) and
answers 201 with ``{"id", "url": "storage://...", "file_size", "name", "is_folder", "uploaded",
"is_image", "upload_failed"}``; the file is checked by content exactly like ``POST /v1/media``
(the same ``FileService.ingest``). ``id`` is the tenant's storage number, counted from 1.
``GET ?folder=`` lists one folder (root by default), ``GET``/``DELETE /{id}/`` read and remove a
file by that number or by its storage id. Folders exist through their files: there is nothing to
create, and listing shows files only.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.seeds._deepva import PREFIX, RESPONSES, both
from framelens.api.uploads import multipart_doc, read_upload
from framelens.errors import NotFoundError, ValidationError
from framelens.jobs.files import FileService
from framelens.schemas import FileRecord
from framelens.schemas.seeds.deepva import DeepvaFile, DeepvaFileList, deepva_file

__all__ = ["normalise_folder", "router"]

router = APIRouter(prefix=PREFIX, tags=["seed 003: DeepVA"], responses=RESPONSES)

_BODY_DOC = multipart_doc("file")
_BODY_DOC["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["folder"] = {
    "type": "string",
    "default": "/",
    "examples": ["/", "/my-subfolder/"],
}
_SEGMENT = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,255}$")


def normalise_folder(folder: str | None) -> str:
    """``/``, or ``/a/b/`` with one slash around each name (``a/b`` and ``/a//b`` alike).

    Raises:
        ValidationError: a ``.``/``..`` name, control characters, or over 1,000 characters.

    Examples:
        >>> normalise_folder("my-subfolder")
        '/my-subfolder/'
        >>> normalise_folder(None)
        '/'
    """
    names = [n for n in (folder or "/").strip().split("/") if n]
    out = "/" + "".join(f"{n}/" for n in names)
    if len(out) > 1000 or any(n in (".", "..") or not _SEGMENT.match(n) for n in names):
        raise ValidationError(
            f"folder {out[:100]!r} is not valid: use names without control characters, "
            "backslashes, '.' or '..', e.g. '/' or '/my-subfolder/'",
            details={"folder": out[:100]},
        )
    return out


def _find(services: ServicesDep, tenant_id: str, ref: str) -> FileRecord:
    """A file by its storage number, its id or its ``storage://`` url."""
    files = services.stores.files
    if not ref.isdigit():
        return files.get(tenant_id, ref.removeprefix("storage://"))
    cursor = None
    while True:  # numbers are not indexed: a tenant's files are read a page at a time
        page, cursor = files.list(tenant_id, limit=200, cursor=cursor)
        for record in page:
            if record.number == int(ref):
                return record
        if cursor is None:
            raise NotFoundError(f"File {ref} not found.")


@both(
    router,
    "POST",
    "/storage",
    status_code=201,
    response_model=DeepvaFile,
    summary="Upload a file into a folder (multipart `file` and `folder`)",
    openapi_extra=_BODY_DOC,
)
async def upload(
    request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> DeepvaFile:
    """Store an image or video after checking it by content; its ``url`` is a job source."""
    files = FileService(services.stores, services.settings)
    async with read_upload(request, "file", services.settings.max_upload_bytes) as up:
        folder = normalise_folder(up.fields.get("folder"))
        number = services.stores.counters.incr(f"storage-number#{principal.tenant_id}", 1)
        record = await run_in_threadpool(
            files.ingest,
            principal.tenant_id,
            up.path,
            name=up.name,
            folder=folder,
            number=int(number or 0),
        )
    return deepva_file(record)


@both(router, "GET", "/storage", response_model=DeepvaFileList, summary="List a folder")
def list_folder(
    principal: CurrentPrincipal,
    services: ServicesDep,
    folder: str = "/",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DeepvaFileList:
    """The files of ``folder`` (default the root), newest first; ``next_cursor`` pages on."""
    records, nxt = services.stores.files.list(
        principal.tenant_id, limit=limit, cursor=cursor, folder=normalise_folder(folder)
    )
    return DeepvaFileList(data=[deepva_file(r) for r in records], next_cursor=nxt)


@both(router, "GET", "/storage/{file_ref}", response_model=DeepvaFile, summary="A stored file")
def get_file(file_ref: str, principal: CurrentPrincipal, services: ServicesDep) -> DeepvaFile:
    """A file by its number (``id``) or storage id; unknown and other tenants' are 404."""
    return deepva_file(_find(services, principal.tenant_id, file_ref))


@both(
    router,
    "DELETE",
    "/storage/{file_ref}",
    status_code=204,
    response_class=Response,
    summary="Delete a stored file",
)
def delete_file(file_ref: str, principal: CurrentPrincipal, services: ServicesDep) -> Response:
    """Remove the file (record and bytes); jobs that already read it keep their results."""
    record = _find(services, principal.tenant_id, file_ref)
    FileService(services.stores, services.settings).delete(principal.tenant_id, record.file_id)
    return Response(status_code=204)
