"""``best_frames``: the top-k sharpest, stillest, cleanest, well-exposed frames (seed 000).

Owns: ``BestFramesAnalyzer`` and ``frame_scores``. Does not own: decoding or the full-resolution
re-read (``framelens.media.frames.extract_frame``) or where images are stored (``ctx.artifacts``).

Score of a sampled frame (grey, working size; every measure in [0, 1]):
    ``score = 0.45 sharpness + 0.2 (1 - motion) + 0.2 (1 - noise) + 0.15 exposure`` where
    sharpness = ``v / (v + 100)`` with ``v`` the variance of the Laplacian of the 3x3
    median-filtered frame (filtering first keeps sensor noise from counting as detail);
    motion = mean abs difference to the previous and next samples / 255 (x 10, clipped);
    noise = mean abs difference between the frame and its 3x3 median / 255 (x 10, clipped);
    exposure = ``1 - (|mean - 127.5| / 127.5 + fraction of pixels <= 5 or >= 250) / 2``.

Memory stays flat: only the ``candidates`` best scored frames (metadata only, no pixels) are
kept. Diversity: winners are chosen greedily by score, at most one per ``min_gap_seconds``.
At ``finish`` the winners are re-read at full resolution from ``ctx.source_path`` with
``extract_frame`` (no pixels were held during the pass) and stored via ``ctx.artifacts``.
``merge`` re-selects from the union of the segments' candidates; a merged winner that was not a
winner of its segment has no ``artifact_key`` until ``materialize`` stores it.

Options: ``k`` (3), ``format`` (``jpeg``|``png``), ``sample_fps`` (4), ``max_side`` (480),
``min_gap_seconds`` (1.0), ``candidates`` (64).
"""

from __future__ import annotations

import heapq
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framelens.engine.base import Analyzer, FrameNeeds
from framelens.schemas.results_video import BestFrame, BestFrameScores, BestFramesResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["BestFramesAnalyzer", "frame_scores"]

_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}


def frame_scores(gray: npt.NDArray[np.uint8], motion: float = 0.0) -> BestFrameScores:
    """Quality measures of one grey frame (see the module docstring for the formula)."""
    import cv2
    import numpy as np

    median = cv2.medianBlur(gray, 3)
    v = float(cv2.Laplacian(median, cv2.CV_32F).var())
    sharp = v / (v + 100.0)
    noise = min(1.0, float(cv2.absdiff(gray, median).mean()) / 255.0 * 10.0)
    mean = float(gray.mean())
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


def _with_motion(frame: BestFrame, raw_motion: float) -> BestFrame:
    """``frame`` rescored with another motion measure (the other parts do not change)."""
    s = frame.scores
    scores = _combine(s.sharpness, raw_motion, s.noise, s.exposure)
    return frame.model_copy(update={"scores": scores})


def _mean(*values: float | None) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else 0.0


def _select(candidates: list[BestFrame], k: int, gap: float) -> list[BestFrame]:
    ranked = sorted(candidates, key=lambda c: (-c.scores.score, c.frame_index))
    chosen: list[BestFrame] = []
    for cand in ranked:
        if len(chosen) == k:
            break
        if all(abs(cand.timestamp - c.timestamp) >= gap for c in chosen):
            chosen.append(cand)
    return chosen


