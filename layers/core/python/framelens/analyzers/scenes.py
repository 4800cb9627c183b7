"""``scenes``: shots (hard cuts, fades, dissolves) and frame activity diffs (seed 001).

Owns: ``ScenesAnalyzer`` and ``scenes_from_series``. Does not own: the detectors themselves
(``analyzers._scene_detect``) or decoding (the engine).

Per sampled frame it records the step diff to the previous sampled frame, the mean luma and the
histogram distance to the frame ``window`` samples back; boundaries are found on that series in
``finish`` (and again on the joined series in ``merge``). It asks the engine for ``window``
lookback frames, so the first measurements of a segment see the frames before it, and a cut
exactly on a segment boundary is measured as in the single pass.

Which frames are measured: by default every frame the decoder produces while skipping
non-reference frames (``FrameNeeds.decode="reference"``: with common H.264 settings every second
frame, at about half the decode cost), plus every frame around a possible boundary: when the
step between two decoded frames with skipped frames between them reaches half the cut
``threshold`` (``refine``), the engine decodes the skipped frames and they are measured too, so
a cut is found on its exact frame wherever the encoder put it. ``sample_frames`` lists the
frames measured and ``frame_activity_diffs`` their steps. Where nothing was skipped (intra-only
or B-frame-free video, or a run with an analyzer that needs every frame) every frame is
measured; ``every_frame: true`` asks for that always. With ``sample_fps`` the samples are the
first decoded frame at or after each tick, and there is no refinement.

Options: ``threshold`` (cut diff, default 0.12), ``min_scene_len`` (seconds, 0.5), ``ratio`` (3),
``window`` (samples, 12), ``dark_level`` (0.1), ``dissolve_threshold`` (0.35), ``sample_fps``
(``None`` = every decoded frame), ``every_frame`` (false), ``max_side`` (working size, 96).
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.analyzers._scene_detect import (
    DetectOptions,
    detect,
    hist_distance,
    histogram,
    step_diff,
)
from framelens.engine.base import Analyzer, FrameNeeds
from framelens.schemas.parts_video import ScenesPart
from framelens.schemas.results_video import RawScene, Transition

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["ScenesAnalyzer", "scenes_from_series"]

_DEFAULT_MAX_SIDE = 96
# A step between decoded frames as big as the cut threshold is always refined: over several
# frames a dissolve or a fade can step that much, and measured frame by frame it is no cut. A
# step at least this share of the threshold may hide a cut too (a cut's own step is at least the
# threshold; the longer step around it differs by the motion of the frames skipped) ...
_REFINE_SHARE = 0.5
# ... when it jumps: at least this many times the step between the two decoded frames before (a
# cut is one sudden step; where every step is alike, in a slow fade or steady motion, only the
# first is refined).
_REFINE_JUMP = 2.0
# Lookback beyond ``window``: the refinement choice depends on the two decoded frames before, so
# three more frames make every choice that shapes a segment's first samples as in one pass.
_REFINE_LOOKBACK = 3


def scenes_from_series(series: ScenesPart) -> ScenesPart:
    """Fill ``transitions``/``raw_scenes`` of a result from its sample series (pure)."""
    opts = DetectOptions.from_options(series.options)
    found = detect(
        series.sample_seconds,
        series.frame_activity_diffs,
        series.sample_luma,
        series.sample_long_diffs,
        opts,
    )
    transitions = [
        Transition(
            kind=f.kind,  # type: ignore[arg-type]
            frame=series.sample_frames[f.pos],
            seconds=series.sample_seconds[f.pos],
            strength=round(min(1.0, f.strength), 6),
        )
        for f in found
    ]
    starts = [(series.start_frame, series.start_seconds)] + [
        (t.frame, t.seconds) for t in transitions
    ]
    ends = [(t.frame, t.seconds) for t in transitions] + [(series.end_frame, series.end_seconds)]
    scenes = [
        RawScene(start_seconds=s[1], end_seconds=e[1], start_frame=s[0], end_frame=e[0])
        for s, e in zip(starts, ends, strict=True)
        if e[0] > s[0]
    ]
    return series.model_copy(update={"transitions": transitions, "raw_scenes": scenes})


class ScenesAnalyzer(Analyzer):
    """Shot boundaries and per-step activity; see the module docstring for the method."""

    name = "scenes"
    media_types = frozenset({"video"})
    result_type = ScenesPart

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._opts = DetectOptions.from_options(self.options)
        self._reset()

    def _reset(self) -> None:
        self._prev: npt.NDArray[np.uint8] | None = None
        self._hists: deque[npt.NDArray[np.float32]] = deque(maxlen=self._opts.window + 1)
        self._frames: list[int] = []
        self._seconds: list[float] = []
        self._diffs: list[float] = []
        self._luma: list[float] = []
        self._long: list[float] = []
        self._start: tuple[int, Fraction] | None = None
        self._last: tuple[int, Fraction] | None = None
        self._end: Fraction | None = None
        self._frame_time = Fraction(0)
        # (frame index, its histogram, the previous image, the step from it), from ``refine``.
        self._peek: tuple[int, Any, Any, float] | None = None
        # The step between the last two frames of the main pass (refined frames not counted),
        # and, while refined frames arrive, the main-pass frame they precede with its step.
        self._coarse: float | None = None
        self._refining: tuple[int, float] | None = None

    def needs(self) -> FrameNeeds:
        """Grey at a small working size, every decoded frame unless ``sample_fps``, reference
        frames enough unless ``every_frame``; ``window`` lookback."""
        fps = self.options.get("sample_fps")
        return FrameNeeds(
            sample_fps=float(fps) if fps else None,
            max_side=int(self.options.get("max_side", _DEFAULT_MAX_SIDE)),
            colour="gray",
            lookback=self._opts.window + _REFINE_LOOKBACK,
            decode="all" if self.options.get("every_frame") else "reference",
        )

    def refine(self, frame: Frame) -> bool:
        """The skipped frames before ``frame`` are wanted when the step to it may hide a cut: a
        step as big as a cut, or half as big and twice the step before it."""
        if self._prev is None or self.options.get("sample_fps"):
            return False
        diff = self._step(frame)[1]
        threshold = self._opts.threshold
        wanted = diff >= threshold or (
            diff >= _REFINE_SHARE * threshold and diff >= _REFINE_JUMP * (self._coarse or 0.0)
        )
        self._refining = (frame.index, diff) if wanted else None
        return wanted

    def _step(self, frame: Frame) -> tuple[npt.NDArray[np.float32], float]:
        """``frame``'s histogram and its step from the previous frame (kept for ``process``)."""
        peek = self._peek
        if peek is not None and peek[0] == frame.index and peek[2] is self._prev:
            return peek[1], peek[3]
        hist = histogram(frame.image)
        diff = 0.0
        if self._prev is not None:
            diff = step_diff(self._prev, frame.image, self._hists[-1], hist)
        self._peek = (frame.index, hist, self._prev, diff)
        return hist, diff

    def _track_coarse(self, index: int, diff: float) -> None:
        """Keep the main pass's last step: refined frames come before the frame they precede."""
        if self._refining is None:
            self._coarse = diff
        elif index >= self._refining[0]:
            self._coarse, self._refining = self._refining[1], None

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Remember where the segment ends (for the last scene's end time)."""
        self._reset()
        self._end = ctx.segment.end if ctx.segment.end is not None else media.duration
        self._frame_time = 1 / media.fps if media.fps else Fraction(0)

    def process(self, frame: Frame) -> None:
        """Measure the step from the previous sampled frame; lookback frames only prime state."""
        import cv2

        img = frame.image
        hist, diff = self._step(frame)
        self._hists.append(hist)
        self._prev = img
        self._track_coarse(frame.index, diff)
        if frame.is_lookback:
            return
        long_diff = 0.0
        if len(self._hists) > self._opts.window:
            long_diff = hist_distance(self._hists[0], hist)
        if self._start is None:
            self._start = (frame.index, frame.pts)
        self._last = (frame.index, frame.pts)
        self._frames.append(frame.index)
        self._seconds.append(float(frame.pts))
        self._diffs.append(round(min(1.0, diff), 6))
        self._luma.append(round(float(cv2.mean(img)[0]) / 255.0, 6))
        self._long.append(round(long_diff, 6))

    def finish(self) -> ScenesPart:
        """Detect boundaries on this segment's series and build the scenes."""
        start_frame, start_s = self._start or (0, Fraction(0))
        last_frame, last_s = self._last or (start_frame - 1, start_s)
        end = self._end if self._end is not None else last_s + self._frame_time
        series = ScenesPart(
            frame_activity_diffs=self._diffs,
            sample_frames=self._frames,
            sample_seconds=self._seconds,
            sample_luma=self._luma,
            sample_long_diffs=self._long,
            start_frame=start_frame,
            end_frame=last_frame + 1,
            start_seconds=float(start_s),
            end_seconds=float(max(end, start_s)),
            options=_detect_options(self._opts),
        )
        return scenes_from_series(series)

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> ScenesPart:
        """Join the segments' series (time order) and detect again: equals the single pass."""
        typed = [p for p in parts if isinstance(p, ScenesPart) and p.sample_frames]
        if not typed:
            return ScenesPart()
        joined = ScenesPart(
            frame_activity_diffs=[d for p in typed for d in p.frame_activity_diffs],
            sample_frames=[d for p in typed for d in p.sample_frames],
            sample_seconds=[d for p in typed for d in p.sample_seconds],
            sample_luma=[d for p in typed for d in p.sample_luma],
            sample_long_diffs=[d for p in typed for d in p.sample_long_diffs],
            start_frame=typed[0].start_frame,
            end_frame=typed[-1].end_frame,
            start_seconds=typed[0].start_seconds,
            end_seconds=typed[-1].end_seconds,
            options=typed[0].options,
        )
        return scenes_from_series(joined)


def _detect_options(opts: DetectOptions) -> dict[str, Any]:
    return {k: getattr(opts, k) for k in opts.__slots__}
