"""Sections: tags from scene activity, critical tags, thumbnails, segment merge equality."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import TYPE_CHECKING

from framelens.analyzers.sections import SectionsAnalyzer, sections_from
from framelens.engine.base import RunContext, Segment
from framelens.engine.run import run_analyzers
from framelens.schemas.parts_video import SharpnessSample
from framelens.schemas.results_video import RawScene, ScenesResult
from tests.media_scenes import make_scene_clip

if TYPE_CHECKING:
    from pathlib import Path


def _series(diffs: list[float], cut: int) -> ScenesResult:
    n = len(diffs)
    return ScenesResult(
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