class BestFramesAnalyzer(Analyzer):
    """Top-k frames by quality score; see the module docstring."""

    name = "best_frames"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._ctx: RunContext | None = None
        self._heap: list[tuple[float, int, BestFrame]] = []
        self._pending: tuple[Frame, float | None] | None = None
        self._prev: npt.NDArray[np.uint8] | None = None
        self._lookback_index: int | None = None
        self._head: tuple[int, float] | None = None
        self._tail: tuple[BestFrame, float | None] | None = None

    def needs(self) -> FrameNeeds:
        """Grey at ``max_side`` (480), ``sample_fps`` (4) frames per second; one lookback."""
        fps = self.options.get("sample_fps", 4)
        return FrameNeeds(
            sample_fps=float(fps) if fps else None,
            max_side=int(self.options.get("max_side", 480)),
            colour="gray",
            lookback=1,
        )

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Reset state for a new run."""
        self._ctx = ctx
        self._heap, self._pending, self._prev = [], None, None
        self._lookback_index, self._head, self._tail = None, None, None

    def _motion(self, img: npt.NDArray[np.uint8]) -> float | None:
        import cv2

        if self._prev is None or self._prev.shape != img.shape:
            return None
        return float(cv2.absdiff(img, self._prev).mean()) / 255.0

    def _push(self, frame: Frame, motion: float) -> BestFrame:
        scores = frame_scores(frame.image, motion)
        cand = BestFrame(frame_index=frame.index, timestamp=float(frame.pts), scores=scores)
        item = (scores.score, -frame.index, cand)
        limit = int(self.options.get("candidates", 64))
        if len(self._heap) < limit:
            heapq.heappush(self._heap, item)
        elif item[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, item)
        return cand

    def process(self, frame: Frame) -> None:
        """Score the previous sample once its next neighbour is known (motion uses both)."""
        back = self._motion(frame.image)
        if frame.is_lookback:
            self._lookback_index = frame.index
        elif self._lookback_index is not None and self._head is None and back is not None:
            self._head = (self._lookback_index, back)
        if self._pending is not None:
            pending, before = self._pending
            self._push(pending, _mean(before, back))
        self._pending = None if frame.is_lookback else (frame, back)
        self._prev = frame.image

    def finish(self) -> BestFramesResult:
        """Score the last sample, pick the winners and store their images."""
        if self._pending is not None:
            pending, before = self._pending
            self._tail = (self._push(pending, _mean(before, None)), before)
            self._pending = None
        candidates = sorted((c for _, _, c in self._heap), key=lambda c: c.frame_index)
        result = BestFramesResult(
            frames=_select(candidates, self._k, self._gap),
            candidates=candidates,
            options=self._public_options(),
            tail=self._tail[0] if self._tail else None,
            tail_before=self._tail[1] if self._tail else None,
            head_lookback_index=self._head[0] if self._head else None,
            head_lookback_diff=self._head[1] if self._head else None,
        )
        if self._ctx is not None:
            result = self.materialize(result, self._ctx)
        return result

    @property
    def _k(self) -> int:
        return int(self.options.get("k", 3))

    @property
    def _gap(self) -> float:
        return float(self.options.get("min_gap_seconds", 1.0))

    def _public_options(self) -> dict[str, Any]:
        return {
            "k": self._k,
            "min_gap_seconds": self._gap,
            "format": str(self.options.get("format", "jpeg")),
        }

    @classmethod
    def materialize(cls, result: BestFramesResult, ctx: RunContext) -> BestFramesResult:
        """Store the full-resolution image of every winner that has no ``artifact_key`` yet."""
        if ctx.artifacts is None or ctx.source_path is None:
            return result
        from framelens.media.frames import extract_frame

        fmt = result.options.get("format", "jpeg")
        ext = "jpg" if fmt == "jpeg" else "png"
        frames = []
        for f in result.frames:
            if f.artifact_key is None:
                data = extract_frame(Path(ctx.source_path), f.frame_index, fmt=fmt)
                key = ctx.artifacts.put(
                    f"best_frames/frame_{f.frame_index:07d}.{ext}", data, _CONTENT_TYPES[fmt]
                )
                f = f.model_copy(update={"artifact_key": key, "content_type": _CONTENT_TYPES[fmt]})
            frames.append(f)
        return result.model_copy(update={"frames": frames})

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> BestFramesResult:
        """Re-select from all segments' candidates, keeping stored keys of known winners."""
        typed = [p for p in parts if isinstance(p, BestFramesResult)]
        if not typed:
            return BestFramesResult()
        options = typed[0].options
        keys = {f.frame_index: f for p in typed for f in p.frames if f.artifact_key}
        by_index = {c.frame_index: c for p in typed for c in p.candidates}
        for part, following in pairwise(typed):
            # The last sample of a segment gets the motion it has in one pass: the mean of its
            # differences to the previous sample and to the next segment's first sample.
            tail = part.tail
            if tail is not None and following.head_lookback_index == tail.frame_index:
                fixed = _with_motion(tail, _mean(part.tail_before, following.head_lookback_diff))
                by_index[tail.frame_index] = fixed
                if tail.frame_index in keys:
                    keys[tail.frame_index] = keys[tail.frame_index].model_copy(
                        update={"scores": fixed.scores}
                    )
        candidates = sorted(by_index.values(), key=lambda c: c.frame_index)
        chosen = _select(
            candidates, int(options.get("k", 3)), float(options.get("min_gap_seconds", 1.0))
        )
        frames = [keys.get(c.frame_index, c) for c in chosen]
        last, first = typed[-1], typed[0]
        return BestFramesResult(
            frames=frames,
            candidates=candidates,
            options=options,
            tail=last.tail,
            tail_before=last.tail_before,
            head_lookback_index=first.head_lookback_index,
            head_lookback_diff=first.head_lookback_diff,
        )
