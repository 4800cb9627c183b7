"""Range abuse on served media (issue 16, defect 9): seed 002's video route and the native
signed links. Malformed, reversed, past the end, hundreds of ranges, suffix ranges: never a 500;
206 with the right bytes, 416 with ``Content-Range: bytes */size``, or the whole file (200)
where RFC 9110 lets a server ignore a ``Range`` it cannot use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.e2e.conftest import Api, Env
    from tests.media import Generated

pytestmark = pytest.mark.slow


@pytest.fixture
def stored(api: Api, cuts_clip: Generated) -> tuple[str, bytes]:
    record = api.upload(cuts_clip.path)
    return f"/api/v1/file/{record['file_id']}/video", cuts_clip.path.read_bytes()


def _many(n: int) -> str:
    return "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(n))


# (Range header, expected status, expected (start, end) of a 206; None: whole file or 416)
CASES = [
    ("bytes=0-9", 206, (0, 9)),
    ("bytes=-10", 206, ("size-10", "size-1")),  # suffix
    ("bytes=-0", 416, None),  # an empty suffix can satisfy nothing
    ("bytes=10-", 206, (10, "size-1")),
    ("bytes=10-999999999999", 206, (10, "size-1")),  # clamped to the end
    ("bytes=999999999-", 416, None),  # past the end
    ("bytes=99999999999999999999999999999-", 416, None),  # past any int64
    ("bytes=9-5", 200, None),  # reversed: the set is invalid, the header ignored
    ("bytes=abc", 200, None),
    ("bytes=", 200, None),
    ("bytes=-", 200, None),
    ("items=0-9", 200, None),  # another unit
    ("bytes=0-1,\u0663-4", 200, None),  # non-ASCII digits
    ("bytes=5-9,0-1", 206, (0, 9)),  # coalesced into one part
    (_many(100), 206, (0, 991)),  # at the cap: one coalesced part, never multipart
    (_many(500), 200, None),  # hundreds of ranges: ignored, whole file once
    ("bytes=" + "0-1," * 5000, 200, None),  # a header longer than any sane one
]


def _expect(
    resp_status: int, headers: dict[str, str], body: bytes, data: bytes, case: tuple
) -> None:
    header, status, span = case
    assert resp_status == status, (header[:60], resp_status)
    size = len(data)
    if status == 206:
        start, end = (
            (size + int(v[4:]) if isinstance(v, str) and v.startswith("size") else int(v))
            for v in span
        )
        assert body == data[start : end + 1]
        assert headers["content-range"] == f"bytes {start}-{end}/{size}"
    elif status == 416:
        assert headers["content-range"] == f"bytes */{size}"
    else:
        assert body == data


@pytest.mark.parametrize("case", CASES, ids=[c[0][:24] for c in CASES])
def test_seed_002_video_ranges(api: Api, stored: tuple[str, bytes], case: tuple) -> None:
    path, data = stored
    resp = api.get(path, headers={"Range": case[0].encode()})  # type: ignore[dict-item]
    _expect(resp.status_code, resp.headers, resp.content, data, case)


@pytest.mark.parametrize("case", CASES[:10], ids=[c[0][:24] for c in CASES[:10]])
def test_native_media_link_ranges(env: Env, api: Api, cuts_clip: Generated, case: tuple) -> None:
    record = api.upload(cuts_clip.path)
    job = api.create_job([record["url"]], {"probe": {}}).json()
    assert api.wait(job["id"])["state"] == "finished"
    link = api.get(f"/v1/jobs/{job['id']}/timeline").json()["media_url"]
    resp = env.client.get(link, headers={"Range": case[0].encode()})  # type: ignore[dict-item]
    _expect(resp.status_code, resp.headers, resp.content, cuts_clip.path.read_bytes(), case)


def test_a_416_is_documented_and_a_head_like_range_on_an_unknown_file_is_404(
    env: Env, api: Api
) -> None:
    doc = env.client.get("/openapi.json").json()
    assert "416" in doc["paths"]["/api/v1/file/{file_uuid}/video"]["get"]["responses"]
    resp = api.get("/api/v1/file/f_nope/video", headers={"Range": "bytes=0-9"})
    assert resp.status_code == 404
