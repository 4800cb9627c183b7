"""Turning a job's sources into probed blobs, and storing analyzer artifacts as blobs.

Owns: the ``storage://``, ``s3://``, ``https://`` and ``file://`` source schemes as the pipeline
reads them (a local file is copied into the job's fetched blobs, so what is analyzed cannot change
under the job), and ``BlobArtifactSink``. Does not own: the SSRF guard (``jobs.fetch``), which
local paths may be read (``jobs.source_rules``) or probing (``media``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from framelens.engine.base import ArtifactSink
from framelens.errors import ValidationError
from framelens.orchestration.contract import SourceInfo
from framelens.stores import layout

if TYPE_CHECKING:
    from typing import BinaryIO

    from framelens.orchestration.contract import PipelineConfig, PipelineDeps
    from framelens.schemas import JobRecord
    from framelens.stores import BlobStore

__all__ = ["BlobArtifactSink", "resolve_and_probe"]


class BlobArtifactSink(ArtifactSink):
    """Artifacts of one job, source and segment, under one blob prefix."""

    def __init__(self, blobs: BlobStore, prefix: str) -> None:
        self._blobs = blobs
        self._prefix = prefix.rstrip("/")

    def put(self, name: str, data: bytes, content_type: str) -> str:
        """Store ``data`` as ``<prefix>/<name>`` and return the blob key."""
        key = self._key(name)
        self._blobs.put(key, data, content_type)
        return key

    def put_file(self, name: str, fp: BinaryIO, content_type: str) -> str:
        """Stream an open file to ``<prefix>/<name>`` (never all of it in memory)."""
        key = self._key(name)
        self._blobs.put(key, fp, content_type)
        return key

    def _key(self, name: str) -> str:
        parts = name.split("/")
        if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"artifact name {name!r} must be a relative path without '..'")
        return f"{self._prefix}/{name}"


def resolve_and_probe(deps: PipelineDeps, job: JobRecord, index: int, uri: str) -> SourceInfo:
    """Make source ``index`` of ``job`` a blob, check it by content and probe it.

    Raises:
        ValidationError: unknown scheme or a source the backend cannot read.
        FetchRefusedError: an ``https://`` source refused by the SSRF guard or limits.
        MediaError: the content is not supported media.
    """
    from framelens.media.validate import inspect_media

    config = deps.pipeline_config
    blobs = deps.stores.blobs
    fetched = False
    if uri.startswith("storage://"):
        record = deps.stores.files.get(job.tenant_id, uri.removeprefix("storage://"))
        blob_key = record.blob_key
    elif uri.startswith("https://") or (uri.startswith("http://") and config.allow_private_network):
        blob_key, fetched = _fetch(deps, job, index, uri), True
    elif uri.startswith("s3://"):
        blob_key = _s3_key(config, uri)
    elif uri.startswith("file://"):
        blob_key, fetched = _copy_local(deps, job, index, uri), True
    else:
        raise ValidationError(f"source {uri!r} has an unsupported scheme")
    with blobs.local_path(blob_key) as path:
        inspected = inspect_media(
            path,
            max_image_pixels=config.max_image_pixels,
            max_video_seconds=config.max_video_seconds,
        )
    return SourceInfo(
        index=index,
        uri=uri,
        blob_key=blob_key,
        media_type=inspected.media_type.value,
        probe=inspected.probe,
        fetched=fetched,
    )


def _fetch(deps: PipelineDeps, job: JobRecord, index: int, uri: str) -> str:
    from framelens.jobs.fetch import fetch_to_file

    config = deps.pipeline_config
    key = layout.fetched_key(job.tenant_id, job.id, index)
    with tempfile.TemporaryDirectory(prefix="framelens-fetch-") as tmp:
        dest = Path(tmp) / "source"
        fetched = fetch_to_file(
            uri,
            dest,
            max_bytes=config.fetch_max_bytes,
            timeout_s=config.fetch_timeout_s,
            max_redirects=config.fetch_max_redirects,
            allow_private=config.allow_private_network,
        )
        with dest.open("rb") as fh:
            deps.stores.blobs.put(key, fh, fetched.content_type or "application/octet-stream")
    return key


def _copy_local(deps: PipelineDeps, job: JobRecord, index: int, uri: str) -> str:
    from framelens.jobs.source_rules import open_local_source, split_roots

    config = deps.pipeline_config
    # Checked again here, not only at creation: the path may have changed since.
    roots = split_roots(config.local_source_roots)
    key = layout.fetched_key(job.tenant_id, job.id, index)
    with open_local_source(uri, roots, config.backend) as fh:
        deps.stores.blobs.put(key, fh, "application/octet-stream")
    return key


def _s3_key(config: PipelineConfig, uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if config.backend != "aws":
        raise ValidationError(
            f"source {uri} needs the aws backend; on the local server upload it with "
            "POST /v1/media and use its storage:// url"
        )
    if bucket != config.media_bucket or not key:
        raise ValidationError(
            f"source {uri} must name an object in the media bucket s3://{config.media_bucket}/"
        )
    return key
