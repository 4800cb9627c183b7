"""``tags``: ImageNet classes and COCO detections as seed 001 tags, per scene, critical flags."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import cv2
import pytest

from framelens.analyzers.tag_vocabulary import GROUPS
from framelens.analyzers.tags import TagsAnalyzer, framing_of
from framelens.engine.base import RunContext, Segment
from framelens.engine.run import run_analyzers
from framelens.models import BUILTIN_MANIFESTS, ModelRegistry, load_labels
from framelens.schemas.results_tags import SceneTags, Tag, TagsResult
from tests.shared import MODELS, media

if TYPE_CHECKING:
    from pathlib import Path

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")

VIOLINIST = media("violinist_faces_cuts_640x360.mp4")
NEEDED = ("yolox_nano_coco80.onnx", "efficientnet_lite0_imagenet1k.onnx")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    if not all((MODELS / f).is_file() for f in NEEDED):
        pytest.skip(f"FRAMELENS_MODEL_DIR lacks {NEEDED}")
    return ModelRegistry(MODELS, tmp_path_factory.mktemp("cache"))


def _photo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    cv2.imwrite(str(path), cv2.cvtColor(getattr(skimage_data, name)(), cv2.COLOR_RGB2BGR))
    return path


def _tags(registry: ModelRegistry, path: Path, **kw: object) -> TagsResult:
    options = kw.pop("options", {})
    ctx = RunContext(models=registry, **kw)
    result = run_analyzers(path, [TagsAnalyzer(options)], ctx)["tags"]
    assert isinstance(result, TagsResult)
    return result


def test_coffee_photo_is_espresso_in_a_cup(registry: ModelRegistry, tmp_path: Path) -> None:
    # WHEN the coffee photo is tagged
    result = _tags(registry, _photo(tmp_path, "coffee"))
    tags = result.model_dump()["tags"]
    # THEN ImageNet's espresso and the detector's cup lead, most probable first, seed 001 shape
    assert [t["tag"] for t in tags[:2]] == ["espresso", "cup"]
    assert tags[0]["probability"] > 0.9 and tags[1]["probability"] > 0.8
    assert [t["probability"] for t in tags] == sorted(
        (t["probability"] for t in tags), reverse=True
    )
    assert all(set(t) == {"tag", "probability", "is_critical"} for t in tags)
    assert all(t["probability"] >= result.min_probability for t in tags)
    # AND nothing is critical by default, and an image has no scenes
    assert not any(t["is_critical"] for t in tags) and result.scenes == []


def test_chelsea_is_a_cat(registry: ModelRegistry, tmp_path: Path) -> None:
    tags = {t.tag: t.probability for t in _tags(registry, _photo(tmp_path, "chelsea")).tags}
    # THEN the house-cat classes add up to "cat", above each breed, which are tags too
    assert tags["cat"] > 0.8
    assert tags["cat"] >= max(tags.get(b, 0) for b in ("tabby", "tiger cat", "Egyptian cat"))
    assert "tiger cat" in tags


def test_critical_tags_come_from_the_job_and_the_tenant(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    # GIVEN a tenant whose critical list names "Cup" and a job adding "espresso"
    result = _tags(
        registry,
        _photo(tmp_path, "coffee"),
        critical_tags=("Cup", "knife"),
        options={"critical": ["espresso"]},
    )
    # THEN exactly those tags are critical (case-insensitive)
    flagged = {t.tag for t in result.tags if t.is_critical}
    assert flagged == {"cup", "espresso"}
    assert result.critical_tags == ["cup", "espresso", "knife"]


@pytest.mark.skipif(not VIOLINIST.exists(), reason="shared media not present")
def test_video_tags_per_scene_with_framing_and_segment_merge(registry: ModelRegistry) -> None:
    # GIVEN the violinist clip (close-up, two wider shots, close-up)
    whole = run_analyzers(VIOLINIST, [TagsAnalyzer()], RunContext(models=registry))["tags"]
    assert isinstance(whole, TagsResult)
    # THEN four scenes, each with a violin and a person, and the framing of each shot
    assert len(whole.scenes) == 4
    for scene in whole.scenes:
        names = {t.tag for t in scene.tags}
        assert {"violin", "person", "musical instrument"} <= names
    assert [s.framing for s in whole.scenes] == [
        "close-up",
        "medium shot",
        "medium shot",
        "close-up",
    ]
    assert whole.tags[0].tag in {"violin", "musical instrument", "person"}
    # WHEN the clip is analyzed as three segments (two cut inside a shot) and merged
    bounds = [(Fraction(0), Fraction(10)), (Fraction(10), Fraction(16)), (Fraction(16), None)]
    parts = [
        run_analyzers(
            VIOLINIST, [TagsAnalyzer()], RunContext(models=registry, segment=Segment(*b))
        )["tags"]
        for b in bounds
    ]
    # THEN the merge equals the single pass
    assert TagsAnalyzer.merge(parts).model_dump() == whole.model_dump()


def _scene(start: float, end: float, sums: dict[str, float], n: int, **kw: object) -> SceneTags:
    return SceneTags(
        start_seconds=start,
        end_seconds=end,
        start_frame=int(start),
        last_frame=int(end) - 1,
        samples=n,
        tags=[Tag(tag=k, probability=v / n) for k, v in sums.items() if v / n >= 0.1],
        tag_sums=sums,
        person_area_sum=0.0,
        **kw,
    )


def test_merge_joins_a_scene_split_by_a_segment_edge() -> None:
    # GIVEN a scene seen as 2 samples (dog 1.8) then 6 samples (dog 1.2, ball 4.2)
    a = TagsResult(scenes=[_scene(0, 2, {"dog": 1.8}, 2, open_end=True)], critical_tags=["ball"])
    b = TagsResult(
        scenes=[
            _scene(2, 8, {"dog": 1.2, "ball": 4.2}, 6, continues_previous=True),
            _scene(8, 9, {"car": 0.9}, 1),
        ],
        critical_tags=["ball"],
    )
    # WHEN merged
    merged = TagsAnalyzer.merge([a, b])
    # THEN one 8-sample scene whose tags are means over all its samples, then the next scene
    first = merged.scenes[0]
    assert (first.start_seconds, first.end_seconds, first.samples) == (0, 8, 8)
    assert {t.tag: t.probability for t in first.tags} == {"ball": 0.525, "dog": 0.375}
    assert [t.tag for t in first.tags if t.is_critical] == ["ball"]
    # AND the media's tags are each tag's best scene; merge state is gone
    assert [(t.tag, t.probability) for t in merged.tags] == [
        ("car", 0.9),
        ("ball", 0.525),
        ("dog", 0.375),
    ]
    assert all(s.tag_sums is None and s.person_area_sum is None for s in merged.scenes)


def test_image_parts_merge_by_max_probability() -> None:
    a = TagsResult(tags=[Tag(tag="person", probability=0.6)], critical_tags=["person"])
    b = TagsResult(tags=[Tag(tag="person", probability=0.9), Tag(tag="car", probability=0.7)])
    merged = TagsAnalyzer.merge([a, b])
    assert [(t.tag, t.probability, t.is_critical) for t in merged.tags] == [
        ("person", 0.9, True),
        ("car", 0.7, False),
    ]
    assert TagsAnalyzer.merge([b, a]).tags == merged.tags


@pytest.mark.parametrize(
    ("area", "framing"),
    [(None, None), (0.05, "wide shot"), (0.2, "medium shot"), (0.59, "medium shot"),
     (0.6, "close-up"), (0.9, "close-up")],
)  # fmt: skip
def test_framing_thresholds(area: float | None, framing: str | None) -> None:
    assert framing_of(area) == framing


def test_groups_name_only_imagenet_classes_of_that_kind() -> None:
    labels = load_labels(BUILTIN_MANIFESTS["efficientnet_lite0_imagenet1k"])
    assert {labels[i] for i in GROUPS["cat"]} == {
        "tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"
    }  # fmt: skip
    assert (
        labels[GROUPS["dog"][0]] == "Chihuahua" and labels[GROUPS["dog"][-1]] == "Mexican hairless"
    )
    assert {labels[i] for i in GROUPS["gun"]} == {"assault rifle", "revolver", "rifle"}
    assert "violin" in {labels[i] for i in GROUPS["musical instrument"]}
    assert all(0 <= i < len(labels) for members in GROUPS.values() for i in members)
