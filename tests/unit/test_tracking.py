"""``tracking``: ByteTrack ids on a generated crossing clip (ID switches measured against ground
truth), the annotated H.264 MP4, segment re-linking, and persons on the walking-people clip.

The crossing clip pastes real-looking objects that YOLOX-nano recognises: scikit-image's astronaut
(person) walking right and a car cropped, with its bit of road, from frame 500 of
``car_traffic_bridge_640x360.mp4`` driving left. Their boxes overlap while they pass.
"""

from __future__ import annotations

import io
import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from framelens.analyzers.tracking import TrackingAnalyzer
from framelens.engine.base import ArtifactSink, RunContext, Segment
from framelens.engine.run import run_analyzers
from framelens.models import ModelRegistry
from framelens.schemas.results_objects import Track, TrackBox, TrackingResult
from tests.media import write_video

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media"
W, H, FRAMES, FPS = 640, 360, 30, 10


class MemorySink(ArtifactSink):
    """Artifacts kept in memory, keyed like a blob store."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}

    def put(self, name: str, data: bytes, content_type: str) -> str:
        self.blobs[name] = (data, content_type)
        return f"artifacts/{name}"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    value = os.environ.get("FRAMELENS_MODEL_DIR")
    if not value or not (Path(value) / "yolox_nano_coco80.onnx").is_file():
        pytest.skip("FRAMELENS_MODEL_DIR is not set to a folder with yolox_nano_coco80.onnx")
    return ModelRegistry(Path(value), tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def crossing_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """30 frames at 10 fps, 640x360. Truth per frame: pasted rectangles of 'person' and 'car'."""
    traffic = MEDIA / "car_traffic_bridge_640x360.mp4"
    if not traffic.is_file():
        pytest.skip(f"{traffic} is missing")
    with av.open(str(traffic)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == 500:
                street = frame.to_ndarray(format="bgr24")
                break
    car = street[161:327, 296:488]  # YOLOX's car box [326,191,458,297] plus 30 px of road
    person = cv2.resize(cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR), (140, 140))
    background = np.full((H, W, 3), 110, np.uint8)
    images, truth = [], []
    for k in range(FRAMES):
        t = k / (FRAMES - 1)
        px, py = round(20 + 460 * t), 40
        cx, cy = round(430 - 410 * t), 170
        image = background.copy()
        image[cy : cy + 166, cx : cx + 192] = car
        image[py : py + 140, px : px + 140] = person  # the person walks in front of the car
        images.append(image)
        truth.append(
            {"person": (px, py, px + 140, py + 140), "car": (cx + 30, cy + 30, cx + 162, cy + 136)}
        )
    path = tmp_path_factory.mktemp("clips") / "crossing.mp4"
    write_video(path, images, fps=FPS)
    return path, truth


def iou(a: list[int] | tuple[int, ...], b: list[int] | tuple[int, ...]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


def id_switches(tracks: list[Track], truth: list[dict]) -> tuple[int, dict[str, int]]:
    """Count, per true object, how often the best-matching (IoU >= 0.3) track id changes."""
    switches, matched = 0, {}
    last: dict[str, int] = {}
    for frame, objects in enumerate(truth):
        for name, box in objects.items():
            best = max(
                ((iou(b.bbox, box), t.id) for t in tracks for b in t.frames if b.frame == frame),
                default=(0.0, -1),
            )
            if best[0] < 0.3:
                continue
            matched[name] = matched.get(name, 0) + 1
            if name in last and last[name] != best[1]:
                switches += 1
            last[name] = best[1]
    return switches, matched


def test_crossing_objects_keep_their_ids(registry: ModelRegistry, crossing_clip) -> None:
    # GIVEN a person and a car crossing paths, detected on every frame
    path, truth = crossing_clip
    sink = MemorySink()
    ctx = RunContext(models=registry, artifacts=sink)
    # WHEN tracking runs through the engine
    result = run_analyzers(path, [TrackingAnalyzer({"fps": 0})], ctx)["tracking"]
    # THEN no id switches, both objects matched on nearly every frame, with their classes
    switches, matched = id_switches(result.tracks, truth)
    assert switches == 0
    assert matched["person"] >= FRAMES - 3 and matched["car"] >= FRAMES - 6
    assert {t.class_ for t in result.tracks} >= {"person", "car"}
    assert [t.id for t in result.tracks] == list(range(1, len(result.tracks) + 1))
    # AND the annotated MP4 is H.264 with every frame, stored under tracking.mp4
    data, content_type = sink.blobs["tracking.mp4"]
    assert result.videos == ["artifacts/tracking.mp4"] and content_type == "video/mp4"
    with av.open(io.BytesIO(data)) as video:
        stream = video.streams.video[0]
        decoded = list(video.decode(stream))
    assert stream.codec_context.name == "h264" and len(decoded) == FRAMES
    # boxes were drawn: the annotated frame differs from the plain background around the person
    first = decoded[5].to_ndarray(format="bgr24").astype(int)
    assert np.abs(first[:, :, :] - 110).max() > 100


def test_walking_people_are_tracked(registry: ModelRegistry) -> None:
    walking = MEDIA / "walking_people_vtest_480x360.avi"
    if not walking.is_file():
        pytest.skip(f"{walking} is missing")
    # GIVEN the first 3 s of the walking-people clip, no video output
    ctx = RunContext(models=registry, segment=Segment(Fraction(0), Fraction(3)))
    # WHEN tracking runs at its default sampling
    result = run_analyzers(walking, [TrackingAnalyzer({"video": False})], ctx)["tracking"]
    # THEN at least 3 person tracks last most of the span
    long_persons = [
        t
        for t in result.tracks
        if t.class_ == "person" and t.last_timestamp - t.first_timestamp >= 2.0
    ]
    assert len(long_persons) >= 3
    assert result.detect_fps == 10.0 and result.videos == []


def box(frame: int, bbox: list[int]) -> TrackBox:
    return TrackBox(frame=frame, timestamp=frame / 10, bbox=bbox, confidence=0.9)


def track(tid: int, cls: str, boxes: list[TrackBox]) -> Track:
    return Track(
        id=tid,
        class_=cls,
        first_frame=boxes[0].frame,
        last_frame=boxes[-1].frame,
        first_timestamp=boxes[0].timestamp,
        last_timestamp=boxes[-1].timestamp,
        frames=boxes,
    )


def test_merge_relinks_tracks_across_segment_boundary() -> None:
    # GIVEN segment A (frames 0-9) with a person and a car, and segment B (10-19) where the
    # person continues at the same place, the car is gone and a new dog appears there
    a = TrackingResult(
        tracks=[
            track(1, "person", [box(0, [0, 0, 10, 20]), box(9, [50, 0, 60, 20])]),
            track(2, "car", [box(0, [100, 100, 140, 120]), box(9, [100, 100, 140, 120])]),
        ],
        videos=["a.mp4"],
    )
    b = TrackingResult(
        tracks=[
            track(1, "dog", [box(10, [100, 100, 140, 120])]),
            track(2, "person", [box(10, [52, 0, 62, 20]), box(19, [90, 0, 100, 20])]),
        ],
        videos=["b.mp4"],
    )
    # WHEN merged
    merged = TrackingAnalyzer.merge([a, b])
    # THEN the person keeps id 1 across the boundary, the dog is new (class differs), ids unique
    by_id = {t.id: t for t in merged.tracks}
    assert sorted(by_id) == [1, 2, 3]
    assert [f.frame for f in by_id[1].frames] == [0, 9, 10, 19] and by_id[1].last_frame == 19
    assert by_id[3].class_ == "dog"
    assert merged.videos == ["a.mp4", "b.mp4"]
