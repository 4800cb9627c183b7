"""``tags``: detector classes as seed 001 tags with ``is_critical`` from the tenant's list."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import pytest

from framelens.analyzers.tags import TagsAnalyzer
from framelens.engine.base import RunContext
from framelens.engine.run import run_analyzers
from framelens.models import ModelRegistry
from framelens.schemas.results_objects import Tag, TagsResult

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    value = os.environ.get("FRAMELENS_MODEL_DIR")
    if not value or not (Path(value) / "yolox_nano_coco80.onnx").is_file():
        pytest.skip("FRAMELENS_MODEL_DIR is not set to a folder with yolox_nano_coco80.onnx")
    return ModelRegistry(Path(value), tmp_path_factory.mktemp("cache"))


def test_coffee_photo_tags_with_critical_flag(registry: ModelRegistry, tmp_path: Path) -> None:
    # GIVEN the coffee photo and a tenant whose critical list names "Cup"
    path = tmp_path / "coffee.png"
    cv2.imwrite(str(path), cv2.cvtColor(skimage_data.coffee(), cv2.COLOR_RGB2BGR))
    ctx = RunContext(models=registry, critical_tags=("Cup", "knife"))
    # WHEN tags runs
    result = run_analyzers(path, [TagsAnalyzer()], ctx)["tags"]
    # THEN seed 001 tags, most probable first, only the cup critical
    dumped = result.model_dump()["tags"]
    assert [t["tag"] for t in dumped] == ["cup", "dining table"]
    assert [t["is_critical"] for t in dumped] == [True, False]
    assert dumped[0]["probability"] == pytest.approx(0.898, abs=0.01)
    assert set(dumped[0]) == {"tag", "probability", "is_critical"}


def test_merge_keeps_max_probability_and_any_critical() -> None:
    # GIVEN two segments' tags
    a = TagsResult(model="m", tags=[Tag(tag="person", probability=0.6, is_critical=True)])
    b = TagsResult(
        model="m", tags=[Tag(tag="person", probability=0.9), Tag(tag="car", probability=0.7)]
    )
    # WHEN merged (in either order)
    merged = TagsAnalyzer.merge([a, b])
    # THEN max probability per tag, critical kept, sorted by probability
    assert [(t.tag, t.probability, t.is_critical) for t in merged.tags] == [
        ("person", 0.9, True),
        ("car", 0.7, False),
    ]
    assert TagsAnalyzer.merge([b, a]) == merged
