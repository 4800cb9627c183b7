"""``best_frames``: the top-k sharpest, stillest, cleanest, well-exposed frames (seed 000).

Owns: ``BestFramesAnalyzer``, ``frame_scores`` and the selection rule. Does not own: decoding,
storing the winners' images (the engine's frame exports, ``Analyzer.exports``) or where images
are stored.

Score of a sampled frame (grey, working size; every measure in [0, 1]):
    ``score = 0.45 sharpness + 0.2 (1 - motion) + 0.2 (1 - noise) + 0.15 exposure`` where
    sharpness = ``v / (v + 100)`` with ``v`` the variance of the Laplacian of the 3x3
    median-filtered frame (filtering first keeps sensor noise from counting as detail);
    motion = mean abs difference to the previous and next samples / 255 (x 10, clipped);
    noise = mean abs difference between the frame and its 3x3 median / 255 (x 10, clipped);
    exposure = ``1 - (|mean - 127.5| / 127.5 + fraction of pixels <= 5 or >= 250) / 2``.

Selection (users of a "top 3 frames" API want the best of the whole video, not three
near-duplicates of one shot): winners are chosen greedily by score, at most one per
``min_gap_seconds``; with ``diversity="shot"`` (the default) a first round takes at most one
frame per shot, among candidates scoring at least ``min_relative_score`` (0.5) of the best, and
only then are further frames of an already-chosen shot taken. ``diversity="none"`` ranks by score
alone. Shots come from the causal ``ShotWatcher`` on the sampled frames.

Memory stays flat: only metadata of the ``candidates`` (64) best frames, plus the best
``per_shot`` (2) of every shot, is kept; no pixels. The part model (``BestFramesPart``) carries
candidates and segment edges; ``merge`` re-selects from the union of the segments' candidates.
The winners' full-resolution images are exported once the result is final.

Samples are the first frame at or after each ``1 / sample_fps`` tick among the frames the engine
decodes: reference frames are enough (``FrameNeeds.decode="reference"``), so next to ``scenes``
the run skips non-reference frames; a sample is then at most a few frames after its tick.

Options: ``k`` (3), ``format`` (``jpeg``|``png``), ``sample_fps`` (4), ``max_side`` (480),
``min_gap_seconds`` (1.0), ``candidates`` (64), ``diversity`` (``shot``|``none``),
``min_relative_score`` (0.5), ``per_shot`` (2).
"""

from __future__ import annotations

import heapq
from itertools import pairwise
from typing import TYPE_CHECKING, Any, cast

from framelens.analyzers._shots import ShotWatcher
from framelens.engine.base import Analyzer, FrameExport, FrameNeeds
from framelens.errors import ValidationError
from framelens.schemas.parts_video import BestFrameCandidate, BestFramesPart
from framelens.schemas.results_video import BestFrame, BestFrameScores

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["BestFramesAnalyzer", "frame_scores", "select"]

_HeapItem = tuple[float, int, BestFrameCandidate]


def frame_scores(gray: npt.NDArray[np.uint8], motion: float = 0.0) -> BestFrameScores:
    """Quality measures of one grey frame (see the module docstring for the formula)."""
    import cv2
    import numpy as np

    median = cv2.medianBlur(gray, 3)
    v = float(cv2.Laplacian(median, cv2.CV_32F).var())
    sharp = v / (v + 100.0)
    noise = min(1.0, float(cv2.norm(gray, median, cv2.NORM_L1)) / gray.size / 255.0 * 10.0)
    mean = float(cv2.mean(gray)[0])
    clipped = float(np.count_nonzero((gray <= 5) | (gray >= 250))) / gray.size
    exposure = 1.0 - min(1.0, (abs(mean - 127.5) / 127.5 + clipped) / 2.0)
    return _combine(sharp, motion, noise, exposure)


def _combine(sharp: float, raw_motion: float, noise: float, exposure: float) -> BestFrameScores:
    motion = min(1.0, raw_motion * 10.0)
    score = 0.45 * sharp + 0.2 * (1 - motion) + 0.2 * (1 - noise) + 0.15 * exposure
    return BestFrameScores(
        sharpness=round(sharp, 6),
        motion=round(motion, 6),
        noise=round(noise, 6),
        exposure=round(exposure, 6),
        score=round(score, 6),
    )


def _with_motion(frame: BestFrameCandidate, raw_motion: float) -> BestFrameCandidate:
    """``frame`` rescored with another motion measure (the other parts do not change)."""
    s = frame.scores
    scores = _combine(s.sharpness, raw_motion, s.noise, s.exposure)
    return frame.model_copy(update={"scores": scores})


