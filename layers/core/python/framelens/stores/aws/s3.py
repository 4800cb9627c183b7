"""Blobs in S3: the aws ``BlobStore``.

Owns: object reads and writes in the media bucket, byte ranges (HTTP ``Range``), temporary
downloads for decoders that need a path, and presigned PUT and GET URLs. Does not own which keys
exist (``framelens.jobs`` and ``framelens.api`` name them).
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from framelens.stores.aws._client import translate
from framelens.stores.ports import PresignedUpload

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from framelens.stores.aws._client import AwsClients

__all__ = ["S3BlobStore"]

_AWS_ERRORS = (ClientError, BotoCoreError)


class S3BlobStore:
    """``BlobStore`` on one S3 bucket.

    Args:
        clients: The shared lazily built clients.
        bucket: The media bucket (``FRAMELENS_MEDIA_BUCKET``).
    """

    def __init__(self, clients: AwsClients, bucket: str) -> None:
        self.clients = clients
        self.bucket = bucket

    def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> int:
        """Store ``data`` under ``key`` and return its size; streams use multipart upload."""
        s3 = self.clients.s3
        try:
            if isinstance(data, bytes | bytearray | memoryview):
                s3.put_object(
                    Bucket=self.bucket, Key=key, Body=bytes(data), ContentType=content_type
                )
                return len(data)
            s3.upload_fileobj(data, self.bucket, key, ExtraArgs={"ContentType": content_type})
            return int(s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except _AWS_ERRORS as exc:
            translate(exc, f"blob {key!r}")

    def _get(self, key: str, byte_range: str | None = None) -> Any:
        kwargs: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if byte_range is not None:
            kwargs["Range"] = byte_range
        try:
            return self.clients.s3.get_object(**kwargs)["Body"]
        except _AWS_ERRORS as exc:
            translate(exc, f"blob {key!r}")

    def get(self, key: str) -> bytes:
        """All bytes of ``key``. Raises ``NotFoundError``."""
        body = self._get(key)
        try:
            return bytes(body.read())
        finally:
            body.close()

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start..end`` inclusive. Raises ``NotFoundError``."""
        return b"".join(self.iter_range(key, start, end))

    def iter_range(self, key: str, start: int, end: int, chunk: int = 1 << 20) -> Iterator[bytes]:
        """Stream bytes ``start..end`` inclusive; ``NotFoundError`` is raised before streaming."""
        body = self._get(key, f"bytes={start}-{end}")
        return _stream(body, chunk)

    def size(self, key: str) -> int:
        """Size in bytes. Raises ``NotFoundError``."""
        try:
            head = self.clients.s3.head_object(Bucket=self.bucket, Key=key)
        except _AWS_ERRORS as exc:
            translate(exc, f"blob {key!r}")
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""
        try:
            self.clients.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            translate(exc, f"blob {key!r}")
        except BotoCoreError as exc:
            translate(exc, f"blob {key!r}")
        return True

    def delete(self, key: str) -> None:
        """Remove ``key``; S3 treats a missing key as deleted already."""
        try:
            self.clients.s3.delete_object(Bucket=self.bucket, Key=key)
        except _AWS_ERRORS as exc:
            translate(exc, f"blob {key!r}")

    def metadata(self, key: str) -> dict[str, str]:
        """The object's user metadata from ``HeadObject`` (names lower case)."""
        try:
            head = self.clients.s3.head_object(Bucket=self.bucket, Key=key)
        except _AWS_ERRORS as exc:
            translate(exc, f"blob {key!r}")
        return {str(k).lower(): str(v) for k, v in (head.get("Metadata") or {}).items()}

    def delete_older_than(self, prefix: str, cutoff: datetime) -> int:
        """Remove objects under ``prefix`` last modified before ``cutoff``; returns how many.

        The bucket's lifecycle rules (derived from ``stores.layout``) do this in AWS; this is for
        a bucket without them (LocalStack, a bucket made by hand).
        """
        removed = 0
        try:
            pages = self.clients.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                old = [o["Key"] for o in page.get("Contents", []) if o["LastModified"] < cutoff]
                for start in range(0, len(old), 1000):
                    batch = [{"Key": k} for k in old[start : start + 1000]]
                    self.clients.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})
                    removed += len(batch)
        except _AWS_ERRORS as exc:
            translate(exc, f"blobs under {prefix!r}")
        return removed

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """A temporary download of ``key`` (keeping its suffix for decoders), removed on exit."""
        suffix = PurePosixPath(key).suffix
        fd, name = tempfile.mkstemp(prefix="framelens-", suffix=suffix)
        path = Path(name)
        try:
            with open(fd, "wb") as out:  # noqa: PTH123 - fd from mkstemp, not a path
                try:
                    self.clients.s3.download_fileobj(self.bucket, key, out)
                except _AWS_ERRORS as exc:
                    translate(exc, f"blob {key!r}")
            yield path
        finally:
            path.unlink(missing_ok=True)

    def presign_put(self, key: str, *, content_type: str, expires_s: int) -> PresignedUpload | None:
        """A presigned PUT; the client must send the same ``Content-Type`` header."""
        try:
            url = self.clients.s3.generate_presigned_url(
                "put_object",
                Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
                ExpiresIn=expires_s,
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"blob {key!r}")
        return PresignedUpload(url=url, method="PUT", headers={"Content-Type": content_type})

    def presign_get(
        self, key: str, *, expires_s: int, content_type: str | None = None
    ) -> str | None:
        """A presigned GET (S3 answers ``Range`` and conditional requests itself).

        Raises:
            NotFoundError: ``key`` holds nothing (checked first: a URL to nothing is a 404 later).
        """
        try:
            self.clients.s3.head_object(Bucket=self.bucket, Key=key)
            params = {"Bucket": self.bucket, "Key": key}
            if content_type is not None:
                params["ResponseContentType"] = content_type
            url: str = self.clients.s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_s
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"blob {key!r}")
        return url

    def ping(self) -> None:
        """``HeadBucket``: the bucket exists and we may use it."""
        try:
            self.clients.s3.head_bucket(Bucket=self.bucket)
        except _AWS_ERRORS as exc:
            translate(exc, f"bucket {self.bucket!r}")


def _stream(body: Any, chunk: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk)
    finally:
        body.close()
