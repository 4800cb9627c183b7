"""Where a work item reads its source from: a presigned URL (ranged reads) or a local copy.

Owns: the choice, per work item, between handing the engine a short-lived ``http(s)://`` URL of
the blob (FFmpeg reads over HTTP with ``Range`` requests: the container's index, then only the
GOPs of the item's segment; ``engine.decode`` counts the frames before the segment from the
index, not by reading them) and downloading the whole blob to a temporary file (images,
documents, containers without a complete index, the embedded backend whose files are local).
Does not own the URL (``BlobStore.presign_get``) nor decoding (``engine``).

TLS: FFmpeg's HTTPS client does not verify the server's certificate by default (its
``tls_verify`` option is off); the URL's signature cannot be forged or reused for another object,
and the traffic stays on AWS's network (Lambda to S3, or the GPU VPC's S3 gateway endpoint).

Why: in AWS a 1-hour video fans out into 12 segments; downloading the whole file for each one
moved 12× the video through Lambda's ``/tmp`` and network, and the work item had to wait for the
download before its first frame.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from framelens.orchestration.contract import PipelineDeps, SourceInfo

__all__ = ["RANGED_CONTAINERS", "SEGMENT_URL_TTL_S", "segment_source"]

# Containers whose header indexes every frame (MP4/MOV moov, AVI idx1): a seek reads the index
# and the segment's bytes only. Others (MKV, WebM, MPEG-TS) may need a full demux to count.
RANGED_CONTAINERS = frozenset({"mp4", "mov", "avi"})
# Outlives the analyze stage's timeout (900 s), so the URL is valid for the whole item.
SEGMENT_URL_TTL_S = 3600


def ranged(deps: PipelineDeps, src: SourceInfo) -> bool:
    """Whether ``src`` is read through a URL: a video in an indexed container, and enabled."""
    return (
        deps.pipeline_config.segment_ranged_reads
        and src.media_type == "video"
        and (src.probe.container or "") in RANGED_CONTAINERS
    )


@contextmanager
def segment_source(deps: PipelineDeps, src: SourceInfo) -> Iterator[Path | str]:
    """The URL or local path the engine opens for one work item of ``src``.

    A backend without URLs (the embedded one answers ``None``: its blobs are local files)
    falls back to ``local_path``.
    """
    blobs = deps.stores.blobs
    url = (
        blobs.presign_get(src.blob_key, expires_s=SEGMENT_URL_TTL_S) if ranged(deps, src) else None
    )
    if url is not None:
        yield url
        return
    with blobs.local_path(src.blob_key) as path:
        yield path
