"""Seed 002's stored-video routes over HTTP: Range and validators, spans, thumbnails, clips.

Files are generated clips whose frames carry their own index (``tests/media_indexed.py``), so
every answer is checked against the frame it must hold, not against a timestamp.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import av
import cv2
import numpy as np
import pytest

from tests.media_indexed import read_index

if TYPE_CHECKING:
    from tests.e2e.conftest import Api, Env
    from tests.media import Generated

pytestmark = pytest.mark.slow


def base(file_id: str) -> str:
    return f"/api/v1/file/{file_id}"


def decoded(data: bytes) -> dict[str, Any]:
    """Streams, codecs and every frame's drawn index of a media file in memory."""
    with av.open(io.BytesIO(data)) as container:
        info = {
            "format": container.format.name,
            "video": [s.codec_context.name for s in container.streams.video],
            "audio": [s.codec_context.name for s in container.streams.audio],
        }
        pictures = container.decode(video=0)
        info["indices"] = [read_index(f.to_ndarray(format="bgr24")) for f in pictures]
    return info


def jpeg(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a JPEG"
    return image


@pytest.fixture
def stored(api: Api, indexed_av_video: Generated) -> tuple[str, bytes]:
    """The indexed clip with audio (100 frames, keyframes every 25) uploaded by acme."""
    record = api.upload(indexed_av_video.path)
    return record["file_id"], indexed_av_video.path.read_bytes()


@pytest.fixture
def long_gop(api: Api, long_gop_video: Generated) -> str:
    """300 indexed frames, keyframes at 0 and 250, B-frames."""
    return str(api.upload(long_gop_video.path)["file_id"])


# --- the stored bytes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "status", "start", "end"),
    [
        (None, 200, 0, None),
        ("bytes=0-0", 206, 0, 1),
        ("bytes=100-1099", 206, 100, 1100),
        ("bytes=-500", 206, -500, None),
        ("bytes=5000-", 206, 5000, None),
    ],
)
def test_video_ranges_are_byte_exact_slices_of_the_stored_file(
    api: Api, stored: tuple[str, bytes], header: str | None, status: int, start: int, end: int
) -> None:
    # GIVEN an uploaded video WHEN it is fetched with a Range header
    file_id, data = stored
    headers = {"Range": header} if header else {}
    resp = api.get(f"{base(file_id)}/video", headers=headers)
    # THEN the status and body are exactly that slice, with the seed's headers
    expected = data[start:end]
    assert resp.status_code == status
    assert resp.content == expected
    assert resp.headers["content-length"] == str(len(expected))
    assert resp.headers["accept-ranges"] == "bytes"
    assert resp.headers["content-type"] == "video/mp4"
    assert resp.headers["cache-control"] == "public, max-age=86400"
    if status == 206:
        first = start % len(data)
        assert resp.headers["content-range"] == (
            f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
        )


def test_unsatisfiable_range_is_416_with_the_size(api: Api, stored: tuple[str, bytes]) -> None:
    file_id, data = stored
    resp = api.get(f"{base(file_id)}/video", headers={"Range": f"bytes={len(data)}-"})
    assert resp.status_code == 416
    assert resp.headers["content-range"] == f"bytes */{len(data)}"


def test_etag_round_trip_answers_304_and_honours_if_range(
    api: Api, stored: tuple[str, bytes]
) -> None:
    # GIVEN the ETag of a first GET
    file_id, data = stored
    etag = api.get(f"{base(file_id)}/video").headers["etag"]
    # WHEN it is sent back
    again = api.get(f"{base(file_id)}/video", headers={"If-None-Match": etag})
    ranged = api.get(f"{base(file_id)}/video", headers={"Range": "bytes=0-9", "If-Range": etag})
    stale = api.get(f"{base(file_id)}/video", headers={"Range": "bytes=0-9", "If-Range": '"x"'})
    # THEN unchanged is 304 without a body, a matching If-Range gets the range, a stale one all
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert ranged.status_code == 206 and ranged.content == data[:10]
    assert stale.status_code == 200 and stale.content == data


def test_bearer_keys_are_accepted_and_other_tenants_files_are_404(
    env: Env, api: Api, stored: tuple[str, bytes]
) -> None:
    # GIVEN acme's file and a key of another tenant
    file_id, data = stored
    other = env.key("globex")
    bearer = env.client.get(
        f"{base(file_id)}/video", headers={"Authorization": f"Bearer {api.key}"}
    )
    assert bearer.status_code == 200 and bearer.content == data
    # WHEN the other tenant asks for it on every route THEN each answers 404, as for no file
    paths = [
        "/video",
        "/video?start_frame=0&end_frame=5",
        "/video/bbox",
        "/thumbnail?frame=0",
        "/clip?start_frame=0&end_frame=5",
        "/trace/1/video",
        "/trace/1/representative-face",
        "/trace/1/thumbnail",
        "/identities/a/co-occur-with/b",
    ]
    for path in paths:
        resp = env.client.get(f"{base(file_id)}{path}", headers={"X-API-Key": other})
        assert resp.status_code == 404, (path, resp.text)
        assert resp.json()["error"]["code"] == "not_found"
    assert api.get(f"{base('f_nope')}/video").status_code == 404
    assert env.client.get(f"{base(file_id)}/video").status_code == 401