def _halved(gray: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """``gray`` area-averaged to half size (OpenCV's fast exact-2x path), for the shot watcher,
    whose own downscale to 64 px then reads a quarter of the pixels."""
    import cv2

    h, w = gray.shape[:2]
    if w < 256 or h < 4:
        return gray
    return cast(
        "npt.NDArray[np.uint8]", cv2.resize(gray, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    )


def _mean(*values: float | None) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else 0.0


def select(candidates: Sequence[BestFrameCandidate], options: Mapping[str, Any]) -> list[BestFrame]:
    """The winners among ``candidates`` under ``options`` (see the module docstring)."""
    k = int(options.get("k", 3))
    gap = float(options.get("min_gap_seconds", 1.0))
    ranked = sorted(candidates, key=lambda c: (-c.scores.score, c.frame_index))
    chosen: list[BestFrameCandidate] = []

    def take(pool: Sequence[BestFrameCandidate], new_shots_only: bool) -> None:
        for cand in pool:
            if len(chosen) == k:
                return
            if new_shots_only and any(c.shot == cand.shot for c in chosen):
                continue
            if cand not in chosen and all(abs(cand.timestamp - c.timestamp) >= gap for c in chosen):
                chosen.append(cand)

    if options.get("diversity", "shot") == "shot" and ranked:
        floor = float(options.get("min_relative_score", 0.5)) * ranked[0].scores.score
        take([c for c in ranked if c.scores.score >= floor], new_shots_only=True)
    take(ranked, new_shots_only=False)
    chosen.sort(key=lambda c: (-c.scores.score, c.frame_index))
    return [BestFrame.model_validate(c.model_dump(exclude={"shot"})) for c in chosen]


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The selection options, validated (stored with the part so merge selects the same way)."""
    diversity = str(options.get("diversity", "shot"))
    fmt = str(options.get("format", "jpeg"))
    if diversity not in ("shot", "none"):
        raise ValidationError("option 'diversity' must be 'shot' or 'none'")
    if fmt not in ("jpeg", "png"):
        raise ValidationError("option 'format' must be 'jpeg' or 'png'")
    return {
        "k": int(options.get("k", 3)),
        "min_gap_seconds": float(options.get("min_gap_seconds", 1.0)),
        "format": fmt,
        "diversity": diversity,
        "min_relative_score": float(options.get("min_relative_score", 0.5)),
    }


class BestFramesAnalyzer(Analyzer):
    """Top-k frames by quality, diverse across shots; see the module docstring."""

    name = "best_frames"
    result_type = BestFramesPart

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._selection = _options(self.options)
        self._shots = ShotWatcher()
        self._heap: list[_HeapItem] = []
        self._by_shot: dict[int, list[_HeapItem]] = {}
        self._pending: tuple[Frame, float | None, int] | None = None
        self._prev: npt.NDArray[np.uint8] | None = None
        self._lookback_index: int | None = None
        self._head: tuple[int, float] | None = None
        self._tail: tuple[BestFrameCandidate, float | None] | None = None

    def needs(self) -> FrameNeeds:
        """Grey at ``max_side`` (480), ``sample_fps`` (4) frames per second among the decoded
        frames (reference frames are enough: a sample is the first decoded frame at or after
        each tick); one lookback."""
        fps = self.options.get("sample_fps", 4)
        return FrameNeeds(
            sample_fps=float(fps) if fps else None,
            max_side=int(self.options.get("max_side", 480)),
            colour="gray",
            lookback=1,
            decode="reference",
        )

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Reset state for a new run."""
        self._shots = ShotWatcher()
        self._heap, self._by_shot, self._pending, self._prev = [], {}, None, None
        self._lookback_index, self._head, self._tail = None, None, None

    def _motion(self, img: npt.NDArray[np.uint8]) -> float | None:
        import cv2

        if self._prev is None or self._prev.shape != img.shape:
            return None
        return float(cv2.absdiff(img, self._prev).mean()) / 255.0

    def _push(self, frame: Frame, motion: float, shot: int) -> BestFrameCandidate:
        scores = frame_scores(frame.image, motion)
        cand = BestFrameCandidate(
            frame_index=frame.index, timestamp=float(frame.pts), scores=scores, shot=shot
        )
        item = (scores.score, -frame.index, cand)
        _keep_top(self._heap, item, int(self.options.get("candidates", 64)))
        _keep_top(self._by_shot.setdefault(shot, []), item, int(self.options.get("per_shot", 2)))
        return cand

    def process(self, frame: Frame) -> None:
        """Score the previous sample once its next neighbour is known (motion uses both)."""
        back = self._motion(frame.image)
        self._shots.update(_halved(frame.image))
        if frame.is_lookback:
            self._lookback_index = frame.index
        elif self._lookback_index is not None and self._head is None and back is not None:
            self._head = (self._lookback_index, back)
        if self._pending is not None:
            pending, before, shot = self._pending
            self._push(pending, _mean(before, back), shot)
        self._pending = None if frame.is_lookback else (frame, back, self._shots.shot)
        self._prev = frame.image

    def finish(self) -> BestFramesPart:
        """Score the last sample and pick the winners (their images are exported later)."""
        if self._pending is not None:
            pending, before, shot = self._pending
            self._tail = (self._push(pending, _mean(before, None), shot), before)
            self._pending = None
        kept = {c.frame_index: c for _, _, c in self._heap}
        kept.update({c.frame_index: c for items in self._by_shot.values() for _, _, c in items})
        candidates = [kept[i] for i in sorted(kept)]
        return BestFramesPart(
            frames=select(candidates, self._selection),
            candidates=candidates,
            shots=self._shots.shot + 1,
            options=self._selection,
            tail=self._tail[0] if self._tail else None,
            tail_before=self._tail[1] if self._tail else None,
            head_lookback_index=self._head[0] if self._head else None,
            head_lookback_diff=self._head[1] if self._head else None,
        )

    @classmethod
    def exports(cls, result: AnalyzerResult) -> Sequence[FrameExport]:
        """The full-resolution image of every winner."""
        if not isinstance(result, BestFramesPart):
            return ()
        if result.options.get("format") == "png":
            return [
                FrameExport(f"best_frames/frame_{f.frame_index:07d}.png", f.frame_index, "png")
                for f in result.frames
            ]
        return [
            FrameExport(f"best_frames/frame_{f.frame_index:07d}.jpg", f.frame_index, "jpeg")
            for f in result.frames
        ]

    @classmethod
    def with_exports(cls, result: AnalyzerResult, stored: Mapping[str, str]) -> AnalyzerResult:
        """Each winner names its stored image."""
        assert isinstance(result, BestFramesPart)
        by_index = {e.frame_index: e for e in cls.exports(result)}
        frames = [
            f.model_copy(
                update={
                    "artifact_key": stored.get(by_index[f.frame_index].name),
                    "content_type": by_index[f.frame_index].content_type,
                }
            )
            for f in result.frames
        ]
        return result.model_copy(update={"frames": frames})

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> BestFramesPart:
        """Re-select from all segments' candidates (shots renumbered across segments).

        A segment's local shot 0 is the shot its lookback frame belongs to, i.e. the previous
        segment's last shot, so numbering continues from there.
        """
        typed = [p for p in parts if isinstance(p, BestFramesPart)]
        if not typed:
            return BestFramesPart()
        by_index: dict[int, BestFrameCandidate] = {}
        offset = 0
        for part in typed:
            for c in part.candidates:
                by_index[c.frame_index] = c.model_copy(update={"shot": c.shot + offset})
            offset += part.shots - 1
        for part, following in pairwise(typed):
            # The last sample of a segment gets the motion it has in one pass: the mean of its
            # differences to the previous sample and to the next segment's first sample.
            tail = part.tail
            if tail is not None and following.head_lookback_index == tail.frame_index:
                fixed = _with_motion(
                    by_index[tail.frame_index],
                    _mean(part.tail_before, following.head_lookback_diff),
                )
                by_index[tail.frame_index] = fixed
        candidates = [by_index[i] for i in sorted(by_index)]
        first, last = typed[0], typed[-1]
        return BestFramesPart(
            frames=select(candidates, first.options),
            candidates=candidates,
            shots=offset + 1,
            options=first.options,
            tail=last.tail,
            tail_before=last.tail_before,
            head_lookback_index=first.head_lookback_index,
            head_lookback_diff=first.head_lookback_diff,
        )


def _keep_top(heap: list[_HeapItem], item: _HeapItem, limit: int) -> None:
    """Keep the ``limit`` best items of ``heap`` (a min-heap on score, then earlier frame)."""
    if len(heap) < limit:
        heapq.heappush(heap, item)
    elif item[:2] > heap[0][:2]:
        heapq.heapreplace(heap, item)
