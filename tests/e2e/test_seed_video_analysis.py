"""Seed 001 ``/v1/videos`` on real clips with every analyzer: the violinist is a person of every
scene and his sections say what he does; the test card's captions are ``ocr_results``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.seed_clients import SeedApi, seed_api
from tests.shared import MODELS, media

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow
NEEDED = (
    "movinet_a0_stream_kinetics600_int8.onnx",
    "efficientnet_lite0_imagenet1k.onnx",
    "face_detection_yunet_2026may.onnx",
)
if not all((MODELS / f).is_file() for f in NEEDED):
    pytest.skip(f"FRAMELENS_MODEL_DIR lacks {NEEDED}", allow_module_level=True)
pytest.importorskip("rapidocr_onnxruntime", reason="rapidocr-onnxruntime is needed (make install)")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedApi]:
    made = seed_api(tmp_path_factory.mktemp("videos"), workers=2)
    yield made
    made.close()


def _analyse(api: SeedApi, name: str, query: str = "") -> tuple[str, dict[str, Any]]:
    resp = api.post(f"/v1/videos{query}", content=media(name).read_bytes())
    assert resp.status_code == 202, resp.text
    body = api.poll(
        resp.headers["Location"], lambda r: r.json()["status"] in ("finished", "failed"), 300
    ).json()
    assert body["status"] == "finished", body
    return body["job_id"], body["result"]


@pytest.fixture(scope="module")
def violinist(api: SeedApi) -> tuple[str, dict[str, Any]]:
    """The violinist, asking for face embeddings and with "violin" a critical tag (their absence
    by default is the image batch's test: the same options reach ``faces``)."""
    return _analyse(
        api, "violinist_faces_cuts_640x360.mp4", "?include_embeddings=true&critical=violin"
    )


@pytest.fixture(scope="module")
def testcard(api: SeedApi) -> dict[str, Any]:
    return _analyse(api, "text_overlay_ac3_testcard_640x480.avi")[1]


def test_the_violinist_is_one_person_in_every_scene(
    api: SeedApi, violinist: tuple[str, dict[str, Any]]
) -> None:
    _, result = violinist
    # GIVEN the clip's four shots (cuts at frames 223, 403, 584; his face is visible in each)
    scenes = result["person_constellation_scenes"]
    assert [s["time_segment"] for s in scenes] == [
        {"start_seconds": r["start_seconds"], "end_seconds": r["end_seconds"]}
        for r in result["raw_scenes"]
    ]
    assert len(scenes) == 4
    # THEN every scene lists him, the same identity, most prominent, with seed 001's fields
    people = [s["person_ids"] for s in scenes]
    assert all(len(p) == 1 for p in people), people
    assert len({p[0]["identity_uuid"] for p in people}) == 1
    person = people[0][0]
    assert person["gender"] == "male"
    assert 15 < person["age"] < 60
    assert person["relative_prominence"] == 1.0
    assert person["allowlisted"] is False
    # AND the embedding asked for (128 floats, unit length), and a thumbnail URL serving a JPEG
    assert len(person["face_embedding"]) == 128
    assert sum(x * x for x in person["face_embedding"]) == pytest.approx(1.0, abs=1e-3)
    thumb = api.get(person["face_thumbnail"])
    assert thumb.status_code == 200
    assert thumb.content[:3] == b"\xff\xd8\xff"


def test_the_violinist_sections_say_what_happens(violinist: tuple[str, dict[str, Any]]) -> None:
    sections = violinist[1]["sections"]
    # THEN not one undifferentiated block: the close-ups and the medium shots are apart
    assert len(sections) >= 2
    assert all(s["section_tag"].startswith("playing violin") for s in sections)
    assert len({s["section_tag"] for s in sections}) >= 2
    spans = [seg for s in sections for seg in s["time_segments"]]
    assert spans[0]["start_seconds"] == 0.0
    assert spans[-1]["end_seconds"] == pytest.approx(21.82, abs=0.05)
    assert all(0.0 <= s["relative_activity"] <= 1.0 for s in sections)
    # AND "violin" asked critical: every section shows one (the instrument is always in view)
    assert all(s["is_critical"] for s in sections)


def test_the_test_card_captions_are_ocr_results(testcard: dict[str, Any]) -> None:
    # GIVEN the test card's captions (MANIFEST: frame 50 "FRONT LEFT", 400 "LFE ( 60 Hz )",
    # 600 "Rear Left > Rear Right", 800 "Front Right > Front Left"; 25 fps)
    segments = testcard["ocr_results"]

    def at(frame: int, words: str) -> bool:
        t = frame / 25
        return any(
            words.lower() in s["full_text"].lower()
            and s["time_segment"]["start_seconds"] <= t < s["time_segment"]["end_seconds"] + 1
            for s in segments
        )

    # THEN a segment with each caption brackets its frame
    assert at(50, "FRONT LEFT")
    assert at(400, "60 Hz")
    assert at(600, "Rear Left > Rear Right")
    assert at(800, "Front Right > Front Left")
    assert all(set(s) == {"language_code", "full_text", "time_segment"} for s in segments)
    assert any(s["language_code"] == "en" for s in segments)


def test_a_bad_allowlist_name_is_400(api: SeedApi) -> None:
    resp = api.post("/v1/videos?allowlist=../etc", content=b"\x00" * 64)
    assert resp.status_code == 400
    assert "allowlist" in resp.json()["error"]["message"]
