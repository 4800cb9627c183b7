"""Blobs as plain files under ``<data_dir>/blobs/<key>``: the embedded ``BlobStore``.

Owns: key-to-path mapping (refusing keys that escape the folder), atomic writes (temp file and
``os.replace``) and byte ranges. Does not own upload or download URLs: the local server serves
those itself, so ``presign_put`` and ``presign_get`` return ``None``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from framelens.errors import NotFoundError, StoreError, ValidationError
from framelens.stores.failures import failure_reason

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from framelens.stores.ports import PresignedUpload

__all__ = ["FolderBlobStore"]


class FolderBlobStore:
    """``BlobStore`` on a local folder.

    Args:
        root: The folder that holds every blob; created when missing.

    Examples:
        >>> import tempfile, pathlib
        >>> store = FolderBlobStore(pathlib.Path(tempfile.mkdtemp()))
        >>> store.put("media/t/f", b"abc", "application/octet-stream")
        3
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        rel = PurePosixPath(key)
        if not key or rel.is_absolute() or any(p in ("", ".", "..") for p in key.split("/")):
            raise ValidationError(f"Invalid blob key {key!r}.")
        return self.root.joinpath(*rel.parts)

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"Blob {key!r} not found.")
        return path

    def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> int:
        """Store ``data`` under ``key`` atomically (readers see the old or the new bytes)."""
        del content_type  # files carry no content type; the file record keeps it
        path = self._path(key)
        try:  # a full disk can refuse the folder or the temporary file too
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError as exc:
            raise StoreError(f"Cannot write blob {key!r} ({failure_reason(exc)}).") from exc
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes | bytearray | memoryview):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
                size = out.tell()
            Path(tmp).replace(path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StoreError(f"Cannot write blob {key!r} ({failure_reason(exc)}).") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size

    def get(self, key: str) -> bytes:
        """All bytes of ``key``. Raises ``NotFoundError``."""
        return self._existing(key).read_bytes()

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start..end`` inclusive. Raises ``NotFoundError``."""
        return b"".join(self.iter_range(key, start, end))

    def iter_range(self, key: str, start: int, end: int, chunk: int = 1 << 20) -> Iterator[bytes]:
        """Stream bytes ``start..end`` inclusive; errors are raised before streaming.

        Raises:
            NotFoundError: ``key`` holds nothing.
            ValidationError: ``start`` is past the end or after ``end`` (HTTP 416, like S3).
        """
        path = self._existing(key)
        if start < 0 or start > end or start >= path.stat().st_size:
            raise ValidationError(f"Range {start}-{end} is not satisfiable for {key!r}.")
        return _read_range(path, start, end, chunk)

    def size(self, key: str) -> int:
        """Size in bytes. Raises ``NotFoundError``."""
        return self._existing(key).stat().st_size

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a blob."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        self._path(key).unlink(missing_ok=True)

    def metadata(self, key: str) -> dict[str, str]:
        """Files carry no user metadata: ``{}`` (S3 drops name their tenant in a sidecar here)."""
        self._existing(key)
        return {}

    def delete_older_than(self, prefix: str, cutoff: datetime) -> int:
        """Remove blobs under ``prefix`` last written before ``cutoff``; returns how many."""
        base = self._path(prefix.rstrip("/"))
        if not base.is_dir():
            return 0
        limit = cutoff.timestamp()
        removed = 0
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(".") and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """The stored file itself (do not modify it). Raises ``NotFoundError``."""
        yield self._existing(key)

    def presign_put(self, key: str, *, content_type: str, expires_s: int) -> PresignedUpload | None:
        """Always ``None``: the local server accepts uploads on its own route."""
        del key, content_type, expires_s
        return None

    def presign_get(
        self, key: str, *, expires_s: int, content_type: str | None = None
    ) -> str | None:
        """Always ``None`` for an existing key: the local server streams blobs itself.

        Raises:
            NotFoundError: ``key`` holds nothing.
        """
        del expires_s, content_type
        self._existing(key)
        return None

    def ping(self) -> None:
        """Check the folder is still there and writable."""
        if not os.access(self.root, os.W_OK):
            raise StoreError(f"Blob folder {self.root} is not writable.")


def _read_range(path: Path, start: int, end: int, chunk: int) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(start)
        left = end - start + 1
        while left > 0:
            buf = f.read(min(chunk, left))
            if not buf:
                break
            left -= len(buf)
            yield buf
