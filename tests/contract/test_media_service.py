"""The media service over both blob store adapters (embedded, and S3 on moto).

Stored files are generated clips put through the ``BlobStore`` port, as uploads are. Ranges are
checked byte for byte against the stored file; renders are checked to be cached under the
deployment's keys, and stored only when complete.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import av
import cv2
import numpy as np
import pytest

from framelens.errors import NotFoundError, ValidationError
from framelens.jobs import (
    BytesAnswer,
    GetConditions,
    MediaService,
    PendingAnswer,
    RedirectAnswer,
    RenderKey,
    StreamAnswer,
)
from framelens.media import Crop, FaceSighting, OverlayBox
from framelens.schemas import FileRecord, MediaProbe, MediaType
from tests.media_indexed import read_index

if TYPE_CHECKING:
    from framelens.stores import Stores
    from tests.media import Generated


def prefixed(key: RenderKey) -> str:
    """A deployment's key builder (the layout module's stand-in)."""
    return f"cache/{key.tenant_id}/{key.file_id}/{key.kind}/{abs(hash(key.params))}"


@pytest.fixture
def stored(stores: Stores, indexed_av_video: Generated) -> tuple[FileRecord, bytes]:
    """The indexed clip with audio stored as tenant acme's file ``f_av``."""
    data = indexed_av_video.path.read_bytes()
    record = FileRecord(
        file_id="f_av",
        tenant_id="acme",
        url="storage://f_av",
        media_type=MediaType.video,
        content_type="video/mp4",
        size=len(data),
        probe=MediaProbe(width=160, height=120, frames=100, fps=25.0),
        blob_key="media/acme/f_av",
    )
    stores.blobs.put(record.blob_key, data, record.content_type)
    stores.files.put(record)
    return record, data


def body(answer: object) -> bytes:
    if isinstance(answer, BytesAnswer):
        return answer.body
    assert isinstance(answer, StreamAnswer), answer
    return b"".join(answer.chunks)


def jpeg(answer: BytesAnswer) -> np.ndarray:
    assert answer.status == 200 and answer.content_type == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(answer.body, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


# --- the stored file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "status", "start", "end"),
    [
        (None, 200, 0, None),
        ("bytes=0-0", 206, 0, 1),
        ("bytes=100-1099", 206, 100, 1100),
        ("bytes=-500", 206, -500, None),
        ("bytes=5000-", 206, 5000, None),
        ("bytes=10-20,5-8", 206, 5, 21),
    ],
)
def test_video_ranges_are_byte_exact_slices(
    stores: Stores, stored: tuple[FileRecord, bytes], header, status, start, end
) -> None:
    # GIVEN a stored video WHEN it is fetched with a Range header
    record, data = stored
    answer = MediaService(stores.blobs).video(record, GetConditions(range=header))
    # THEN the status and the bytes are exactly that slice of the stored file
    expected = data[start:end]
    assert isinstance(answer, StreamAnswer) and answer.status == status
    assert body(answer) == expected
    assert answer.headers["Content-Length"] == str(len(expected))
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert answer.content_type == "video/mp4"
    assert answer.headers["Cache-Control"] == "public, max-age=86400"
    if status == 206:
        first = start % len(data)
        assert answer.headers["Content-Range"] == (
            f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
        )


def test_unsatisfiable_range_is_416(stores: Stores, stored: tuple[FileRecord, bytes]) -> None:
    record, data = stored
    answer = MediaService(stores.blobs).video(record, GetConditions(range=f"bytes={len(data)}-"))
    assert isinstance(answer, BytesAnswer) and answer.status == 416 and answer.body == b""
    assert answer.headers["Content-Range"] == f"bytes */{len(data)}"


def test_etag_round_trip(stores: Stores, stored: tuple[FileRecord, bytes]) -> None:
    # GIVEN the ETag of a first GET
    record, data = stored
    service = MediaService(stores.blobs)
    etag = service.video(record).headers["ETag"]
    # WHEN the client revalidates THEN 304 with no body
    again = service.video(record, GetConditions(if_none_match=etag))
    assert isinstance(again, BytesAnswer) and again.status == 304 and again.body == b""
    # AND a range with a matching If-Range is honoured, a stale one sends everything
    fresh = service.video(record, GetConditions(range="bytes=0-9", if_range=etag))
    stale = service.video(record, GetConditions(range="bytes=0-9", if_range='"old"'))
    assert fresh.status == 206 and body(fresh) == data[:10]
    assert stale.status == 200 and body(stale) == data


