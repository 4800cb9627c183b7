"""Seed 000 detection and tracking routes through HTTP, with the real YOLOX-nano model."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import av
import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from framelens.api import create_app
from framelens.config import Settings
from framelens.runtime import build_services
from tests.media import write_video

if TYPE_CHECKING:
    from collections.abc import Iterator

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytestmark = pytest.mark.slow

MODEL_DIR = os.environ.get("FRAMELENS_MODEL_DIR", "")
if not (Path(MODEL_DIR) / "yolox_nano_coco80.onnx").is_file():
    pytest.skip("FRAMELENS_MODEL_DIR has no yolox_nano_coco80.onnx", allow_module_level=True)


def _client(tmp: Path, **overrides: object) -> tuple[TestClient, str, object]:
    settings = Settings(
        data_dir=tmp / "data", model_dir=Path(MODEL_DIR), model_cache_dir=tmp / "cache"
    ).model_copy(update=overrides)
    services = build_services(settings)
    secret, _ = services.keys.create("objco", "pro")
    return TestClient(create_app(services)), secret, services


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    client, key, services = _client(tmp_path_factory.mktemp("objects"))
    yield client, key
    services.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def astronaut_jpeg() -> bytes:
    bgr = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr)
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="module")
def walking_astronaut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 frames at 10 fps: the astronaut (a person) sliding right over a grey background."""
    person = cv2.resize(cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR), (160, 160))
    images = []
    for k in range(20):
        image = np.full((320, 480, 3), 110, np.uint8)
        x = 20 + 12 * k
        image[80:240, x : x + 160] = person
        images.append(image)
    path = tmp_path_factory.mktemp("walk") / "walk.mp4"
    write_video(path, images, fps=10)
    return path


def test_detection_health_reports_the_model_loaded(api: tuple[TestClient, str]) -> None:
    client, _ = api
    body = client.get("/detection/health").json()
    assert body["status"] == "ok"
    assert body["model_loaded"] is True


def test_image_detection_finds_the_astronaut_in_seed_shape(
    api: tuple[TestClient, str], astronaut_jpeg: bytes
) -> None:
    # GIVEN scikit-image's astronaut photo (512x512; a person at about x 130-400)
    client, key = api
    # WHEN it is posted to the seed route
    resp = client.post(
        "/detection/detect/media",
        headers={"X-API-Key": key},
        files={"file": ("a.jpg", astronaut_jpeg, "image/jpeg")},
    )
    # THEN seed 000's body lists a confident person with a box in source pixels
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["type"] == "image"
    assert body["frames"] == 1
    detections = body["data"][0]["detections"]
    person = max((d for d in detections if d["class"] == "person"), key=lambda d: d["confidence"])
    assert person["confidence"] > 0.8
    x1, y1, x2, y2 = person["bbox"]
    assert 0 <= x1 < 250 < x2 <= 512
    assert 0 <= y1 < 150 and y2 > 400


def test_video_detection_reports_persons_per_sampled_frame(
    api: tuple[TestClient, str], walking_astronaut: Path
) -> None:
    client, key = api
    with walking_astronaut.open("rb") as fh:
        resp = client.post(
            "/detection/detect/media?fps=5&classes=person",
            headers={"X-API-Key": key},
            files={"file": ("w.mp4", fh, "video/mp4")},
        )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["type"] == "video"
    assert body["frames"] == len(body["data"]) >= 9  # 2 s at 5 fps
    assert all(d["class"] == "person" for f in body["data"] for d in f["detections"])
    found = [f for f in body["data"] if f["detections"]]
    assert len(found) >= 0.8 * len(body["data"])


def test_detection_of_text_is_seed_400(api: tuple[TestClient, str]) -> None:
    client, key = api
    resp = client.post(
        "/detection/detect/media",
        headers={"X-API-Key": key},
        files={"file": ("notes.mp4", b"just some text, not a video\n" * 20, "video/mp4")},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "unsupported_media_type"


def test_tracking_returns_an_annotated_mp4_with_every_frame(
    api: tuple[TestClient, str], walking_astronaut: Path
) -> None:
    client, key = api
    with walking_astronaut.open("rb") as fh:
        resp = client.post(
            "/tracking/api/track-video/",
            headers={"X-API-Key": key},
            files={"file": ("w.mp4", fh, "video/mp4")},
        )
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(resp.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
    assert len(frames) == 20
    # boxes are drawn: the annotated frame differs from the plain grey background somewhere
    # outside the pasted photo (the label and box lines)
    assert np.abs(frames[10][:80].astype(int) - 110).max() > 60


def test_long_tracking_video_answers_202_then_serves_the_mp4(
    tmp_path: Path, walking_astronaut: Path
) -> None:
    # GIVEN a server whose synchronous limit is shorter than the clip
    client, key, services = _client(tmp_path, sync_track_max_seconds=0.5)
    try:
        with walking_astronaut.open("rb") as fh:
            resp = client.post(
                "/tracking/api/track-video/",
                headers={"X-API-Key": key},
                files={"file": ("w.mp4", fh, "video/mp4")},
            )
        # THEN it is a job, and the video URL serves the MP4 once it is finished
        assert resp.status_code == 202, resp.text
        body = resp.json()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            video = client.get(body["video_url"], headers={"X-API-Key": key})
            if video.status_code != 409:
                break
            time.sleep(0.2)
        assert video.status_code == 200, video.text[:300]
        assert video.headers["content-type"] == "video/mp4"
        assert len(video.content) > 1000
    finally:
        services.close()  # type: ignore[attr-defined]


def test_long_detection_video_answers_202_with_the_job_and_its_status_url(
    tmp_path: Path, walking_astronaut: Path
) -> None:
    # GIVEN a server whose synchronous detection limit is shorter than the clip (a regression:
    # this answered 500 internal_error while the job it had created ran on unseen)
    client, key, services = _client(tmp_path, sync_detect_max_seconds=0.5)
    try:
        with walking_astronaut.open("rb") as fh:
            resp = client.post(
                "/detection/detect/media?fps=2",
                headers={"X-API-Key": key},
                files={"file": ("w.mp4", fh, "video/mp4")},
            )
        # THEN 202 with the job id, its status URL and Location
        assert resp.status_code == 202, resp.text
        body = resp.json()
        assert body["status"] == "accepted"
        assert body["status_url"] == f"/v1/jobs/{body['job_id']}" == resp.headers["location"]
        # AND the job finishes with the objects the synchronous answer would have listed
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            job = client.get(body["status_url"], headers={"X-API-Key": key}).json()
            if job["state"] in ("finished", "failed"):
                break
            time.sleep(0.2)
        assert job["state"] == "finished", job
        items = client.get(
            f"{body['status_url']}/results?module=objects", headers={"X-API-Key": key}
        ).json()["items"]
        assert len(items) >= 3 and any(i["detections"] for i in items)
    finally:
        services.close()  # type: ignore[attr-defined]
