"""Seed 002's routes that draw or answer from analyses, over HTTP, with real models.

Detections: a 2 s excerpt of the car-traffic clip analysed by ``objects`` (YOLOX); its overlay
video must hold every frame and show each detection's box where the result says. Faces: the
generated clip of ``tests/media_faces.py`` (astronaut + violinist for 3 s, the astronaut alone
1 s, the camera man alone 1 s) analysed by ``faces``; traces, representative faces and the
co-occurrence are checked against what the clip was made of.
"""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

import av
import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from framelens.api import create_app
from framelens.config import Settings
from framelens.media.overlay import HIGHLIGHT, colour_for
from framelens.runtime import build_services
from framelens.schemas.auth import Tenant
from tests.e2e.conftest import PRO
from tests.media import write_video
from tests.media_faces import RIGHT, SIDE, two_people_clip
from tests.shared import MODELS, media

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow


def _frames(data: bytes) -> tuple[list[np.ndarray], str]:
    with av.open(io.BytesIO(data)) as container:
        codec = container.streams.video[0].codec_context.name
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)], codec


class Client:
    """One tenant's view of a server that has analysed one file."""

    def __init__(self, client: TestClient, key: str, file_id: str) -> None:
        self.client, self.key, self.file_id = client, key, file_id

    def get(self, path: str, **headers: str) -> Any:
        headers = {"X-API-Key": self.key, **headers}
        return self.client.get(f"/api/v1/file/{self.file_id}{path}", headers=headers)

    def run(self, modules: dict[str, Any]) -> dict[str, Any]:
        body = {"sources": [f"storage://{self.file_id}"], "modules": modules}
        job = self.client.post("/v1/jobs", json=body, headers={"X-API-Key": self.key}).json()
        deadline = time.monotonic() + 300
        while job["state"] not in ("finished", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
            job = self.client.get(f"/v1/jobs/{job['id']}", headers={"X-API-Key": self.key}).json()
        assert job["state"] == "finished", job
        return dict(job)

    def items(self, job: dict[str, Any], module: str) -> list[dict[str, Any]]:
        url = f"/v1/jobs/{job['id']}/results?module={module}&limit=1000"
        return list(self.client.get(url, headers={"X-API-Key": self.key}).json()["items"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    if not (MODELS / "yolox_nano_coco80.onnx").is_file():
        pytest.skip(f"{MODELS} lacks the models: set FRAMELENS_MODEL_DIR to ../shared/models")
    data = tmp_path_factory.mktemp("streaming-analyses")
    services = build_services(Settings(data_dir=data, model_dir=MODELS, workers=2))
    services.stores.keys.put_tenant(Tenant(tenant_id="acme", plan=PRO))
    with TestClient(create_app(services)) as client:
        yield client, services
    services.close()


def _upload(client: TestClient, key: str, path: Path) -> str:
    files = {"file": (path.name, path.read_bytes(), "video/mp4")}
    resp = client.post("/v1/media", files=files, headers={"X-API-Key": key})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["file_id"])


# --- detections -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cars(server: tuple[TestClient, Any], tmp_path_factory: pytest.TempPathFactory) -> Client:
    """Frames 100..159 of the car-traffic clip (2 s at 30 fps), uploaded by acme."""
    client, services = server
    with av.open(str(media("car_traffic_bridge_640x360.mp4"))) as container:
        images = [
            f.to_ndarray(format="bgr24")
            for i, f in enumerate(container.decode(video=0))
            if 100 <= i < 160
        ]
    path = tmp_path_factory.mktemp("cars") / "cars.mp4"
    write_video(path, images, fps=30)
    key, _ = services.keys.create("acme")
    return Client(client, key, _upload(client, key, path))


def test_bbox_without_an_analysis_is_404_naming_the_modules(cars: Client) -> None:
    resp = cars.get("/video/bbox")
    assert resp.status_code == 404
    message = resp.json()["error"]["message"]
    assert "objects" in message and "faces" in message and "POST /v1/jobs" in message


def test_bbox_video_draws_every_detection_on_every_frame(cars: Client) -> None:
    # GIVEN a finished objects analysis of the clip
    job = cars.run({"objects": {"fps": 10}})
    sampled = {item["frame"]: item["detections"] for item in cars.items(job, "objects")}
    # WHEN its overlay video is fetched
    resp = cars.get("/video/bbox?audio=off")
    original, _ = _frames(cars.get("/video").content)
    drawn, codec = _frames(resp.content)
    # THEN it is H.264 with every frame of the clip
    assert resp.status_code == 200 and resp.headers["content-type"] == "video/mp4"
    assert codec == "h264" and len(drawn) == len(original) == 60
    # AND each sampled frame's most confident detection is boxed in its class's colour, on
    # that frame and on the frames it is held for (until the next sample, 3 frames at 30 fps)
    checked = 0
    for frame, detections in sampled.items():
        if not detections or frame + 2 >= len(drawn):
            continue
        best = max(detections, key=lambda d: d["confidence"])
        x1, y1, x2, _ = best["bbox"]
        if x2 - x1 < 30 or y1 < 4:
            continue
        colour = np.array(colour_for(best["class"]), float)
        for shown in (frame, frame + 2):
            edge = drawn[shown][y1 : y1 + 2, x1 + (x2 - x1) // 3 : x2 - (x2 - x1) // 3]
            assert np.abs(np.median(edge.reshape(-1, 3), axis=0) - colour).max() < 60
        before = original[frame][y1 : y1 + 2, x1 + (x2 - x1) // 3 : x2 - (x2 - x1) // 3]
        assert np.abs(np.median(before.reshape(-1, 3), axis=0) - colour).max() >= 60
        checked += 1
    assert checked >= 3
    # AND debug mode on /video draws the same analysis, here over a span
    debug = cars.get("/video?mode=debug&start_frame=10&end_frame=19&audio=off")
    frames, _ = _frames(debug.content)
    assert debug.status_code == 200 and len(frames) == 10


# --- faces ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people(server: tuple[TestClient, Any], tmp_path_factory: pytest.TempPathFactory) -> Client:
    """The two-people clip (plus the camera man alone), uploaded by acme."""
    pytest.importorskip("skimage", reason="scikit-image (test extra) draws the faces")
    pytest.importorskip("dlib", reason="dlib-bin is needed for the face embedder")
    client, services = server
    path = two_people_clip(
        tmp_path_factory.mktemp("people") / "people.mp4",
        both_seconds=3,
        alone_seconds=1,
        third_seconds=1,
    )
    key, _ = services.keys.create("acme")
    return Client(client, key, _upload(client, key, path))


def test_trace_routes_before_a_faces_analysis_are_404_saying_so(
    people: Client, tmp_path: Path
) -> None:
    # GIVEN a file no faces job has read (the clip uploaded again: a new file id)
    path = tmp_path / "again.mp4"
    path.write_bytes(people.get("/video").content)
    people = Client(people.client, people.key, _upload(people.client, people.key, path))
    # THEN every trace and identity route says a faces analysis is missing
    for route in ("/trace/1/video", "/trace/1/representative-face", "/trace/1/thumbnail"):
        resp = people.get(route)
        assert resp.status_code == 404
        assert "no finished faces analysis" in resp.json()["error"]["message"]
    resp = people.get("/identities/a/co-occur-with/b")
    assert resp.status_code == 404 and "faces module" in resp.json()["error"]["message"]


@pytest.fixture(scope="module")
def faces(people: Client) -> dict[str, Any]:
    """The finished faces analysis: identity uuids of ``woman``, ``man`` and ``camera`` (the
    camera man), and ``traces``: identity uuid → its trace ids."""
    job = people.run({"faces": {}})
    identities = people.items(job, "faces")
    assert len(identities) == 3, identities
    named: dict[str, Any] = {"job": job}
    for identity in identities:
        on_the_left = identity["representative"]["bbox"]["x"] < RIGHT[0]
        if on_the_left:
            named["woman"] = identity["identity_uuid"]
        elif identity["first_frame"] == 0:
            named["man"] = identity["identity_uuid"]
        else:
            named["camera"] = identity["identity_uuid"]
    assert {"woman", "man", "camera"} <= set(named), identities
    named["traces"] = {i["identity_uuid"]: i["trace_ids"] for i in identities}
    return named


def test_representative_face_is_the_seeds_json_for_a_trace(
    people: Client, faces: dict[str, Any]
) -> None:
    # GIVEN the violinist's trace (frames 0..29, right half)
    (trace_id,) = faces["traces"][faces["man"]]
    resp = people.get(f"/trace/{trace_id}/representative-face")
    # THEN the seed's fields: one of the trace's faces, scored the seed's way
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True and body["trace_id"] == trace_id
    assert body["file_uuid"] == people.file_id
    assert body["face_count"] == 15  # 3 s sampled at 5 fps
    rep = body["representative"]
    assert 0 <= rep["frame_number"] <= 29
    assert rep["timestamp_secs"] == pytest.approx(rep["frame_number"] / 10, abs=1e-3)
    box = rep["bbox"]
    assert RIGHT[0] <= box["x"] and box["x"] + box["width"] <= RIGHT[0] + SIDE
    assert rep["quality_score"] == pytest.approx(
        box["width"] * box["height"] * rep["confidence"], rel=0.01
    )
    assert 0 < rep["blur_score"] < 100
    assert people.get("/trace/999/representative-face").status_code == 404


def test_trace_thumbnail_is_a_320_square_jpeg_cacheable_for_a_day(
    people: Client, faces: dict[str, Any]
) -> None:
    woman = faces["traces"][faces["woman"]][0]
    man = faces["traces"][faces["man"]][0]
    first = people.get(f"/trace/{woman}/thumbnail")
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert first.headers["cache-control"] == "public, max-age=86400"
    her = cv2.imdecode(np.frombuffer(first.content, np.uint8), cv2.IMREAD_COLOR)
    him = cv2.imdecode(
        np.frombuffer(people.get(f"/trace/{man}/thumbnail").content, np.uint8), cv2.IMREAD_COLOR
    )
    assert her.shape == him.shape == (320, 320, 3)
    assert np.abs(her.astype(int) - him.astype(int)).mean() > 20  # two different faces
    again = people.get(f"/trace/{woman}/thumbnail", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_trace_video_covers_the_trace_with_its_face_highlighted(
    people: Client, faces: dict[str, Any]
) -> None:
    # GIVEN the violinist's trace, faces sampled on even frames 0..28
    (trace_id,) = faces["traces"][faces["man"]]
    rep = people.get(f"/trace/{trace_id}/representative-face").json()["representative"]
    # WHEN its video is fetched
    resp = people.get(f"/trace/{trace_id}/video")
    frames, codec = _frames(resp.content)
    # THEN H.264, every frame of the trace's span, its face boxed in the highlight colour
    assert resp.status_code == 200 and codec == "h264"
    assert len(frames) == 29
    box = rep["bbox"]
    x1, y1, x2 = box["x"], box["y"], box["x"] + box["width"]
    edge = frames[rep["frame_number"]][y1 : y1 + 3, x1 + 20 : x2 - 20]
    assert np.abs(np.median(edge.reshape(-1, 3), axis=0) - np.array(HIGHLIGHT)).max() < 60
    assert people.get("/trace/999/video").status_code == 404


def test_cooccurrence_of_the_two_people_side_by_side(people: Client, faces: dict[str, Any]) -> None:
    # WHEN the astronaut and the violinist are asked about
    resp = people.get(f"/identities/{faces['woman']}/co-occur-with/{faces['man']}")
    # THEN together from frame 0 for the 3 s (30 frames) they share, each with a face to show
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["success"] is True and body["file_uuid"] == people.file_id
    assert body["identity_a"]["identity_uuid"] == faces["woman"]
    assert body["identity_b"]["identity_uuid"] == faces["man"]
    assert body["identity_a"]["trace_id"] in faces["traces"][faces["woman"]]
    together = body["first_cooccurrence"]
    assert together["frame_number"] == 0 and together["timestamp_secs"] == 0.0
    assert together["total_cooccurrence_frames"] == 30
    face_a, face_b = together["representative_face_a"], together["representative_face_b"]
    assert face_a["bbox"]["x"] < RIGHT[0] <= face_b["bbox"]["x"]
    thumbnail = people.client.get(face_b["thumbnail_url"], headers={"X-API-Key": people.key})
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert face_b["thumbnail_url"].endswith(f"/trace/{body['identity_b']['trace_id']}/thumbnail")


@pytest.mark.parametrize(
    ("pair", "status", "says"),
    [
        (("man", "camera"), 404, "never appear together"),
        (("woman", "nobody"), 404, "not in file"),
        (("woman", "woman"), 400, "two different identities"),
    ],
)
def test_cooccurrence_refusals(
    people: Client, faces: dict[str, Any], pair: tuple[str, str], status: int, says: str
) -> None:
    a, b = (faces.get(name, "00000000-0000-0000-0000-000000000000") for name in pair)
    resp = people.get(f"/identities/{a}/co-occur-with/{b}")
    assert resp.status_code == status, resp.text
    assert says in resp.json()["error"]["message"]
