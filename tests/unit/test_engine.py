"""Engine: one decode pass, exact index/PTS, sampling, segments, rotation, isolation, progress."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pytest

from framelens.engine.base import (
    Analyzer,
    AnalyzerResult,
    FrameNeeds,
    RunContext,
    Segment,
)
from framelens.engine.exceptions import AnalyzerFailedError
from framelens.engine.run import run_analyzers
from tests.media import write_video

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.engine.base import Frame, MediaInfo
    from tests.media import Generated


class Recorded(AnalyzerResult):
    frames: list[tuple[int, Fraction, bool, tuple[int, ...]]] = []
    means: list[float] = []


class Recorder(Analyzer):
    """Records what the engine delivered."""

    name: ClassVar[str] = "recorder"

    def __init__(self, needs: FrameNeeds | None = None, name: str = "recorder") -> None:
        super().__init__()
        self._needs = needs or FrameNeeds()
        self.name = name  # type: ignore[misc]
        self.seen: list[Any] = []
        self.images: list[np.ndarray] = []

    def needs(self) -> FrameNeeds:
        return self._needs

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        self.seen = []

    def process(self, frame: Frame) -> None:
        self.seen.append((frame.index, frame.pts, frame.is_lookback, frame.image.shape))
        self.images.append(frame.image)

    def finish(self) -> AnalyzerResult:
        return Recorded(analyzer=self.name, frames=self.seen)

    @classmethod
    def merge(cls, parts: Any) -> AnalyzerResult:
        return parts[0]


class Exploding(Recorder):
    def process(self, frame: Frame) -> None:
        if frame.index == 3:
            raise RuntimeError("secret internal detail")


def test_every_frame_has_exact_index_and_pts(cuts_clip: Generated) -> None:
    # GIVEN a 100-frame 25 fps clip  WHEN every frame is requested
    rec = Recorder()
    run_analyzers(cuts_clip.path, [rec], RunContext())
    # THEN indexes are 0..99 and pts = index / 25 exactly
    assert [s[0] for s in rec.seen] == list(range(cuts_clip.frames))
    assert all(s[1] == Fraction(s[0], 25) for s in rec.seen)


def test_vfr_pts_are_the_stream_timestamps(vfr_video: Generated) -> None:
    # GIVEN frames at irregular times  WHEN decoded
    rec = Recorder()
    run_analyzers(vfr_video.path, [rec], RunContext())
    # THEN each frame carries its true timestamp
    assert [s[1] for s in rec.seen] == vfr_video.truth


def test_first_pts_not_zero_still_starts_at_zero(tmp_path: Path) -> None:
    # GIVEN a stream whose first pts is 1000 ms
    path = tmp_path / "late.mp4"
    imgs = (np.full((120, 160, 3), 10 * i, np.uint8) for i in range(10))
    write_video(path, imgs, pts=[1000 + 40 * i for i in range(10)], time_base=Fraction(1, 1000))
    rec = Recorder()
    run_analyzers(path, [rec], RunContext())
    # THEN times are relative to the first frame
    assert [s[1] for s in rec.seen] == [Fraction(40 * i, 1000) for i in range(10)]


def test_sampling_by_pts_picks_first_frame_at_each_tick(cuts_clip: Generated) -> None:
    # GIVEN 25 fps  WHEN an analyzer wants 5 fps
    rec = Recorder(FrameNeeds(sample_fps=5))
    run_analyzers(cuts_clip.path, [rec], RunContext())
    # THEN it gets every 5th frame
    assert [s[0] for s in rec.seen] == list(range(0, cuts_clip.frames, 5))


def test_vfr_sampling_takes_first_frame_after_each_tick(vfr_video: Generated) -> None:
    # GIVEN frames at 0,40,80,200,240,400,440,480,600,1000,1040,1080 ms  WHEN sampled at 5 fps
    rec = Recorder(FrameNeeds(sample_fps=5))
    run_analyzers(vfr_video.path, [rec], RunContext())
    # THEN ticks 0,200,400,600,800(->1000),1000 give frames 0,3,5,8,9
    assert [s[0] for s in rec.seen] == [0, 3, 5, 8, 9]


def test_segment_keeps_global_indexes_and_delivers_lookback(cuts_clip: Generated) -> None:
    # GIVEN segment [2 s, 3 s) of a 25 fps clip  WHEN an analyzer wants 2 lookback frames
    rec = Recorder(FrameNeeds(lookback=2))
    run_analyzers(cuts_clip.path, [rec], RunContext(segment=Segment(Fraction(2), Fraction(3))))
    # THEN frames 48, 49 come first flagged as lookback, then exactly 50..74
    assert [(s[0], s[2]) for s in rec.seen[:3]] == [(48, True), (49, True), (50, False)]
    assert [s[0] for s in rec.seen if not s[2]] == list(range(50, 75))


def test_grey_comes_from_luma_and_is_downscaled(cuts_clip: Generated) -> None:
    # GIVEN a red first shot  WHEN grey at max_side 80 is requested
    rec = Recorder(FrameNeeds(max_side=80))
    run_analyzers(cuts_clip.path, [rec], RunContext())
    # THEN the image is 80x60 and its level is red's luma (~ 0.299 * 255 in limited range)
    assert rec.seen[0][3] == (60, 80)
    assert 70 < float(rec.images[0].mean()) < 95


def test_rotation_is_honoured(rotated_video: Generated) -> None:
    # GIVEN 160x120 stored, rotated 90 degrees clockwise  WHEN BGR frames are delivered
    rec = Recorder(FrameNeeds(colour="bgr"))
    run_analyzers(rotated_video.path, [rec], RunContext())
    # THEN they are 120 wide, 160 high, with the red block in the top-right
    img = rec.images[0]
    assert img.shape == (160, 120, 3)
    assert img[5, -5, 2] > 200 and img[5, -5, 0] < 60


def test_image_is_a_one_frame_stream(jpeg_file: Generated) -> None:
    rec = Recorder(FrameNeeds(max_side=100))
    run_analyzers(jpeg_file.path, [rec], RunContext())
    assert [s[:3] for s in rec.seen] == [(0, Fraction(0), False)]
    assert max(rec.seen[0][3]) == 100


def test_failing_analyzer_does_not_stop_the_others(cuts_clip: Generated) -> None:
    # GIVEN one analyzer that raises on frame 3
    good, bad = Recorder(), Exploding(name="exploding")
    # WHEN run together  THEN the error names it, hides its message, and carries the others
    with pytest.raises(AnalyzerFailedError) as info:
        run_analyzers(cuts_clip.path, [bad, good], RunContext())
    assert info.value.failed == ["exploding"]
    assert "secret" not in info.value.message
    assert len(info.value.results["recorder"].frames) == cuts_clip.frames  # type: ignore[attr-defined]


def test_progress_is_monotonic_and_ends_at_one(cuts_clip: Generated) -> None:
    seen: list[float] = []
    run_analyzers(cuts_clip.path, [Recorder()], RunContext(on_progress=seen.append))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 10
