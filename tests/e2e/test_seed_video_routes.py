"""Seed 000 best-frame and seed 001 video routes, through HTTP on the embedded backend."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from framelens.api import create_app
from framelens.config import Settings
from framelens.runtime import build_services
from tests.media_scenes import make_scene_clip

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.media import Generated

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seed_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    services = build_services(Settings(data_dir=tmp_path_factory.mktemp("seed-data")))
    secret, _ = services.keys.create("seedco", "pro")
    with TestClient(create_app(services)) as client:
        yield client, secret
    services.close()


@pytest.fixture(scope="module")
def two_cut_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three textured shots joined by hard cuts at frames 30 and 60 (25 fps, 3.6 s)."""
    clip = make_scene_clip(
        tmp_path_factory.mktemp("seed-media") / "cuts.mp4",
        [(None, 30), ("cut", 30), ("cut", 30)],
    )
    return clip.path


def _poll(client: TestClient, url: str, headers: dict[str, str], done: set[str]) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(url, headers=headers).json()
        if body["status"] in done:
            return body
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish: {body}")


def test_best_frame_upload_returns_three_downloadable_frames(
    seed_client: tuple[TestClient, str], two_cut_clip: Path
) -> None:
    # GIVEN a key and a video with three shots
    client, key = seed_client
    headers = {"X-API-Key": key}
    # WHEN it is uploaded in the seed's `video` field
    with two_cut_clip.open("rb") as fh:
        resp = client.post(
            "/best_frame_selection/api/best-frame/",
            headers=headers,
            files={"video": ("clip.mp4", fh, "video/mp4")},
        )
    # THEN it is accepted with a job id and a status URL that reaches `completed`
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "accepted"
    assert body["status_url"].endswith(f"/api/best-frame/{body['job_id']}/status")
    status = _poll(client, body["status_url"], headers, {"completed", "failed"})
    assert status["status"] == "completed", status
    frames = status["frames"]
    assert len(frames) == 3
    assert all(0 <= f["frame_position"] < 90 for f in frames)
    # ... and each frame downloads as a JPEG
    for frame in frames:
        image = client.get(frame["url"], headers=headers)
        assert image.status_code == 200
        assert image.content[:3] == b"\xff\xd8\xff"


def test_best_frame_rejects_an_image_with_seed_400(
    seed_client: tuple[TestClient, str], jpeg_file: Generated
) -> None:
    client, key = seed_client
    with jpeg_file.path.open("rb") as fh:
        resp = client.post(
            "/best_frame_selection/api/best-frame/",
            headers={"X-API-Key": key},
            files={"video": ("x.mp4", fh, "video/mp4")},
        )
    assert resp.status_code == 400
    assert "not a video" in resp.json()["error"]["message"]


def test_best_frame_wrong_field_is_422_naming_video(
    seed_client: tuple[TestClient, str], two_cut_clip: Path
) -> None:
    client, key = seed_client
    with two_cut_clip.open("rb") as fh:
        resp = client.post(
            "/best_frame_selection/api/best-frame/",
            headers={"X-API-Key": key},
            files={"file": ("clip.mp4", fh, "video/mp4")},
        )
    assert resp.status_code == 422
    assert "'video'" in resp.json()["error"]["message"]


def test_best_frame_health_needs_no_key(seed_client: tuple[TestClient, str]) -> None:
    client, _ = seed_client
    assert client.get("/best_frame_selection/health").json() == {"status": "ok"}


def test_video_route_reports_scenes_diffs_and_sections_in_seed_shape(
    seed_client: tuple[TestClient, str], two_cut_clip: Path
) -> None:
    # GIVEN a video with hard cuts at frames 30 and 60
    client, key = seed_client
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/octet-stream"}
    # WHEN it is posted as the raw body
    resp = client.post("/v1/videos", headers=headers, content=two_cut_clip.read_bytes())
    # THEN 202 with a Location that reaches `finished` with seed 001's result fields
    assert resp.status_code == 202, resp.text
    location = resp.headers["Location"]
    assert location == f"/v1/videos/{resp.json()['job_id']}"
    body = _poll(client, location, {"Authorization": f"Bearer {key}"}, {"finished", "failed"})
    assert body["status"] == "finished", body
    result = body["result"]
    assert set(result) >= {
        "raw_scenes",
        "frame_activity_diffs",
        "sections",
        "person_constellation_scenes",
        "ocr_results",
    }
    starts = [s["start_frame"] for s in result["raw_scenes"]]
    assert starts == [0, 30, 60]
    assert result["raw_scenes"][1]["start_seconds"] == pytest.approx(1.2, abs=0.05)
    assert all(0.0 <= d <= 1.0 for d in result["frame_activity_diffs"])
    assert result["sections"], "sections are built from the scenes"
    assert {"section_tag", "time_segments", "thumbnail_timestamp", "relative_activity"} <= set(
        result["sections"][0]
    )


def test_video_route_rejects_bad_max_processing_time(
    seed_client: tuple[TestClient, str], two_cut_clip: Path
) -> None:
    client, key = seed_client
    resp = client.post(
        "/v1/videos",
        headers={"X-API-Key": key, "Max-Processing-Time": "-5"},
        content=two_cut_clip.read_bytes(),
    )
    assert resp.status_code == 400
    assert "Max-Processing-Time" in resp.json()["error"]["message"]


def test_other_tenant_gets_404_for_a_video_job(
    seed_client: tuple[TestClient, str], two_cut_clip: Path
) -> None:
    client, key = seed_client
    job_id = client.post(
        "/v1/videos", headers={"X-API-Key": key}, content=two_cut_clip.read_bytes()
    ).json()["job_id"]
    services = client.app.state.services  # type: ignore[attr-defined]
    other, _ = services.keys.create("othertenant")
    resp = client.get(f"/v1/videos/{job_id}", headers={"X-API-Key": other})
    assert resp.status_code == 404
