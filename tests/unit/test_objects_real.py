"""``objects`` with the real YOLOX-nano on scikit-image photos and the walking-people clip.

Needs ``FRAMELENS_MODEL_DIR`` (the shared models) and scikit-image; skipped with a reason otherwise.
Expected detections are those verified in ``../shared/models/MANIFEST.md``.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from framelens.analyzers.objects import ObjectsAnalyzer
from framelens.engine.base import RunContext, Segment
from framelens.engine.run import run_analyzers
from framelens.models import ModelRegistry

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
WALKING = (
    Path(__file__).resolve().parents[3] / "shared" / "media" / "walking_people_vtest_480x360.avi"
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    value = os.environ.get("FRAMELENS_MODEL_DIR")
    if not value or not (Path(value) / "yolox_nano_coco80.onnx").is_file():
        pytest.skip("FRAMELENS_MODEL_DIR is not set to a folder with yolox_nano_coco80.onnx")
    return ModelRegistry(Path(value), tmp_path_factory.mktemp("cache"))


def bgr(name: str) -> np.ndarray:
    return cv2.cvtColor(getattr(skimage_data, name)(), cv2.COLOR_RGB2BGR)


def detect_image(
    registry: ModelRegistry, image: np.ndarray, tmp_path: Path, **opts: object
) -> dict:
    path = tmp_path / "image.png"
    cv2.imwrite(str(path), image)
    out = run_analyzers(path, [ObjectsAnalyzer(opts)], RunContext(models=registry))
    return out["objects"].model_dump()


@pytest.mark.parametrize(
    ("photo", "expected"),
    [("astronaut", {"person"}), ("chelsea", {"cat"}), ("coffee", {"cup", "dining table"})],
)
def test_photos_give_manifest_classes(
    registry: ModelRegistry, tmp_path: Path, photo: str, expected: set[str]
) -> None:
    # GIVEN a scikit-image photo saved as PNG WHEN objects runs through the engine
    result = detect_image(registry, bgr(photo), tmp_path)
    # THEN one frame with exactly the classes the model manifest recorded
    assert len(result["frames"]) == 1
    assert {d["class"] for d in result["frames"][0]["detections"]} == expected
    assert result["model"] == "yolox_nano_coco80"


def test_pasted_person_is_found_where_it_was_pasted(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    # GIVEN the astronaut shrunk to 160x160 and pasted at (300, 120) on a grey 640x400 canvas
    canvas = np.full((400, 640, 3), 120, np.uint8)
    canvas[120:280, 300:460] = cv2.resize(bgr("astronaut"), (160, 160))
    # WHEN objects runs with a class filter
    found = detect_image(registry, canvas, tmp_path, classes=["person"])["frames"][0]["detections"]
    # THEN one person whose box lies inside the pasted square (astronaut fills most of it)
    assert [d["class"] for d in found] == ["person"]
    x1, y1, x2, y2 = found[0]["bbox"]
    assert 295 <= x1 < 340 and 115 <= y1 < 150 and 400 < x2 <= 465 and 250 < y2 <= 285


def test_walking_people_clip_has_persons_in_source_pixels(registry: ModelRegistry) -> None:
    if not WALKING.is_file():
        pytest.skip(f"{WALKING} is missing")
    # GIVEN the first 2 s of the walking clip at 2 fps (the engine downsizes to 416 wide)
    ctx = RunContext(models=registry, segment=Segment(Fraction(0), Fraction(2)))
    # WHEN objects runs
    result = run_analyzers(WALKING, [ObjectsAnalyzer({"fps": 2})], ctx)["objects"]
    # THEN each sampled frame has persons, with boxes in 480x360 source pixels
    assert len(result.frames) >= 3
    for frame in result.frames:
        persons = [d for d in frame.detections if d.class_ == "person"]
        assert len(persons) >= 3
        assert all(
            0 <= d.bbox[0] < d.bbox[2] <= 480 and 0 <= d.bbox[1] < d.bbox[3] <= 360
            for d in frame.detections
        )
    assert max(d.bbox[2] for f in result.frames for d in f.detections) > 416


def test_merge_concatenates_segments_in_time_order(registry: ModelRegistry, tmp_path: Path) -> None:
    # GIVEN two one-frame results out of order
    a = detect_image(registry, bgr("astronaut"), tmp_path)
    first = ObjectsAnalyzer.merge([])
    part = type(first).model_validate(a)
    later = part.model_copy(update={"frames": [part.frames[0].model_copy(update={"frame": 9})]})
    # WHEN merged THEN frames are in index order and duplicates are dropped
    merged = ObjectsAnalyzer.merge([later, part, part])
    assert [f.frame for f in merged.frames] == [0, 9]
    assert first.frames == []
