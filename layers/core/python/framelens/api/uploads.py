"""Reading media out of requests: multipart field or raw body, spooled to disk under a limit.

Owns: the HTTP side of receiving files (Content-Length pre-check, streaming to a temp file, the
422 for a missing field). Checking what the bytes are is ``framelens.media``'s job.
"""

from __future__ import annotations

import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from starlette.datastructures import UploadFile

from framelens.errors import FramelensError
from framelens.jobs.files import too_large

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator

    from fastapi import Request

__all__ = [
    "MULTIPART_SLACK",
    "MissingFileError",
    "Upload",
    "check_length",
    "multipart_doc",
    "read_upload",
    "spool_body",
    "upload_chunks",
    "write_capped",
]

_CHUNK = 1 << 20
# Multipart framing adds headers and boundaries around the file; don't refuse on those bytes.
MULTIPART_SLACK = 64 * 1024


class MissingFileError(FramelensError):
    """The multipart form has no file under the expected field name."""

    code = "missing_file"
    http_status = 422


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file on local disk, valid inside ``read_upload``'s context."""

    path: Path
    name: str | None
    content_type: str | None
    fields: dict[str, str] = field(default_factory=dict)  # the form's text fields


def multipart_doc(field: str, *, raw_types: tuple[str, ...] = ()) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a route that reads a file with ``read_upload``.

    Routes read the body themselves (multipart or raw), so FastAPI cannot infer it.
    """
    binary = {"type": "string", "format": "binary"}
    content: dict[str, Any] = {
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {field: binary}, "required": [field]}
        }
    }
    for media_type in raw_types:
        content[media_type] = {"schema": binary}
    return {"requestBody": {"content": content, "required": True}}


def check_length(request: Request, max_bytes: int, slack: int = 0) -> None:
    """Refuse (413) a body whose declared ``Content-Length`` is already over the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes + slack:
        raise too_large(max_bytes)


async def upload_chunks(item: UploadFile) -> AsyncIterator[bytes]:
    """A multipart file's bytes, chunk by chunk."""
    while chunk := await item.read(_CHUNK):
        yield chunk


async def write_capped(
    chunks: AsyncIterable[bytes], out: IO[bytes], max_bytes: int, written: int = 0
) -> int:
    """Write ``chunks`` to ``out`` and return the total written (``written`` before them).

    Raises:
        MediaTooLargeError: the total passes ``max_bytes`` (413); nothing past it is written.
    """
    async for chunk in chunks:
        written += len(chunk)
        if written > max_bytes:
            raise too_large(max_bytes)
        out.write(chunk)
    return written


@asynccontextmanager
async def spool_body(request: Request, max_bytes: int) -> AsyncIterator[Path]:
    """Stream the raw request body to a temporary file, refusing more than ``max_bytes``."""
    check_length(request, max_bytes)
    with tempfile.TemporaryDirectory(prefix="framelens-body-") as tmp:
        path = Path(tmp) / "body"
        with path.open("wb") as out:
            await write_capped(request.stream(), out, max_bytes)
        yield path


@asynccontextmanager
async def read_upload(request: Request, field: str, max_bytes: int) -> AsyncIterator[Upload]:
    """The uploaded file: from multipart field ``field``, or the raw body for other types.

    Raises:
        MissingFileError: a multipart form without ``field`` (422, as in the seeds).
        MediaTooLargeError: more than ``max_bytes`` (413).
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        async with spool_body(request, max_bytes) as path:
            yield Upload(path=path, name=None, content_type=content_type or None)
        return
    check_length(request, max_bytes, MULTIPART_SLACK)
    form = await request.form(max_files=4, max_fields=50)
    try:
        item = form.get(field)
        if not isinstance(item, UploadFile):
            names = ", ".join(sorted(form.keys())) or "none"
            raise MissingFileError(
                f"no file attached: send the file in the multipart field '{field}' "
                f"(fields received: {names})",
                details={"field": field},
            )
        with tempfile.TemporaryDirectory(prefix="framelens-form-") as tmp:
            path = Path(tmp) / "upload"
            with path.open("wb") as out:
                await write_capped(upload_chunks(item), out, max_bytes)
            texts = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            yield Upload(
                path=path, name=item.filename, content_type=item.content_type, fields=texts
            )
    finally:
        await form.close()