# --- spans by stream copy ---------------------------------------------------------------------


def test_video_span_is_a_stream_copy_from_the_keyframe_before(
    api: Api, stored: tuple[str, bytes]
) -> None:
    # GIVEN frames 30..40 asked of a clip with keyframes every 25 frames
    file_id, _ = stored
    resp = api.get(f"{base(file_id)}/video?start_frame=30&end_frame=40")
    # THEN an MP4 from keyframe 25 through frame 40, H.264 as stored, with its audio
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "video/mp4"
    info = decoded(resp.content)
    assert info["video"] == ["h264"] and info["audio"] == ["aac"]
    assert info["indices"][0] == 25
    assert info["indices"][-1] >= 40
    assert info["indices"] == list(range(25, 25 + len(info["indices"])))


def test_video_without_audio_is_remuxed_without_an_audio_stream(
    api: Api, stored: tuple[str, bytes]
) -> None:
    file_id, _ = stored
    resp = api.get(f"{base(file_id)}/video?audio=off")
    info = decoded(resp.content)
    assert resp.status_code == 200
    assert info["audio"] == [] and info["video"] == ["h264"]
    assert info["indices"] == list(range(100))


def test_video_span_by_time(api: Api, stored: tuple[str, bytes]) -> None:
    file_id, _ = stored
    info = decoded(api.get(f"{base(file_id)}/video?start_time=2.0&end_time=2.5").content)
    assert info["indices"][0] == 50 and info["indices"][-1] >= 62


# --- thumbnails -------------------------------------------------------------------------------


@pytest.mark.parametrize("frame", [0, 149, 249, 250, 251, 299])
def test_thumbnail_is_exactly_the_frame_asked_for(api: Api, long_gop: str, frame: int) -> None:
    # GIVEN a clip whose only keyframes are 0 and 250 WHEN frame N is asked for
    resp = api.get(f"{base(long_gop)}/thumbnail?frame={frame}")
    # THEN the JPEG shows frame N: first, middle, last and either side of the keyframe
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "image/jpeg"
    assert resp.headers["cache-control"] == "public, max-age=86400"
    image = jpeg(resp.content)
    assert image.shape == (120, 160, 3)
    assert read_index(image) == frame


def test_thumbnail_crop_matches_the_frames_pixels(api: Api, long_gop: str) -> None:
    # GIVEN a crop at odd offsets across the sharp edges of frame 77's index blocks
    full = jpeg(api.get(f"{base(long_gop)}/thumbnail?frame=77").content).astype(int)
    resp = api.get(f"{base(long_gop)}/thumbnail?frame=77&x=31&y=11&w=63&h=41")
    # THEN it is that rectangle of the frame, pixel for pixel (JPEG noise aside)
    crop = jpeg(resp.content).astype(int)
    assert crop.shape == (41, 63, 3)
    exact = np.abs(crop - full[11:52, 31:94]).mean()
    assert exact < 4
    # AND one pixel off in either direction is clearly worse (the crop is not rounded)
    assert np.abs(crop - full[12:53, 32:95]).mean() > exact + 4
    assert np.abs(crop - full[10:51, 30:93]).mean() > exact + 4


def test_thumbnail_etag_answers_304(api: Api, long_gop: str) -> None:
    first = api.get(f"{base(long_gop)}/thumbnail?frame=10")
    again = api.get(
        f"{base(long_gop)}/thumbnail?frame=10", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("frame=5&x=1&y=2", "missing: w, h"),
        ("frame=5&x=100&y=10&w=100&h=10", "past the frame width 160"),
        ("frame=5&x=0&y=100&w=10&h=40", "past the frame height 120"),
        ("frame=5&x=0&y=0&w=0&h=10", "at least 1"),
        ("frame=300", "300 frames"),
        ("frame=-1", "start at 0"),
        ("frame=abc", "frame"),
        ("", "frame"),
    ],
)
def test_bad_thumbnail_requests_are_400_naming_the_problem(
    api: Api, long_gop: str, query: str, says: str
) -> None:
    resp = api.get(f"{base(long_gop)}/thumbnail?{query}")
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["error"]["code"] == "bad_request"
    assert says in body["error"]["message"]


# --- clips ------------------------------------------------------------------------------------