def test_aws_answers_video_with_a_presigned_redirect(
    stores: Stores, stored: tuple[FileRecord, bytes], backend: str
) -> None:
    record, data = stored
    answer = MediaService(stores.blobs, presign_expires_s=300).video(record)
    if backend == "embedded":  # no presigned URLs locally: streamed as before
        assert isinstance(answer, StreamAnswer) and body(answer) == data
        return
    assert isinstance(answer, RedirectAnswer) and answer.status == 307
    requests = pytest.importorskip("requests")
    got = requests.get(answer.url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert got.status_code == 206 and got.content == data[10:20]


# --- images --------------------------------------------------------------------------------------


@pytest.mark.parametrize("ranged", [False, True])
def test_thumbnail_is_frame_n_and_is_cached(
    stores: Stores, stored: tuple[FileRecord, bytes], ranged: bool
) -> None:
    # GIVEN the service reading through a local path, or through ranged reads of the blob
    record, _ = stored
    service = MediaService(stores.blobs, render_key=prefixed, ranged_reads=ranged)
    # WHEN frame 57 is asked for, cropped below the index band, and whole
    whole = service.thumbnail(record, frame=57)
    crop = service.thumbnail(record, frame=57, crop=Crop(10, 40, 50, 30))
    by_time = service.thumbnail(record, time=2.29)
    # THEN each is frame 57, the crop has its size, and all are cached under the deployment's keys
    assert read_index(jpeg(whole)) == 57 and read_index(jpeg(by_time)) == 57
    assert jpeg(crop).shape == (30, 50, 3)
    assert whole.headers["ETag"] == by_time.headers["ETag"] != crop.headers["ETag"]
    assert stores.blobs.exists(f"cache/acme/f_av/thumbnail/{abs(hash('frame=57;crop=none;v=1'))}")
    # AND a revalidation with the ETag is 304 without a body
    again = service.thumbnail(record, frame=57, if_none_match=whole.headers["ETag"])
    assert again.status == 304 and again.body == b""


def test_thumbnail_errors_name_the_problem(
    stores: Stores, stored: tuple[FileRecord, bytes]
) -> None:
    record, _ = stored
    service = MediaService(stores.blobs)
    with pytest.raises(ValidationError, match="has 100 frames"):
        service.thumbnail(record, frame=100)
    with pytest.raises(ValidationError, match="past the frame width 160"):
        service.thumbnail(record, frame=0, crop=Crop(150, 0, 20, 20))


def test_frame_index_is_stored_once_for_every_service(
    stores: Stores, stored: tuple[FileRecord, bytes]
) -> None:
    record, _ = stored
    first = MediaService(stores.blobs, render_key=prefixed).frame_index(record)
    assert stores.blobs.exists(f"cache/acme/f_av/frame-index/{abs(hash('frame-index;v=1'))}")
    # a fresh service (a new Lambda container) reads the stored index, even if the video is gone
    stores.blobs.delete(record.blob_key)
    assert MediaService(stores.blobs, render_key=prefixed).frame_index(record) == first


def test_trace_thumbnail_and_representative_face(
    stores: Stores, stored: tuple[FileRecord, bytes]
) -> None:
    record, _ = stored
    service = MediaService(stores.blobs)
    sightings = [FaceSighting(i, (10, 0, 60, 28), 0.5 + i / 200) for i in range(0, 100, 5)]
    chosen = service.representative_face(record, sightings, analysis="job_1", trace_id=4)
    again = service.representative_face(record, sightings[:1], analysis="job_1", trace_id=4)
    assert again == chosen  # cached per analysis and trace
    thumb = service.trace_thumbnail(record, sightings, analysis="job_1", trace_id=4)
    assert jpeg(thumb).shape == (320, 320, 3)
    with pytest.raises(NotFoundError):
        service.representative_face(record, [], analysis="job_2", trace_id=4)


# --- renders -------------------------------------------------------------------------------------


def test_clip_streams_then_is_served_from_the_cache_with_ranges(
    stores: Stores, stored: tuple[FileRecord, bytes]
) -> None:
    # GIVEN a first request for frames 10..40 (rendered while streamed)
    record, _ = stored
    service = MediaService(stores.blobs, render_key=prefixed)
    first = service.clip(record, start_frame=10, end_frame=40)
    assert isinstance(first, StreamAnswer) and first.content_type == "video/mp2t"
    ts = body(first)
    with av.open(io.BytesIO(ts)) as container:
        frames = [read_index(f.to_ndarray(format="bgr24")) for f in container.decode(video=0)]
    assert frames == list(range(10, 41))
    # WHEN it is asked for again, with a range THEN the cached file answers, byte-exact
    second = service.clip(
        record, start_frame=10, end_frame=40, conditions=GetConditions(range="bytes=0-187")
    )
    assert second.status == 206 and body(second) == ts[:188]
    assert second.headers["ETag"] == first.headers["ETag"]


def test_abandoned_render_is_not_cached(stores: Stores, stored: tuple[FileRecord, bytes]) -> None:
    record, _ = stored
    service = MediaService(stores.blobs, render_key=prefixed)
    answer = service.clip(record, start_frame=0, end_frame=99, debug=True)
    assert isinstance(answer, StreamAnswer)
    next(answer.chunks)
    answer.chunks.close()  # type: ignore[attr-defined]
    again = service.clip(record, start_frame=0, end_frame=99, debug=True)
    assert (
        isinstance(again, StreamAnswer) and "Content-Length" not in again.headers
    )  # rendered anew
    again.chunks.close()  # type: ignore[attr-defined]


def test_clip_needs_a_range_and_errors_come_before_streaming(
    stores: Stores, stored: tuple[FileRecord, bytes]
) -> None:
    record, _ = stored
    service = MediaService(stores.blobs)
    with pytest.raises(ValidationError, match="needs a range"):
        service.clip(record)
    with pytest.raises(ValidationError, match="has 100 frames"):
        service.clip(record, start_frame=90, end_frame=120)


def test_span_copy_and_audio_off(stores: Stores, stored: tuple[FileRecord, bytes]) -> None:
    record, data = stored
    service = MediaService(stores.blobs)
    span = body(service.video_span(record, start_frame=60, end_frame=70))
    with av.open(io.BytesIO(span)) as container:
        first = read_index(next(container.decode(video=0)).to_ndarray(format="bgr24"))
        kinds = [s.type for s in container.streams]
    assert first == 50 and kinds == ["video", "audio"]  # the keyframe at or before 60
    silent = body(service.video_span(record, audio=False))
    with av.open(io.BytesIO(silent)) as container:
        assert [s.type for s in container.streams] == ["video"]
    whole = service.video_span(record)  # no span, audio on: the stored file itself
    assert body(whole) == data


def test_worker_mode_defers_renders_and_serves_them_once_cached(
    stores: Stores, stored: tuple[FileRecord, bytes], backend: str
) -> None:
    # GIVEN the AWS configuration: redirects, renders on a worker
    record, _ = stored
    service = MediaService(
        stores.blobs, render_key=prefixed, presign_expires_s=60, inline_renders=False
    )
    boxes = {i: [OverlayBox((20, 60, 90, 110), "car", track_id=1)] for i in range(0, 100, 5)}
    # WHEN an overlay video is asked for THEN it is pending, naming what the worker must render
    pending = service.overlay_video(record, boxes, analysis="job_1:v1")
    assert isinstance(pending, PendingAnswer) and pending.render.kind == "overlay"
    assert pending.render.analysis == "job_1:v1"
    # WHEN the worker renders it (from the queued request) THEN the retry is answered from S3
    key = service.render_to_cache(
        record, type(pending.render).from_dict(pending.render.to_dict()), boxes
    )
    assert key == pending.key and stores.blobs.exists(key)
    ready = service.overlay_video(record, boxes, analysis="job_1:v1")
    if backend == "embedded":
        data = body(ready)
    else:
        assert isinstance(ready, RedirectAnswer)
        data = pytest.importorskip("requests").get(ready.url, timeout=10).content
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == 100
    # AND another analysis is another render
    assert isinstance(service.overlay_video(record, boxes, analysis="job_2:v1"), PendingAnswer)


def test_trace_video_renders_the_trace_span(
    stores: Stores, stored: tuple[FileRecord, bytes]
) -> None:
    record, _ = stored
    service = MediaService(stores.blobs)
    face = OverlayBox((50, 40, 100, 90), "face", track_id=9)
    boxes = {i: [face] for i in range(20, 31)}
    answer = service.trace_video(record, boxes, analysis="job_1", trace_id=9)
    assert isinstance(answer, StreamAnswer) and answer.content_type == "video/mp4"
    with av.open(io.BytesIO(body(answer))) as container:
        frames = [read_index(f.to_ndarray(format="bgr24")) for f in container.decode(video=0)]
    assert frames == list(range(20, 31))
    with pytest.raises(NotFoundError):
        service.trace_video(record, boxes, analysis="job_1", trace_id=10)
