"""Pieces of the media service: ranged blob reading, render requests and keys, the cache tee."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest

from framelens.jobs.blob_reader import BlobReader
from framelens.jobs.render_cache import (
    RenderCache,
    RenderKey,
    RenderRequest,
    default_render_key,
)
from framelens.media.av_images import read_frame_exact
from framelens.media.frame_index import build_frame_index
from framelens.stores.embedded.blobs import FolderBlobStore
from tests.media_indexed import indexed_clip, read_index

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def blobs(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")


def test_blob_reader_reads_like_a_file(blobs: FolderBlobStore) -> None:
    # GIVEN 10 000 bytes stored, read with 1 KiB blocks and a 3-block cache
    data = bytes(range(256)) * 40
    blobs.put("k", data, "application/octet-stream")
    reader, local = BlobReader(blobs, "k", block=1024, cached_blocks=3), io.BytesIO(data)
    # WHEN both are sought and read the same way THEN they return the same bytes
    for offset, whence, count in [(0, 0, 10), (5000, 0, 3000), (-100, 2, 500), (-20, 1, 40)]:
        assert reader.seek(offset, whence) == local.seek(offset, whence)
        assert reader.read(count) == local.read(count)
        assert reader.tell() == local.tell()
    assert reader.read() == local.read() == b""
    assert reader.seekable() and reader.readable()


def test_blob_reader_decodes_a_frame_reading_a_fraction_of_the_file(
    blobs: FolderBlobStore, tmp_path: Path
) -> None:
    # GIVEN a 1000-frame clip with a keyframe every 100 frames (the index at the end)
    clip = indexed_clip(tmp_path / "long.mp4", frames=1000, size=(320, 240), keyint=100)
    data = clip.path.read_bytes()
    blobs.put("media/acme/f", data, "video/mp4")
    index = build_frame_index(clip.path)
    reader = BlobReader(blobs, "media/acme/f", block=16 << 10)
    # WHEN frame 910 is decoded through ranged reads
    frame = read_frame_exact(reader, 910, index)
    # THEN it is frame 910, read with the index, the probe and one GOP, not the whole file
    assert read_index(frame) == 910
    assert reader.requests * (16 << 10) < len(data) / 2


def test_render_request_round_trips_and_names_its_parameters() -> None:
    request = RenderRequest("clip", start=10, end=40, audio=False, debug=True)
    assert RenderRequest.from_dict(request.to_dict()) == request
    assert request.params() == (
        "analysis=None;audio=False;debug=True;end=40;highlight=None;hold=0;start=10;v=1"
    )
    assert request.content_type == "video/mp2t" and request.extension == "ts"
    assert RenderRequest("span").span is None
    assert RenderRequest("trace", 1, 2, highlight=3).content_type == "video/mp4"
    assert request.params() != RenderRequest("clip", start=10, end=40, audio=False).params()


def test_default_render_key_separates_tenants_files_and_parameters() -> None:
    key = default_render_key(RenderKey("acme", "f_1", "clip", "a=1", "ts"))
    assert key.startswith("renders/acme/f_1/clip-") and key.endswith(".ts")
    assert key != default_render_key(RenderKey("acme", "f_1", "clip", "a=2", "ts"))
    assert key != default_render_key(RenderKey("other", "f_1", "clip", "a=1", "ts"))


def _chunks(count: int) -> Iterator[bytes]:
    for i in range(count):
        yield bytes([i]) * 10


def test_tee_stores_a_complete_stream(blobs: FolderBlobStore) -> None:
    cache = RenderCache(blobs)
    sent = b"".join(cache.tee(_chunks(5), "renders/x", "video/mp4"))
    assert sent == b"".join(_chunks(5))
    assert cache.get("renders/x") == sent


def test_tee_stores_nothing_when_the_client_goes_away(blobs: FolderBlobStore) -> None:
    # GIVEN a stream of which only the first chunk is read
    closed: list[bool] = []

    def source() -> Iterator[bytes]:
        try:
            yield from _chunks(5)
        finally:
            closed.append(True)

    cache = RenderCache(blobs)
    stream = cache.tee(source(), "renders/y", "video/mp4")
    next(stream)
    # WHEN the consumer closes it
    stream.close()  # type: ignore[attr-defined]
    # THEN the source was closed too and no partial render is stored
    assert closed == [True]
    assert cache.get("renders/y") is None
