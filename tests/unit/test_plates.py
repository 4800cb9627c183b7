"""Licence plates: LPD-YuNet priors and decoding on crafted tensors, the real model on a drawn
Chinese-style plate and on plate-free photos, and plates combined with COCO detections."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
import pytest

from framelens.analyzers.detections import load_detector, working_side
from framelens.analyzers.objects import ObjectsAnalyzer
from framelens.analyzers.plates import decode_plates, plate_priors
from framelens.engine.base import RunContext
from framelens.engine.run import run_analyzers
from framelens.errors import ValidationError
from framelens.models import ModelRegistry
from tests.shared import MODELS

if TYPE_CHECKING:
    from pathlib import Path

    import numpy.typing as npt

PLATES = "lpd_yunet_2023mar"
BOTH = f"yolox_nano_coco80+{PLATES}"
PLATE_BOX = (105, 132, 215, 167)  # x1, y1, x2, y2 of the drawn plate in a 320x240 picture


def plate_picture(scale: int = 1) -> npt.NDArray[np.uint8]:
    """A blue Chinese-style plate with white characters on a dark car body, ``PLATE_BOX``."""
    img = np.full((240, 320, 3), 90, np.uint8)
    cv2.rectangle(img, (40, 60), (280, 200), (60, 60, 60), -1)
    x0, y0, x1, y1 = PLATE_BOX
    cv2.rectangle(img, (x0, y0), (x1, y1), (160, 60, 20), -1)
    cv2.rectangle(img, (x0 + 2, y0 + 2), (x1 - 2, y1 - 2), (255, 255, 255), 1)
    cv2.putText(img, "A 12345", (x0 + 6, y1 - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.875, (255,) * 3, 2)
    return cv2.resize(img, (320 * scale, 240 * scale), interpolation=cv2.INTER_NEAREST)


def _iou(a: npt.NDArray[np.float32], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))


def test_priors_cover_four_strides_in_network_order() -> None:
    priors = plate_priors(320, 240)
    # THEN 30x40x3 + 15x20x2 + 7x10x2 + 3x5x3 priors, the count of the model's outputs
    assert priors.shape == (4385, 4)
    # AND row-major cells, three sizes per stride-8 cell, the last one stride 64 / size 256
    assert priors[:4].tolist() == [[4, 4, 10, 10], [4, 4, 16, 16], [4, 4, 24, 24], [12, 4, 10, 10]]
    assert priors[-1].tolist() == [288, 160, 256, 256]


def test_decoder_corners_scores_threshold_and_nms() -> None:
    # GIVEN outputs where prior 3600 (first stride-16 prior: centre (8, 8), size 32) holds a plate
    priors = plate_priors(320, 240)
    loc = np.zeros((4385, 14), np.float32)
    conf = np.zeros((4385, 2), np.float32)
    iou = np.zeros((4385, 1), np.float32)
    corners = [(-5.0, -2.0), (5.0, -2.0), (5.0, 2.0), (-5.0, 2.0)]
    for k in (3600, 3601):  # the same plate seen by two priors (size 32 and 48)
        for (cx, cy), cols in zip(corners, ((4, 5), (6, 7), (10, 11), (12, 13)), strict=True):
            loc[k, cols] = (cx * 32 / priors[k, 2], cy * 32 / priors[k, 2])
    conf[3600, 1], iou[3600, 0] = 0.81, 1.7  # iou clips to 1: score sqrt(0.81)
    conf[3601, 1], iou[3601, 0] = 0.64, 1.0  # a weaker duplicate: NMS drops it
    conf[10, 1], iou[10, 0] = 0.2, 0.2  # below the threshold
    conf[20, 1], iou[20, 0] = 0.99, -0.5  # a negative iou clips to 0: score 0
    # WHEN decoded
    found, scores = decode_plates(loc, conf, iou, priors, threshold=0.5)
    # THEN one plate: corners = centre + offset x 0.1 x prior size, score sqrt(cls x iou)
    assert scores.tolist() == pytest.approx([0.9])
    expected = [[-8, 1.6], [24, 1.6], [24, 14.4], [-8, 14.4]]
    np.testing.assert_allclose(found[0], expected, atol=1e-4)
    # AND nothing passes a higher threshold
    assert len(decode_plates(loc, conf, iou, priors, threshold=0.95)[1]) == 0


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    needed = ("license_plate_detection_lpd_yunet_2023mar.onnx", "yolox_nano_coco80.onnx")
    if not all((MODELS / f).is_file() for f in needed):
        pytest.skip(f"FRAMELENS_MODEL_DIR lacks {needed}")
    return ModelRegistry(MODELS, tmp_path_factory.mktemp("cache"))


def test_model_finds_the_drawn_plate_in_source_pixels(registry: ModelRegistry) -> None:
    # GIVEN the drawn plate at twice the size, seen at working scale 0.5 (as the engine delivers)
    detector = load_detector(registry, PLATES)
    small = cv2.resize(plate_picture(2), (320, 240), interpolation=cv2.INTER_AREA)
    # WHEN detected
    found = detector.detect(small, confidence=0.3, scale=0.5)
    # THEN one plate, named as seed 000 names it, boxed in source (x2) pixels
    assert len(found) == 1
    assert found.data["class_name"].tolist() == ["car license plate"]
    assert found.confidence is not None and found.confidence[0] > 0.8
    assert _iou(found.xyxy[0], tuple(2.0 * v for v in PLATE_BOX)) > 0.7


@pytest.mark.parametrize("photo", ["coffee", "chelsea", "astronaut"])
def test_no_plate_in_plate_free_photos(registry: ModelRegistry, photo: str) -> None:
    skimage_data = pytest.importorskip("skimage.data")
    image = cv2.cvtColor(getattr(skimage_data, photo)(), cv2.COLOR_RGB2BGR)
    # THEN nothing, even when asked for everything above 0.1 (the model's floor applies)
    assert len(load_detector(registry, PLATES).detect(image, confidence=0.1)) == 0


def test_objects_with_plates_and_coco_combined(registry: ModelRegistry, tmp_path: Path) -> None:
    # GIVEN the drawn plate as an image file and the combined model option
    path = tmp_path / "plate.png"
    cv2.imwrite(str(path), plate_picture(2))
    ctx = RunContext(models=registry)
    # WHEN objects runs with plates merged into the COCO detections
    result = run_analyzers(path, [ObjectsAnalyzer({"model": BOTH})], ctx)["objects"]
    # THEN the plate comes back through the usual detection plumbing, tagged with the model pair
    classes = [d.class_ for d in result.frames[0].detections]
    assert "car license plate" in classes
    assert result.model == BOTH
    # AND the classes option selects across members (only plates; only COCO cups: none)
    only = run_analyzers(path, [ObjectsAnalyzer({"model": BOTH, "classes": "car license plate"})],
                         ctx)["objects"]  # fmt: skip
    assert {d.class_ for d in only.frames[0].detections} == {"car license plate"}


def test_combined_detector_classes_and_working_size(registry: ModelRegistry) -> None:
    both = load_detector(registry, BOTH)
    assert len(both.class_names) == 81 and both.class_names[-1] == "car license plate"
    assert both.class_ids(["person", "car license plate"]) == {0, 80}
    assert working_side(BOTH) == 416 and working_side(PLATES) == 320
    # AND "," or a space (what "+" becomes in an unescaped URL query) name the same pair
    assert load_detector(registry, "yolox_nano_coco80, lpd_yunet_2023mar").name == BOTH
    assert load_detector(registry, BOTH.replace("+", " ")).name == BOTH
    with pytest.raises(ValidationError):
        both.class_ids(["helmet"])
