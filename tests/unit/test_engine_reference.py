"""Engine, reference decoding: skipped non-reference frames, exact indexes, refinement, segments.

Clips come from ``tests.media_indexed``: every frame shows its own display index, so each test
checks what a delivered picture really is, not only what the engine says it is.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from framelens.engine.base import Analyzer, AnalyzerResult, FrameNeeds, RunContext, Segment
from framelens.engine.run import run_analyzers
from tests.media_indexed import read_index

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from framelens.engine.base import Frame, MediaInfo
    from tests.media import Generated

REFERENCE = FrameNeeds(colour="bgr", decode="reference")


class Seen(AnalyzerResult):
    frames: list[tuple[int, Fraction, bool]] = []


class Reader(Analyzer):
    """Records each delivered frame and the index its picture shows; refines where told to."""

    name: ClassVar[str] = "reader"

    def __init__(
        self,
        needs: FrameNeeds = REFERENCE,
        refine_when: Callable[[Frame], bool] | None = None,
        name: str = "reader",
    ) -> None:
        super().__init__()
        self._needs = needs
        self._refine_when = refine_when
        self.name = name  # type: ignore[misc]
        self.seen: list[tuple[int, Fraction, bool]] = []
        self.shown: list[int] = []
        self.asked: list[int] = []

    def needs(self) -> FrameNeeds:
        return self._needs

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        self.seen, self.shown, self.asked = [], [], []

    def refine(self, frame: Frame) -> bool:
        self.asked.append(frame.index)
        return self._refine_when is not None and self._refine_when(frame)

    def process(self, frame: Frame) -> None:
        self.seen.append((frame.index, frame.pts, frame.is_lookback))
        image: np.ndarray = frame.image
        self.shown.append(read_index(image) if image.ndim == 3 else -1)

    def finish(self) -> AnalyzerResult:
        return Seen(analyzer=self.name, frames=self.seen)

    @classmethod
    def merge(cls, parts: Any) -> AnalyzerResult:
        return parts[0]


def _indexes(reader: Reader, lookback: bool = False) -> list[int]:
    return [i for i, _, back in reader.seen if back == lookback]


def test_reference_run_skips_non_reference_frames_with_exact_indexes(
    indexed_video: Generated,
) -> None:
    # GIVEN a clip with three B-frames between references  WHEN reference frames are enough
    reader = Reader()
    run_analyzers(indexed_video.path, [reader], RunContext())
    # THEN fewer frames arrive, in order, each labelled with the index its picture shows
    indexes = _indexes(reader)
    assert 0 < len(indexes) < indexed_video.frames * 3 // 4
    assert indexes == sorted(indexes) and indexes[0] == 0
    assert reader.shown == indexes
    assert all(pts == Fraction(i, 25) for i, pts, _ in reader.seen)


def test_refining_everywhere_delivers_every_frame_once_in_order(
    long_gop_video: Generated,
) -> None:
    # GIVEN a 300-frame clip with one keyframe every 250  WHEN the analyzer refines every gap
    reader = Reader(refine_when=lambda _frame: True)
    run_analyzers(long_gop_video.path, [reader], RunContext())
    # THEN it was asked about skipped frames, and got all 300 frames, each the right picture
    assert reader.asked
    assert _indexes(reader) == list(range(long_gop_video.frames))
    assert reader.shown == list(range(long_gop_video.frames))
    assert all(pts == Fraction(i, 25) for i, pts, _ in reader.seen)


def test_refining_some_gaps_fills_only_those(indexed_video: Generated) -> None:
    # GIVEN a clip with skipped frames, and its reference frames
    plain = Reader()
    run_analyzers(indexed_video.path, [plain], RunContext())
    refs = _indexes(plain)
    # WHEN the analyzer refines only the gaps before frames 60..69
    reader = Reader(refine_when=lambda frame: 60 <= frame.index < 70)
    run_analyzers(indexed_video.path, [reader], RunContext())
    # THEN exactly those gaps are filled, and every picture is the frame it is said to be
    filled = {i for a, b in itertools.pairwise(refs) if 60 <= b < 70 for i in range(a + 1, b)}
    assert filled
    assert _indexes(reader) == sorted(set(refs) | filled)
    assert reader.shown == _indexes(reader)


def test_vfr_times_come_from_pts_when_frames_are_skipped(vfr_indexed_video: Generated) -> None:
    # GIVEN a VFR clip with B-frames  WHEN reference frames are decoded and every gap refined
    skipping = Reader()
    refined = Reader(refine_when=lambda _frame: True, name="refined")
    run_analyzers(vfr_indexed_video.path, [skipping], RunContext())
    run_analyzers(vfr_indexed_video.path, [refined], RunContext())
    times = vfr_indexed_video.truth["times"]
    assert isinstance(times, list)
    # THEN each frame's time is its own timestamp, skipped or refined
    assert all(pts == times[i] for i, pts, _ in skipping.seen + refined.seen)
    assert skipping.shown == _indexes(skipping) and len(skipping.seen) < len(times)
    assert refined.shown == list(range(len(times)))


def test_an_analyzer_needing_every_frame_turns_skipping_off(indexed_video: Generated) -> None:
    # GIVEN one analyzer content with reference frames and one that needs all
    content = Reader()
    needy = Reader(FrameNeeds(colour="bgr"), name="needy")
    run_analyzers(indexed_video.path, [content, needy], RunContext())
    # THEN both receive every frame, and nobody is asked to refine
    assert _indexes(content) == _indexes(needy) == list(range(indexed_video.frames))
    assert content.asked == []


@pytest.mark.parametrize("refines", [False, True])
def test_reference_segments_deliver_what_the_single_pass_delivers(
    long_gop_video: Generated, refines: bool
) -> None:
    # GIVEN segment bounds that fall between reference frames, inside one long GOP
    def when(frame: Frame) -> bool:
        return refines and frame.index % 3 == 0

    needs = FrameNeeds(colour="bgr", decode="reference", lookback=2)
    whole = Reader(needs, refine_when=when)
    run_analyzers(long_gop_video.path, [whole], RunContext())
    bounds = [Fraction(0), Fraction(41, 25), Fraction(5), Fraction(203, 25), None]
    # WHEN each segment runs alone
    joined: list[int] = []
    for a, b in itertools.pairwise(bounds):
        part = Reader(needs, refine_when=when)
        run_analyzers(long_gop_video.path, [part], RunContext(segment=Segment(a, b)))
        # THEN lookback frames come first, and every picture is what its index says
        assert part.shown == [i for i, _, _ in part.seen]
        if a > 0:
            assert part.seen[0][2] and part.seen[0][1] < a
        joined += _indexes(part)
    # AND the segments together deliver exactly the frames of the single pass
    assert joined == _indexes(whole)
    if not refines:
        assert len(joined) < long_gop_video.frames