def test_clip_is_frame_accurate_mpegts_with_h264_and_aac(
    api: Api, stored: tuple[str, bytes]
) -> None:
    # GIVEN frames 30..47 (the first is not a keyframe)
    file_id, _ = stored
    resp = api.get(f"{base(file_id)}/clip?start_frame=30&end_frame=47")
    # THEN exactly those 18 frames, re-encoded H.264 + AAC in MPEG-TS, cacheable
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "video/mp2t"
    assert resp.headers["cache-control"] == "public, max-age=86400"
    info = decoded(resp.content)
    assert info["format"] == "mpegts"
    assert info["video"] == ["h264"] and info["audio"] == ["aac"]
    assert info["indices"] == list(range(30, 48))


def test_clip_without_audio_has_no_audio_stream(api: Api, stored: tuple[str, bytes]) -> None:
    file_id, _ = stored
    info = decoded(api.get(f"{base(file_id)}/clip?start_frame=0&end_frame=9&audio=off").content)
    assert info["audio"] == [] and info["indices"] == list(range(10))


def test_clip_by_time_and_debug_label(api: Api, stored: tuple[str, bytes]) -> None:
    # GIVEN a time range (frames starting in [2.0 s, 2.4 s) at 25 fps: 50..59)
    file_id, _ = stored
    plain = api.get(f"{base(file_id)}/clip?start_time=2.0&end_time=2.4&audio=off")
    debug = api.get(f"{base(file_id)}/clip?start_time=2.0&end_time=2.4&audio=off&mode=debug")
    assert decoded(plain.content)["indices"] == list(range(50, 60))
    # THEN mode=debug draws its label: the same frames, different pixels
    with av.open(io.BytesIO(plain.content)) as a, av.open(io.BytesIO(debug.content)) as b:
        left = next(a.decode(video=0)).to_ndarray(format="bgr24").astype(int)
        right = next(b.decode(video=0)).to_ndarray(format="bgr24").astype(int)
    assert np.abs(left - right).max() > 100


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("", "needs a range"),
        ("start_frame=10", "end_frame"),
        ("start_frame=20&end_frame=10", "end_frame"),
        ("start_frame=0&end_frame=500", "100 frames"),
        ("start_frame=0&end_frame=5&fps=-1", "fps"),
        ("start_frame=0&end_frame=5&audio=maybe", "audio"),
    ],
)
def test_bad_clip_requests_are_400(
    api: Api, stored: tuple[str, bytes], query: str, says: str
) -> None:
    file_id, _ = stored
    resp = api.get(f"{base(file_id)}/clip?{query}")
    assert resp.status_code == 400, resp.text
    assert says in resp.json()["error"]["message"]


# --- streamed renders -------------------------------------------------------------------------


def _asgi_get(app: Any, path: str, query: str, key: str, leave_after: int | None) -> list[bytes]:
    """GET through the ASGI app itself (TestClient buffers whole responses): the body chunks
    in the order sent; with ``leave_after`` the client goes away after that many chunks."""
    import asyncio

    bodies: list[bytes] = []
    gone = asyncio.Event()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},  # uvicorn's: a gone client raises
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"test"), (b"x-api-key", key.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] != "http.response.body":
            return
        if gone.is_set():
            raise OSError("connection reset by peer")
        bodies.append(message["body"])
        if leave_after is not None and len(bodies) >= leave_after:
            gone.set()

    asyncio.run(app(scope, receive, send))
    return bodies


@pytest.fixture(scope="module")
def large_video(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """250 indexed frames at 640x360 (its clip is several 64 KB chunks long)."""
    from tests.media_indexed import indexed_clip

    path = tmp_path_factory.mktemp("large") / "large.mp4"
    return indexed_clip(path, frames=250, size=(640, 360), keyint=250)


def test_a_render_streams_as_it_is_encoded_and_a_client_that_leaves_stops_it(
    env: Env, api: Api, large_video: Generated
) -> None:
    # GIVEN a 250-frame clip not rendered before, and the cache key it will be stored under
    from framelens.jobs import RenderRequest

    file_id = api.upload(large_video.path)["file_id"]
    media = env.services.file_media.media
    record = env.services.stores.files.get("acme", file_id)
    key = media.cache.render_key(record, RenderRequest("clip", 0, 249, audio=False))
    path, query = f"{base(file_id)}/clip", "start_frame=0&end_frame=249&audio=off"
    # WHEN a client reads two chunks and leaves
    sent = _asgi_get(env.client.app, path, query, api.key, leave_after=2)
    # THEN chunks came before the encode ended, and nothing partial was cached
    assert len(sent) == 2 and sent[0]
    assert not env.services.stores.blobs.exists(key)
    # WHEN a client reads it all THEN every frame comes, streamed in many chunks, then cached
    whole = _asgi_get(env.client.app, path, query, api.key, leave_after=None)
    assert len([c for c in whole if c]) > 2
    assert decoded(b"".join(whole))["indices"] == list(range(250))
    assert env.services.stores.blobs.exists(key)
    # AND the next request is the cached file, with its length and ranges
    cached = api.get(f"{path}?{query}", headers={"Range": "bytes=0-187"})
    assert cached.status_code == 206 and cached.content == b"".join(whole)[:188]
