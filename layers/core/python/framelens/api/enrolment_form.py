"""Reading an enrolment request: photos as multipart files and/or ids of stored files.

Owns: the HTTP side of ``POST /v1/galleries/{gallery}/identities`` and
``POST /v1/identities/{id}/faces``: a multipart form (``images``: photo files, repeatable;
``file_ids``: ids of files stored with ``POST /v1/media``, repeatable; ``name``;
``allowlisted``) or a JSON body (``EnrolmentJson``: file ids only), spooled to disk under the
direct-upload limit (for all photos together), and its OpenAPI request body. Does not own
storing the photos or the job (``api.routers.identities``, ``jobs.enrolment``).
"""

from __future__ import annotations

import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError as PydanticValidationError
from starlette.datastructures import UploadFile

from framelens.api.uploads import (
    MULTIPART_SLACK,
    Upload,
    check_length,
    upload_chunks,
    write_capped,
)
from framelens.errors import UnsupportedMediaError, ValidationError
from framelens.jobs.enrolment import MAX_ENROLMENT_IMAGES
from framelens.schemas.galleries import EnrolmentJson

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import Request

__all__ = ["EnrolmentRequest", "enrolment_body_doc", "read_enrolment"]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


@dataclass(frozen=True, slots=True)
class EnrolmentRequest:
    """What the client sent: fields, ids of stored files, and uploaded photos on local disk
    (valid inside ``read_enrolment``'s context)."""

    name: str | None = None
    allowlisted: bool = False
    file_ids: list[str] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many photos in all."""
        return len(self.file_ids) + len(self.uploads)


def enrolment_body_doc(*, with_name: bool) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an enrolment route (read by hand: multipart or JSON)."""
    properties: dict[str, Any] = {
        "images": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "file_ids": {"type": "array", "items": {"type": "string"}},
    }
    if with_name:
        properties["name"] = {"type": "string"}
        properties["allowlisted"] = {"type": "boolean", "default": False}
    schema = EnrolmentJson.model_json_schema()
    if not with_name:
        schema["properties"] = {"images": schema["properties"]["images"]}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": properties}},
                "application/json": {"schema": schema},
            },
        }
    }


def _flag(value: object) -> bool:
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(f"'allowlisted' must be true or false, not {value!r}")


def _check_count(count: int) -> None:
    if count == 0:
        raise ValidationError(
            "send at least one photo of the person: files in the multipart field 'images', "
            "or ids of stored files in 'file_ids' (JSON: 'images')"
        )
    if count > MAX_ENROLMENT_IMAGES:
        raise ValidationError(
            f"{count} photos sent; an enrolment takes at most {MAX_ENROLMENT_IMAGES}",
            details={"images": count},
        )


async def _json(request: Request) -> EnrolmentRequest:
    try:
        body = EnrolmentJson.model_validate_json(await request.body())
    except PydanticValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    _check_count(len(body.images))
    return EnrolmentRequest(name=body.name, allowlisted=body.allowlisted, file_ids=body.images)


def _check_multipart(request: Request, max_bytes: int) -> None:
    """Refuse a body that is neither a form nor small enough by its declared length."""
    content_type = request.headers.get("content-type", "")
    # A form without files (only ``file_ids``) may come urlencoded.
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise UnsupportedMediaError(
            "send multipart/form-data (photos in 'images', stored file ids in 'file_ids') or "
            "application/json ({'images': [file ids]})"
        )
    check_length(request, max_bytes, MULTIPART_SLACK)


async def _spool(files: list[UploadFile], folder: Path, max_bytes: int) -> list[Upload]:
    """Write the uploaded photos to ``folder``; ``MediaTooLargeError`` past ``max_bytes``."""
    uploads = []
    size = 0
    for n, item in enumerate(files):
        path = folder / f"image{n}"
        with path.open("wb") as out:
            size = await write_capped(upload_chunks(item), out, max_bytes, size)
        uploads.append(Upload(path=path, name=item.filename, content_type=None))
    return uploads


@asynccontextmanager
async def read_enrolment(request: Request, max_bytes: int) -> AsyncIterator[EnrolmentRequest]:
    """The enrolment request, its uploaded photos spooled to a temporary folder.

    Raises:
        ValidationError: no photo, too many, or a bad ``allowlisted``.
        MediaTooLargeError: the photos together are over ``max_bytes`` (413).
        UnsupportedMediaError: neither multipart nor JSON.
    """
    if request.headers.get("content-type", "").startswith("application/json"):
        yield await _json(request)
        return
    _check_multipart(request, max_bytes)
    form = await request.form(max_files=MAX_ENROLMENT_IMAGES, max_fields=50)
    try:
        files = [f for f in form.getlist("images") if isinstance(f, UploadFile)]
        ids = [str(v) for v in form.getlist("file_ids") if isinstance(v, str) and v.strip()]
        _check_count(len(files) + len(ids))
        name = form.get("name")
        with tempfile.TemporaryDirectory(prefix="framelens-enrol-") as tmp:
            yield EnrolmentRequest(
                name=name if isinstance(name, str) else None,
                allowlisted=_flag(form.get("allowlisted")),
                file_ids=ids,
                uploads=await _spool(files, Path(tmp), max_bytes),
            )
    finally:
        await form.close()
