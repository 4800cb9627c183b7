"""Seed 000 Human Activity Recognition API through HTTP with the real MoViNet model: the violinist
plays the violin, the 202 path of long videos, the health route that needs the key, and the error
table (400, 401, 404, 422)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.seed_clients import SeedApi, seed_api
from tests.media_scenes import make_scene_clip
from tests.shared import MODELS, media

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow
if not (MODELS / "movinet_a0_stream_kinetics600_int8.onnx").is_file():
    pytest.skip("FRAMELENS_MODEL_DIR lacks the MoViNet model", allow_module_level=True)

VIOLINIST = media("violinist_faces_cuts_640x360.mp4")
ROUTE = "/human_activity/activity-prediction"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedApi]:
    made = seed_api(tmp_path_factory.mktemp("activity"))
    yield made
    made.close()


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three textured shots, 3.6 s."""
    path = tmp_path_factory.mktemp("act-media") / "shots.mp4"
    return make_scene_clip(path, [(None, 30), ("cut", 30), ("cut", 30)]).path


def test_the_violinist_plays_the_violin_in_the_video_and_in_each_shot(api: SeedApi) -> None:
    # WHEN the violinist clip (21.8 s, four shots) is posted in the field `file`
    resp = api.post(ROUTE, files={"file": ("example.mp4", VIOLINIST.read_bytes(), "video/mp4")})
    # THEN seed 000's answer at once: a Kinetics-400 label, then the richer fields
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert next(iter(body)) == "activity"
    assert body["activity"] == "playing violin"
    assert body["kinetics400"] is True
    assert body["kinetics600"] == "playing violin"
    assert body["probability"] > 0.5
    assert body["ranking"][0]["label"] == "playing violin"
    # AND each of its four shots (cuts at frames 223, 403, 584; the model samples 5 fps, so a
    # shot starts at the first sample after its cut) plays the violin too
    starts = [round(s["start_seconds"] * 29.97) for s in body["shots"]]
    assert len(starts) == 4 and starts[0] == 0
    assert all(0 <= got - cut <= 6 for got, cut in zip(starts[1:], (223, 403, 584), strict=True))
    assert [s["activity"] for s in body["shots"]] == ["playing violin"] * 4


def test_a_video_longer_than_the_inline_limit_is_202_then_the_same_body(
    tmp_path_factory: pytest.TempPathFactory, short_clip: Path
) -> None:
    # GIVEN a server that answers inline only up to 1 s of video
    made = seed_api(tmp_path_factory.mktemp("act-async"), sync_activity_max_seconds=1.0)
    try:
        resp = made.post(ROUTE, files={"file": ("shots.mp4", short_clip.read_bytes())})
        # THEN 202 with the accepted body; its status URL answers 202 until done, then the body
        assert resp.status_code == 202, resp.text
        accepted = resp.json()
        assert accepted["status"] == "accepted"
        assert accepted["status_url"] == f"{ROUTE}/{accepted['job_id']}"
        done = made.poll(accepted["status_url"], lambda r: r.status_code != 202)
        assert done.status_code == 200, done.text
        body = done.json()
        assert isinstance(body["activity"], str) and body["activity"]
        assert len(body["shots"]) == 3
    finally:
        made.close()


def test_health_needs_the_key_as_the_seed_says(api: SeedApi) -> None:
    assert api.client.get("/human_activity/health").status_code == 401
    resp = api.get("/human_activity/health")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"
    assert resp.json()["model_loaded"] is True


def test_an_mkv_video_is_400_naming_the_accepted_formats(
    api: SeedApi, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("mkv") / "shots.mkv"
    make_scene_clip(path, [(None, 10), ("cut", 10)])
    resp = api.post(ROUTE, files={"file": ("shots.mp4", path.read_bytes())})
    assert resp.status_code == 400
    assert "MP4, AVI or MOV" in resp.json()["error"]["message"]


def test_an_image_is_400(api: SeedApi, jpeg_file: object) -> None:
    resp = api.post(ROUTE, files={"file": ("x.mp4", jpeg_file.path.read_bytes())})  # type: ignore[attr-defined]
    assert resp.status_code == 400
    assert "not a video" in resp.json()["error"]["message"]


def test_a_missing_file_is_422_and_no_key_is_401(api: SeedApi, short_clip: Path) -> None:
    resp = api.post(ROUTE, files={"video": ("shots.mp4", short_clip.read_bytes())})
    assert resp.status_code == 422
    assert "'file'" in resp.json()["error"]["message"]
    assert api.client.post(ROUTE, files={"file": ("s.mp4", b"x")}).status_code == 401


def test_an_unknown_job_is_404(api: SeedApi) -> None:
    resp = api.get(f"{ROUTE}/no-such-job")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
