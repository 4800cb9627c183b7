"""Media files: accepting bytes, checking them by content, storing blob and record; uploads.

Owns: the rules of ``POST /v1/media`` (size limit, validation by content, ``storage://`` ids) and
of large uploads (``POST /v1/uploads``: a presigned S3 PUT in AWS, a one-time local PUT URL on the
embedded backend, then ``complete`` checks the bytes like a direct upload). Does not own: how
media is recognised (``framelens.media``) or where bytes live (store ports).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from framelens.errors import (
    AuthError,
    JobStateError,
    MediaTooLargeError,
    NotFoundError,
)
from framelens.schemas import FileRecord, UploadTarget, utcnow
from framelens.stores import layout

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from framelens.config import Settings
    from framelens.media.validate import InspectedMedia
    from framelens.stores import Stores

__all__ = ["FileService", "spooled_copy"]

_CHUNK = 1 << 20


@contextmanager
def spooled_copy(stream: BinaryIO, max_bytes: int) -> Iterator[Path]:
    """Copy ``stream`` to a temporary file, refusing more than ``max_bytes``.

    Raises:
        MediaTooLargeError: the stream is longer than ``max_bytes``.
    """
    with tempfile.TemporaryDirectory(prefix="framelens-upload-") as tmp:
        path = Path(tmp) / "upload"
        size = 0
        with path.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(max_bytes)
                out.write(chunk)
        yield path


def too_large(max_bytes: int) -> MediaTooLargeError:
    """The 413 error for a body over ``max_bytes``, naming the way around it."""
    return MediaTooLargeError(
        f"the file is larger than the {max_bytes // (1024 * 1024)} MB limit of this endpoint; "
        "send large files with POST /v1/uploads",
        details={"max_bytes": max_bytes},
    )


def _file_id() -> str:
    return "f_" + secrets.token_urlsafe(12).replace("-", "a").replace("_", "b")


class FileService:
    """Stores media files for tenants after checking them by content."""

    def __init__(
        self, stores: Stores, settings: Settings, now: Callable[[], datetime] = utcnow
    ) -> None:
        self._stores = stores
        self._settings = settings
        self._now = now

    def ingest(
        self,
        tenant_id: str,
        path: Path,
        *,
        name: str | None = None,
        folder: str = "/",
        number: int | None = None,
    ) -> FileRecord:
        """Check the file at ``path`` by content and store it as a new ``storage://`` file.

        ``folder`` and ``number`` are seed 003's storage folder and numeric id.

        Raises:
            UnprocessableMediaError / UnsupportedMediaError / MediaTooLongError: bad media.
        """
        file_id = _file_id()
        record = self._inspect(tenant_id, file_id, path, name)
        record.folder = folder
        record.number = number
        with path.open("rb") as fh:
            self._stores.blobs.put(record.blob_key, fh, record.content_type)
        self._stores.files.put(record)
        return record

    def get(self, tenant_id: str, file_id: str) -> FileRecord:
        """The tenant's file record (``NotFoundError`` for unknown and foreign ids)."""
        return self._stores.files.get(tenant_id, file_id)

    def delete(self, tenant_id: str, file_id: str) -> FileRecord:
        """Remove the tenant's file: its record and its bytes (``NotFoundError`` if unknown)."""
        record = self._stores.files.get(tenant_id, file_id)
        self._stores.files.delete(tenant_id, file_id)
        self._stores.blobs.delete(record.blob_key)
        return record

    def _inspect(self, tenant_id: str, file_id: str, path: Path, name: str | None) -> FileRecord:
        from framelens.media.validate import inspect_media

        size = path.stat().st_size  # 0: validation says the file is empty
        info = inspect_media(
            path,
            max_image_pixels=self._settings.max_image_pixels,
            max_video_seconds=self._settings.max_video_seconds,
        )
        return self._record(tenant_id, file_id, info, size, name)

    def _inspect_stored(
        self, tenant_id: str, file_id: str, key: str, name: str | None
    ) -> FileRecord:
        """Check an uploaded blob where it lies: a video through ranged reads (the API's 29 s
        and its /tmp never meet a 5 GiB download), an image or document from a local copy (they
        are decoded whole anyway)."""
        from framelens.jobs.blob_reader import BlobReader
        from framelens.media.validate import inspect_video_stream

        blobs = self._stores.blobs
        size = blobs.size(key)  # 0 reads nothing: validation says the file is empty
        with BlobReader(blobs, key, size=size) as reader:
            info = inspect_video_stream(
                cast("BinaryIO", reader),
                max_image_pixels=self._settings.max_image_pixels,
                max_video_seconds=self._settings.max_video_seconds,
            )
        if info is None:
            with blobs.local_path(key) as path:
                return self._inspect(tenant_id, file_id, path, name)
        return self._record(tenant_id, file_id, info, size, name)

    def _record(
        self, tenant_id: str, file_id: str, info: InspectedMedia, size: int, name: str | None
    ) -> FileRecord:
        return FileRecord(
            file_id=file_id,
            tenant_id=tenant_id,
            url=f"storage://{file_id}",
            media_type=info.media_type,
            content_type=info.content_type,
            size=size,
            name=name,
            probe=info.probe,
            blob_key=layout.media_key(tenant_id, file_id),
            time_created=self._now(),
        )

    # ---- large uploads --------------------------------------------------------------------

    def create_upload(
        self,
        tenant_id: str,
        *,
        name: str | None,
        content_type: str,
        size: int | None,
        base_url: str,
    ) -> UploadTarget:
        """Reserve a file id and return where to PUT its bytes.

        Raises:
            MediaTooLargeError: the announced size is over the upload limit.
        """
        limit = self._settings.max_presigned_upload_bytes
        if size is not None and size > limit:
            raise too_large(limit)
        file_id = _file_id()
        expires_s = self._settings.presign_expiry_s
        record = FileRecord(
            file_id=file_id,
            tenant_id=tenant_id,
            url=f"storage://{file_id}",
            media_type=None,
            content_type=content_type,
            size=0,
            name=name,
            blob_key=layout.media_key(tenant_id, file_id),
            state="pending",
            time_created=self._now(),
            upload_expires=self._now() + timedelta(seconds=expires_s),
        )
        native = self._stores.blobs.presign_put(
            record.blob_key, content_type=content_type, expires_s=expires_s
        )
        if native is not None:
            url, method, headers = native.url, native.method, dict(native.headers)
        else:
            # The PUT carries no API key: the token is the credential, and names its tenant.
            tenant_b64 = base64.urlsafe_b64encode(tenant_id.encode()).decode().rstrip("=")
            token = f"{tenant_b64}.{secrets.token_urlsafe(32)}"
            record.upload_token_hash = hashlib.sha256(token.encode()).hexdigest()
            url = f"{base_url}/v1/uploads/{file_id}?token={token}"
            method, headers = "PUT", {"Content-Type": content_type}
        self._stores.files.put(record)
        return UploadTarget(
            file_id=file_id,
            method=method,
            upload_url=url,
            headers=headers,
            complete_url=f"{base_url}/v1/uploads/{file_id}/complete",
            expires_in=expires_s,
            max_bytes=limit,
        )

    def receive_upload(self, file_id: str, token: str, stream: BinaryIO) -> None:
        """Accept the bytes of an embedded upload (the local stand-in for a presigned PUT).

        Raises:
            AuthError: wrong or expired token (the token is the credential, like S3's signature).
            MediaTooLargeError: more bytes than the upload limit.
        """
        record = self._pending_for_token(file_id, token)
        limit = self._settings.max_presigned_upload_bytes
        with spooled_copy(stream, limit) as path, path.open("rb") as fh:
            self._stores.blobs.put(record.blob_key, fh, record.content_type)

    def check_upload_token(self, file_id: str, token: str) -> None:
        """Refuse a wrong or expired upload token before any byte of the body is read.

        Raises:
            AuthError: wrong or expired token.
        """
        self._pending_for_token(file_id, token)

    def _pending_for_token(self, file_id: str, token: str) -> FileRecord:
        invalid = AuthError("this upload URL is not valid; ask POST /v1/uploads for a new one")
        tenant_b64, _, _ = token.partition(".")
        try:
            tenant_id = base64.urlsafe_b64decode(tenant_b64 + "=" * (-len(tenant_b64) % 4)).decode()
            record = self._stores.files.get(tenant_id, file_id)
        except (ValueError, NotFoundError) as exc:  # bad base64, not UTF-8, non-ASCII token
            raise invalid from exc
        digest = hashlib.sha256(token.encode()).hexdigest()
        if (
            record.state != "pending"
            or not record.upload_token_hash
            or not hmac.compare_digest(digest, record.upload_token_hash)
        ):
            raise invalid
        if record.upload_expires and self._now() > record.upload_expires:
            raise AuthError("this upload URL has expired; ask POST /v1/uploads for a new one")
        return record

    def complete_upload(self, tenant_id: str, file_id: str) -> FileRecord:
        """Check the uploaded bytes by content and make the file usable as a job source.

        Raises:
            NotFoundError: unknown or foreign file.
            JobStateError: nothing was uploaded yet, or the file is already complete.
        """
        record = self._stores.files.get(tenant_id, file_id)
        if record.state != "pending":
            raise JobStateError(f"upload {file_id} is already complete")
        if not self._stores.blobs.exists(record.blob_key):
            raise JobStateError(
                f"no bytes have arrived for upload {file_id}; PUT them to the upload URL first"
            )
        checked = self._inspect_stored(tenant_id, file_id, record.blob_key, record.name)
        checked.time_created = record.time_created
        self._stores.files.put(checked)
        return checked
