"""Sections: motion tags, composition with activity and tags, critical tags, thumbnails, merge."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pytest

from framelens.analyzers.activity import ActivityAnalyzer
from framelens.analyzers.compose import compose_results
from framelens.analyzers.sections import SectionsAnalyzer, sections_from
from framelens.analyzers.tags import TagsAnalyzer
from framelens.engine.base import RunContext, Segment
from framelens.engine.run import run_analyzers
from framelens.models import ModelRegistry
from framelens.schemas.parts_video import ScenesPart, SectionsPart, SharpnessSample
from framelens.schemas.results_activity import ActivityLabel, ActivityResult, ShotActivity
from framelens.schemas.results_tags import SceneTags, Tag, TagsResult
from framelens.schemas.results_video import RawScene
from tests.media import write_video
from tests.media_scenes import make_scene_clip
from tests.shared import MODELS, media

if TYPE_CHECKING:
    from pathlib import Path


def _series(diffs: list[float], cut: int) -> ScenesPart:
    n = len(diffs)
    return ScenesPart(
        frame_activity_diffs=diffs,
        sample_frames=list(range(n)),
        sample_seconds=[i / 10 for i in range(n)],
        raw_scenes=[
            RawScene(start_seconds=0, end_seconds=cut / 10, start_frame=0, end_frame=cut),
            RawScene(start_seconds=cut / 10, end_seconds=n / 10, start_frame=cut, end_frame=n),
        ],
    )


def test_static_then_busy_scene_gives_two_tagged_sections() -> None:
    # GIVEN a still scene (diffs 0.001) then a busy one (0.08)
    scenes = _series([0.0] + [0.001] * 19 + [0.5] + [0.08] * 19, cut=20)
    sharp = [
        SharpnessSample(frame=5, seconds=0.5, sharpness=10),
        SharpnessSample(frame=8, seconds=0.8, sharpness=90),
        SharpnessSample(frame=30, seconds=3.0, sharpness=50),
    ]
    # WHEN grouped with high_activity marked critical
    sections = sections_from(scenes, sharp, {}, critical_tags=("high_activity",))
    # THEN tags, criticality, relative activity and thumbnails follow
    assert [s.section_tag for s in sections] == ["static", "high_activity"]
    assert [s.is_critical for s in sections] == [False, True]
    assert sections[1].relative_activity == 1.0 and sections[0].relative_activity < 0.05
    assert [s.thumbnail_timestamp for s in sections] == [0.8, 3.0]
    assert all(0.5 <= s.confidence <= 1.0 for s in sections)


def test_equal_tags_join_into_one_section() -> None:
    scenes = _series([0.0] + [0.001] * 39, cut=20)
    sections = sections_from(scenes, [], {})
    assert len(sections) == 1 and len(sections[0].time_segments) == 2


def test_segments_merged_equal_single_pass(tmp_path: Path) -> None:
    # GIVEN a clip with cuts and a fade, cut into three segments
    clip = make_scene_clip(tmp_path / "s.mp4", [(None, 40), ("cut", 30), ("fade", 40)])
    whole = run_analyzers(clip.path, [SectionsAnalyzer()], RunContext())["sections"]
    bounds = [Fraction(0), Fraction(2), Fraction(4), None]
    parts = [
        run_analyzers(clip.path, [SectionsAnalyzer()], RunContext(segment=Segment(a, b)))[
            "sections"
        ]
        for a, b in itertools.pairwise(bounds)
    ]
    # WHEN merged  THEN identical to the single pass, and the sections span the whole clip
    merged = SectionsAnalyzer.merge(parts)
    assert merged.model_dump() == whole.model_dump()
    assert merged.sections[0].time_segments[0].start_seconds == 0.0
    assert merged.sections[-1].time_segments[-1].end_seconds * 25 == clip.frames


# --- sections composed from activity and tags (what happens, not only how much moves) ---------

VIOLINIST = media("violinist_faces_cuts_640x360.mp4")
NEEDED = (
    "yolox_nano_coco80.onnx",
    "efficientnet_lite0_imagenet1k.onnx",
    "movinet_a0_stream_kinetics600_int8.onnx",
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    if not all((MODELS / f).is_file() for f in NEEDED):
        pytest.skip(f"FRAMELENS_MODEL_DIR lacks {NEEDED}")
    return ModelRegistry(MODELS, tmp_path_factory.mktemp("cache"))


def _composed(path: Path, registry: ModelRegistry, **ctx: object) -> SectionsPart:
    analyzers = [SectionsAnalyzer(), ActivityAnalyzer(), TagsAnalyzer()]
    out = run_analyzers(path, analyzers, RunContext(models=registry, **ctx))
    assert [s.section_tag for s in out["sections"].sections] != []
    result = compose_results(out)["sections"]
    assert isinstance(result, SectionsPart)
    return result


@pytest.mark.skipif(not VIOLINIST.exists(), reason="shared media not present")
def test_violinist_sections_follow_framing_not_one_block(registry: ModelRegistry) -> None:
    # GIVEN the 4-shot violinist clip, whose scenes all move alike (one low_activity block alone)
    # WHEN sections are composed with the clip's activity and tags, the tenant marking "violin"
    result = _composed(VIOLINIST, registry, critical_tags=("violin",))
    sections = result.sections
    # THEN close-up, the two wider shots, close-up again: what happens, and how it is filmed
    assert [s.section_tag for s in sections] == [
        "playing violin, close-up",
        "playing violin, medium shot",
        "playing violin, close-up",
    ]
    assert [len(s.time_segments) for s in sections] == [1, 2, 1]
    assert result.composed_from == ["activity", "tags"]
    # AND the sections tile the clip in order, each thumbnail inside its own section
    spans = [(s.time_segments[0].start_seconds, s.time_segments[-1].end_seconds) for s in sections]
    assert spans[0][0] == 0.0 and spans[-1][1] == pytest.approx(654 * 1001 / 30000, abs=0.05)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert all(
        lo <= s.thumbnail_timestamp < hi for s, (lo, hi) in zip(sections, spans, strict=True)
    )
    assert all(s.confidence > 0.7 for s in sections)
    assert max(s.relative_activity for s in sections) == 1.0
    # AND a critical tag inside makes every section critical
    assert all(s.is_critical for s in sections)


def _pan(photo: np.ndarray, frames: int) -> list[np.ndarray]:
    bgr = cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)
    return [np.ascontiguousarray(bgr[20:260, 10 + 2 * i : 330 + 2 * i]) for i in range(frames)]


def test_two_different_halves_give_two_sections(registry: ModelRegistry, tmp_path: Path) -> None:
    skimage_data = pytest.importorskip("skimage.data")
    # GIVEN 3 s panning over the coffee photo, a hard cut, 3 s panning over the cat (10 fps)
    path = tmp_path / "halves.mp4"
    write_video(path, _pan(skimage_data.coffee(), 30) + _pan(skimage_data.chelsea(), 30), fps=10)
    # WHEN sections are composed
    result = _composed(path, registry)
    # THEN two sections split at the cut, named after what they show (no people: tags, not
    # Kinetics guesses)
    assert [s.section_tag for s in result.sections] == ["espresso", "cat"]
    bounds = [[(t.start_seconds, t.end_seconds) for t in s.time_segments] for s in result.sections]
    assert bounds == [[(0.0, 3.0)], [(3.0, 6.0)]]
    assert not any(s.is_critical for s in result.sections)


def _activity(spans: list[tuple[float, float, str]]) -> ActivityResult:
    shots = [
        ShotActivity(
            start_seconds=a,
            end_seconds=b,
            start_frame=int(a * 10),
            last_frame=int(b * 10) - 1,
            samples=5,
            activities=[ActivityLabel(label=label, kinetics400=label, probability=0.9)],
        )
        for a, b, label in spans
    ]
    return ActivityResult(shots=shots)


def _tags(spans: list[tuple[float, float, dict[str, float], str | None]]) -> TagsResult:
    scenes = [
        SceneTags(
            start_seconds=a,
            end_seconds=b,
            start_frame=int(a * 10),
            last_frame=int(b * 10) - 1,
            samples=2,
            tags=[Tag(tag=k, probability=p) for k, p in tags.items()],
            framing=framing,
        )
        for a, b, tags, framing in spans
    ]
    return TagsResult(scenes=scenes, critical_tags=["knife"])


def test_compose_groups_by_activity_framing_and_tags() -> None:
    # GIVEN five scenes of 1 s (10 sampled frames each) and the other modules' views of them
    scenes = _series([0.0] + [0.01] * 49, cut=10)
    scenes = scenes.model_copy(
        update={
            "raw_scenes": [
                RawScene(start_seconds=i, end_seconds=i + 1, start_frame=10 * i,
                         end_frame=10 * i + 10)
                for i in range(5)
            ]
        }
    )  # fmt: skip
    activity = _activity([(0, 2.1, "cooking egg"), (2.1, 5, "washing dishes")])
    person = {"person": 0.9, "frying pan": 0.6}
    tags = _tags(
        [
            (0, 1.1, person, "medium shot"),
            (1.1, 2.1, person, "close-up"),
            (2.1, 3.1, {"person": 0.9, "sink": 0.7}, "medium shot"),
            (3.1, 4.1, {"person": 0.9, "sink": 0.6}, "medium shot"),
            (4.1, 5, {"person": 0.3, "knife": 0.9}, "medium shot"),
        ]
    )
    base = SectionsPart(scenes=scenes, options={"critical_tags": []})
    # WHEN composed (the other analyzers' spans lag the exact scenes by 0.1 s)
    result = SectionsAnalyzer.compose(base, {"activity": activity, "tags": tags})
    # THEN a new section at each change of activity or framing, and where the tags change
    assert [s.section_tag for s in result.sections] == [
        "cooking egg, medium shot",
        "cooking egg, close-up",
        "washing dishes, medium shot",
        "washing dishes, medium shot",
    ]
    assert [len(s.time_segments) for s in result.sections] == [1, 1, 2, 1]
    # AND the tags result's critical set reaches the sections
    assert [s.is_critical for s in result.sections] == [False, False, False, True]
    # AND composing is pure: without the other results the motion-only sections come back
    alone = SectionsAnalyzer.compose(base, {})
    assert alone.composed_from == [] and SectionsAnalyzer.compose(result, {}) == alone
    assert [s.section_tag for s in alone.sections] == ["low_activity"]
