"""Bring-your-own detector: YOLOX and YOLOv8 decoding checked exactly with tiny constant graphs.

Each graph has the real I/O signature (``[1,3,S,S]`` → ``[1,N,5+C]`` or ``[1,4+C,N]``) and
outputs known constants, so every box, score and class name the analyzer reports is predictable.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from framelens.analyzers.objects import ObjectsAnalyzer
from framelens.analyzers.yolo_decode import letterbox
from framelens.engine.base import Frame, MediaInfo, RunContext
from framelens.errors import ValidationError
from framelens.models import InputSpec, ModelRegistry

if TYPE_CHECKING:
    from pathlib import Path

S = 64  # network input side: YOLOX grids 8x8 + 4x4 + 2x2 = 84 rows
CLASSES = ["helmet", "bike", "plate"]


def constant_model(path: Path, output: np.ndarray) -> Path:
    """An ONNX graph ``images [1,3,S,S] -> output`` that ignores its input (times zero)."""
    const = numpy_helper.from_array(output.astype(np.float32), "const")
    nodes = [
        helper.make_node("ReduceSum", ["images"], ["s"], keepdims=0),
        helper.make_node("Mul", ["s", "zero"], ["z"]),
        helper.make_node("Add", ["const", "z"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "constant_detector",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, S, S])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(output.shape))],
        initializer=[const, numpy_helper.from_array(np.zeros((), np.float32), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def yolox_rows() -> np.ndarray:
    """Known YOLOX rows; everything else scores 0.

    Row 26 = stride 8, grid (gx=2, gy=3): dx=dy=0.5, dw=dh=ln 2 → box [12,20,28,36] in net pixels.
    Row 27 = the same place, class 0 again but weaker → removed by NMS.
    Row 64 = stride 16, grid (0, 0): same box as row 26 but class 2 → kept (NMS is class-wise).
    Row 83 = stride 32, grid (1, 1): score 0.2 → below the 0.3 threshold.
    """
    out = np.zeros((1, 84, 5 + len(CLASSES)), np.float32)
    out[0, 26, :5] = [0.5, 0.5, np.log(2), np.log(2), 0.9]
    out[0, 26, 5 + 0] = 1.0  # helmet 0.9
    out[0, 27, :5] = [-0.5, 0.5, np.log(2), np.log(2), 0.8]
    out[0, 27, 5 + 0] = 1.0  # helmet 0.8, same box after decoding → suppressed
    out[0, 64, :5] = [1.25, 1.75, np.log(1.0), np.log(1.0), 0.5]
    out[0, 64, 5 + 2] = 0.8  # plate 0.4 at [12,20,28,36]
    out[0, 83, :5] = [0.5, 0.5, 0.0, 0.0, 0.4]
    out[0, 83, 5 + 1] = 0.5  # bike 0.2
    return out


def run_on(reg: ModelRegistry, model: str, image: np.ndarray, **options: object) -> list[dict]:
    analyzer = ObjectsAnalyzer({"model": model, **options})
    analyzer.start(MediaInfo("image", image.shape[1], image.shape[0]), RunContext(models=reg))
    analyzer.process(Frame(index=0, pts=Fraction(0), image=image))
    result = analyzer.finish().model_dump()
    return result["frames"][0]["detections"]


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(None, tmp_path / "cache")


def test_yolox_custom_detector_decodes_exactly(registry: ModelRegistry, tmp_path: Path) -> None:
    # GIVEN a YOLOX-format detector registered with its own classes
    path = constant_model(tmp_path / "yx.onnx", yolox_rows())
    registry.register_detector("ppe", path, CLASSES, "yolox", S)
    # WHEN a 128x96 image runs through (letterbox ratio 0.5, top-left padding)
    found = run_on(registry, "ppe", np.zeros((96, 128, 3), np.uint8))
    # THEN boxes are the net boxes / 0.5, class-wise NMS kept one helmet and the plate
    assert found == [
        {"class": "helmet", "confidence": 0.9, "bbox": [24, 40, 56, 72]},
        {"class": "plate", "confidence": 0.4, "bbox": [24, 40, 56, 72]},
    ]


def test_yolox_frame_scale_maps_boxes_to_source_pixels(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    # GIVEN the same detector and a frame the engine shrank to half size (scale 0.5)
    registry.register_detector(
        "ppe", constant_model(tmp_path / "yx.onnx", yolox_rows()), CLASSES, "yolox", S
    )
    analyzer = ObjectsAnalyzer({"model": "ppe", "classes": ["helmet"]})
    analyzer.start(MediaInfo("video", 256, 128), RunContext(models=registry))
    # WHEN a 128x64 working frame arrives
    analyzer.process(
        Frame(index=7, pts=Fraction(7, 10), image=np.zeros((64, 128, 3), np.uint8), scale=0.5)
    )
    frames = analyzer.finish().model_dump()["frames"]
    # THEN the box is in the 256x128 source (bottom clipped at 128), the plate was filtered out
    assert frames == [
        {
            "frame": 7,
            "timestamp": 0.7,
            "detections": [{"class": "helmet", "confidence": 0.9, "bbox": [48, 80, 112, 128]}],
        },
    ]


def test_yolov8_custom_detector_decodes_exactly(registry: ModelRegistry, tmp_path: Path) -> None:
    # GIVEN a YOLOv8-format output [1, 4+C, N]: one bike at cx=32, cy=32, w=16, h=8 (net pixels)
    out = np.zeros((1, 4 + len(CLASSES), 10), np.float32)
    out[0, :4, 3] = [32, 32, 16, 8]
    out[0, 4 + 1, 3] = 0.75
    out[0, :4, 5] = [10, 10, 4, 4]
    out[0, 4 + 0, 5] = 0.1  # below threshold
    registry.register_detector(
        "bikes", constant_model(tmp_path / "v8.onnx", out), CLASSES, "yolov8", S
    )
    # WHEN a 128x64 image runs through (ratio 0.5, centred: 16 px padding on top)
    found = run_on(registry, "bikes", np.zeros((64, 128, 3), np.uint8))
    # THEN the box is ([24,28,40,36] - [0,16,0,16]) / 0.5
    assert found == [{"class": "bike", "confidence": 0.75, "bbox": [48, 24, 80, 40]}]


def test_unknown_class_filter_is_rejected(registry: ModelRegistry, tmp_path: Path) -> None:
    registry.register_detector(
        "ppe", constant_model(tmp_path / "yx.onnx", yolox_rows()), CLASSES, "yolox", S
    )
    analyzer = ObjectsAnalyzer({"model": "ppe", "classes": "helmet,unicorn"})
    with pytest.raises(ValidationError, match="unicorn"):
        analyzer.start(MediaInfo("image", 10, 10), RunContext(models=registry))


def test_letterbox_is_top_left_raw_bgr_padded_with_114() -> None:
    # GIVEN a 2:1 image with a known BGR colour
    image = np.zeros((32, 64, 3), np.uint8)
    image[:] = (10, 20, 30)
    spec = InputSpec(size=(S, S), colour="bgr", scale=1.0, letterbox="topleft")
    # WHEN it is letterboxed to 64x64
    blob, box = letterbox(image, spec)
    # THEN the image fills the top half unchanged (raw BGR) and the rest is 114
    assert blob.shape == (1, 3, S, S) and blob.dtype == np.float32
    assert blob[0, :, 0, 0].tolist() == [10.0, 20.0, 30.0]
    assert blob[0, :, 31, 63].tolist() == [10.0, 20.0, 30.0]
    assert blob[0, :, 32, 0].tolist() == [114.0, 114.0, 114.0]
    assert (box.ratio, box.dx, box.dy) == (1.0, 0.0, 0.0)


def test_yolov8_letterbox_is_centred_rgb_unit_range() -> None:
    image = np.zeros((32, 64, 3), np.uint8)
    image[:] = (0, 0, 255)  # red in BGR
    spec = InputSpec(size=(S, S), colour="rgb", scale=1 / 255, letterbox="center")
    blob, box = letterbox(image, spec)
    assert (box.dx, box.dy) == (0.0, 16.0)
    assert blob[0, :, 16, 0].tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert blob[0, :, 0, 0].tolist() == pytest.approx([114 / 255] * 3)
