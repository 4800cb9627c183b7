"""Face traces: one face followed through the sampled frames of one shot.

Owns: ``TraceBuilder`` (online association of each frame's faces to the live traces) and
``Trace`` (a trace's faces, running embedding sum, age/gender readings and representative-face
candidates). Does not own: detecting cuts (the analyzer feeds ``cut()`` from
``analyzers._shots.ShotWatcher``) or clustering traces into identities (``identities``).

Association, per sampled frame, greedy best pair first:
- a face may continue a trace only if its embedding's cosine to the trace's mean embedding is at
  least ``gate`` (default 0.85), so a trace never jumps between two people; on the violinist clip
  a face's cosine to its own shot's mean is >= 0.93, and a different person's <= 0.79;
- and only if it is near the trace's last box: box centres at most 1.5 box sides apart, or
  overlapping (faces move, and 5 fps samples are 0.2 s apart);
- pairs rank by cosine + IoU. A trace not continued for more than ``max_gap`` seconds ends; a
  cut ends every live trace.

Embeddings are dear (see ``observe``), so ``wants_embedding`` skips a face only when its trace is
beyond doubt: exactly one live trace overlaps it with IoU >= 0.5, no other face of the frame is
near that trace or near this face, and that trace was embedded less than ``embed_every``
seconds (default 0.6: every third sample at 5 fps) ago. Every other face (a new face, two faces
close together, a jump, a stale check) is embedded and gated. Mean embeddings average the
embedded faces.

A skipped face joins its trace by overlap *pending*: its age, gender and candidacy are not
counted yet. Overlap alone cannot tell A from B appearing where A was 0.2 s later, so pending
faces are settled by the next embedded face of the place:
- it passes the gate and continues the trace: the pending faces between two faces of the same
  person are that person (counted, not embedded);
- it is near the trace but fails the gate (someone else is there now), or the trace ends (gap,
  cut, finish) with faces pending: the pending faces are embedded from the patches ``observe``
  kept (``reembed``) and gated one by one; from the first that fails, they leave the trace and
  start traces of their own.
So a trace holds another person's face only if that person came and went within one check
interval, at the same place, between two checks that both saw the trace's person (no case on
real footage yet; ``embed_every=0`` embeds every face). Without ``reembed`` nothing is skipped.
A face that starts a trace is always embedded (a trace is gated by its mean from its start).

Representative face (seed 002): among the trace's 10 faces with the largest ``quality_score``
(area x confidence), the sharpest.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from framelens.analyzers.faces.quality import quality_score

if TYPE_CHECKING:
    from collections.abc import Callable
    from fractions import Fraction

    import numpy.typing as npt

    from framelens.analyzers.faces.observe import Box, FaceObservation

__all__ = [
    "DEFAULT_EMBED_EVERY",
    "DEFAULT_GATE",
    "Candidate",
    "FaceSample",
    "Trace",
    "TraceBuilder",
    "box_iou",
    "near",
]

DEFAULT_GATE = 0.85
DEFAULT_EMBED_EVERY = 0.6
_SURE_IOU = 0.5
TOP_CANDIDATES = 10
_NEAR_SIDES = 1.5


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def near(a: Box, b: Box) -> bool:
    """Whether two boxes are close enough to be one face 0.2 s apart (overlap or <= 1.5 sides)."""
    dx = (a[0] + a[2] / 2) - (b[0] + b[2] / 2)
    dy = (a[1] + a[3] / 2) - (b[1] + b[3] / 2)
    return box_iou(a, b) > 0 or math.hypot(dx, dy) <= _NEAR_SIDES * max(a[2], a[3], b[2], b[3])


@dataclass(frozen=True, slots=True)
class FaceSample:
    """One face of a trace: where and when, in source pixels and exact seconds."""

    frame: int
    pts: Fraction
    box: Box
    score: float
    prominence: float
    landmarks: tuple[tuple[float, float], ...] = ()  # YuNet's 5 points, source pixels
    age: float | None = None  # this face's readings (the trace's come from all of them)
    female_probability: float | None = None
    sharpness: float | None = None


@dataclass(frozen=True, slots=True, order=True)
class Candidate:
    """A representative-face candidate; orders by ``quality`` (then earlier frame first)."""

    quality: float
    neg_frame: int
    sharpness: float = field(compare=False)
    sample: FaceSample = field(compare=False)
    crop: npt.NDArray[np.uint8] = field(compare=False, repr=False)


@dataclass(slots=True)
class Trace:
    """A face followed through consecutive samples of one shot.

    ``faces`` ends with the ``pending`` faces (joined by overlap, not embedded, not yet counted
    in ``ages``, ``female_probabilities``, ``max_score`` or ``candidates``).
    """

    faces: list[FaceSample] = field(default_factory=list)
    embedding_sum: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    ages: list[float] = field(default_factory=list)
    female_probabilities: list[float] = field(default_factory=list)
    max_score: float = 0.0
    candidates: list[Candidate] = field(default_factory=list)  # min-heap by quality
    last_embedded: Fraction | None = None
    pending: list[FaceObservation] = field(default_factory=list)

    @property
    def mean_embedding(self) -> npt.NDArray[np.float64]:
        """The L2-normalised mean of the faces' embeddings."""
        norm = float(np.linalg.norm(self.embedding_sum))
        return self.embedding_sum / norm if norm > 0 else self.embedding_sum

    def add(self, sample: FaceSample, obs: FaceObservation) -> None:
        """Append one face: pending when it has no embedding and the trace has one."""
        self.faces.append(sample)
        if obs.embedding is None and self.embedding_sum.size:
            self.pending.append(obs)
            return
        self.confirm_pending(len(self.faces) - 1)
        if obs.embedding is not None:
            vector = obs.embedding.astype(np.float64)
            grown = self.embedding_sum + vector if self.embedding_sum.size else vector
            self.embedding_sum = grown
            self.last_embedded = sample.pts
        self._count(sample, obs)

    def confirm_pending(self, end: int | None = None) -> None:
        """Count the pending faces (those before ``faces[end]``) as this trace's person's."""
        stop = len(self.faces) if end is None else end
        samples = self.faces[stop - len(self.pending) : stop]
        for sample, obs in zip(samples, self.pending, strict=True):
            self._count(sample, obs)
        self.pending = []

    def take_pending(self) -> list[tuple[FaceSample, FaceObservation]]:
        """Remove the pending faces from the trace and return them, oldest first."""
        n = len(self.pending)
        taken = list(zip(self.faces[len(self.faces) - n :], self.pending, strict=True))
        del self.faces[len(self.faces) - n :]
        self.pending = []
        return taken

    def _count(self, sample: FaceSample, obs: FaceObservation) -> None:
        self.ages.append(obs.age)
        self.female_probabilities.append(obs.female_probability)
        self.max_score = max(self.max_score, obs.score)
        cand = Candidate(
            quality_score(sample.box, sample.score), -sample.frame, obs.sharpness, sample, obs.crop
        )
        if len(self.candidates) < TOP_CANDIDATES:
            heapq.heappush(self.candidates, cand)
        elif cand > self.candidates[0]:
            heapq.heapreplace(self.candidates, cand)

    def representative(self) -> Candidate:
        """The sharpest of the top-10 faces by quality (ties: higher quality, earlier frame)."""
        return max(self.candidates, key=lambda c: (c.sharpness, c.quality, c.neg_frame))

    def settle(self) -> None:
        """An ended trace keeps only its representative's crop: the other candidates' crops
        would pile up with every trace of a long video."""
        if len(self.candidates) > 1:
            self.candidates = [self.representative()]


class TraceBuilder:
    """Follows faces over sampled frames; call ``update`` per frame, ``cut`` at shot changes.

    Args:
        gate: minimum cosine between a face and a trace's mean embedding to continue it.
        max_gap: seconds a trace may go unseen before it ends.
        embed_every: seconds after which a trace's face is embedded again even when sure.
        reembed: embeds a face that was observed without an embedding (from its
            ``FacePatch``); without it every face must be embedded.

    Examples:
        >>> builder = TraceBuilder(reembed=lambda o: embed_patch(models, o.patch))  # doctest: +SKIP
        >>> builder.update(frame.index, frame.pts, observations, prominences)  # doctest: +SKIP
        >>> traces = builder.finish()  # doctest: +SKIP
    """

    def __init__(
        self,
        gate: float = DEFAULT_GATE,
        max_gap: float = 1.0,
        embed_every: float = DEFAULT_EMBED_EVERY,
        reembed: Callable[[FaceObservation], npt.NDArray[np.float32]] | None = None,
    ) -> None:
        self.gate = gate
        self.max_gap = max_gap
        self.embed_every = embed_every
        self.reembed = reembed
        self._live: list[Trace] = []
        self._done: list[Trace] = []

    def cut(self) -> None:
        """End every live trace (a shot change)."""
        for trace in self._live:
            self._end(trace)
        self._live = []

    def _end(self, trace: Trace) -> None:
        """Settle an ending trace's pending faces, then keep it (and any split) as done."""
        for ended in (trace, *self._verify(trace)):
            ended.settle()
            self._done.append(ended)

    def _expire(self, pts: Fraction) -> None:
        still: list[Trace] = []
        for trace in self._live:
            if float(pts - trace.faces[-1].pts) > self.max_gap:
                self._end(trace)
            else:
                still.append(trace)
        self._live = still

    def _embedded(self, obs: FaceObservation) -> FaceObservation:
        if obs.embedding is not None or self.reembed is None:
            return obs
        return replace(obs, embedding=self.reembed(obs), patch=None)

    def _verify(self, trace: Trace) -> list[Trace]:
        """Embed ``trace``'s pending faces and gate them; those from the first that fails
        leave it, as new traces. Returns the new traces."""
        if self.reembed is None:
            trace.confirm_pending()
            return []
        split: list[Trace] = []
        current = trace
        for sample, obs in trace.take_pending():
            face = self._embedded(obs)
            assert face.embedding is not None
            cos = float(current.mean_embedding @ face.embedding.astype(np.float64))
            if cos < self.gate:
                current = Trace()
                split.append(current)
            current.add(sample, face)
        return split

    def _doubted(self, trace: Trace, observations: list[FaceObservation]) -> bool:
        """Whether an embedded face of this frame near the trace fails its gate."""
        mean, last = trace.mean_embedding, trace.faces[-1].box
        return any(
            o.embedding is not None
            and near(last, o.box)
            and float(mean @ o.embedding.astype(np.float64)) < self.gate
            for o in observations
        )

    def wants_embedding(self, pts: Fraction, boxes: list[Box]) -> list[bool]:
        """Which of a frame's faces (source-pixel boxes) need an embedding (see module doc)."""
        self._expire(pts)
        if self.reembed is None:
            return [True] * len(boxes)
        out: list[bool] = []
        for i, box in enumerate(boxes):
            sure = [t for t in self._live if box_iou(t.faces[-1].box, box) >= _SURE_IOU]
            around = [t for t in self._live if near(t.faces[-1].box, box)]
            crowded = any(near(box, other) for j, other in enumerate(boxes) if j != i)
            fresh = (
                len(sure) == 1
                and sure[0].last_embedded is not None
                and float(pts - sure[0].last_embedded) < self.embed_every
            )
            out.append(not (fresh and len(around) == 1 and not crowded))
        return out

    def update(
        self,
        frame: int,
        pts: Fraction,
        observations: list[FaceObservation],
        prominences: list[float],
    ) -> None:
        """Continue or start traces with one sampled frame's faces."""
        self._expire(pts)
        for trace in list(self._live):
            if trace.pending and self._doubted(trace, observations):
                self._live += self._verify(trace)
        used_o: set[int] = set()
        for ti, oi in self._pairs(observations):
            used_o.add(oi)
            self._add(self._live[ti], frame, pts, observations[oi], prominences[oi])
        for oi, obs in enumerate(observations):
            if oi not in used_o:
                trace = Trace()
                self._add(trace, frame, pts, self._embedded(obs), prominences[oi])
                self._live.append(trace)

    def _pairs(self, observations: list[FaceObservation]) -> list[tuple[int, int]]:
        """(live trace, observation) pairs, greedy best first (see module doc)."""
        pairs: list[tuple[float, int, int]] = []
        for ti, trace in enumerate(self._live):
            mean = trace.mean_embedding
            last = trace.faces[-1].box
            for oi, obs in enumerate(observations):
                iou = box_iou(last, obs.box)
                if obs.embedding is None:
                    # Not embedded only when this trace is its single sure overlap.
                    if iou >= _SURE_IOU:
                        pairs.append((1.0 + iou, ti, oi))
                    continue
                if not mean.size:
                    continue
                cos = float(mean @ obs.embedding.astype(np.float64))
                if cos >= self.gate and near(last, obs.box):
                    pairs.append((cos + iou, ti, oi))
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        used_t: set[int] = set()
        used_o: set[int] = set()
        out: list[tuple[int, int]] = []
        for _, ti, oi in pairs:
            if ti not in used_t and oi not in used_o:
                used_t.add(ti)
                used_o.add(oi)
                out.append((ti, oi))
        return out

    @staticmethod
    def _add(trace: Trace, frame: int, pts: Fraction, obs: FaceObservation, prom: float) -> None:
        points = tuple((float(x), float(y)) for x, y in obs.landmarks)
        sample = FaceSample(
            frame,
            pts,
            obs.box,
            obs.score,
            prom,
            points,
            obs.age,
            obs.female_probability,
            obs.sharpness,
        )
        trace.add(sample, obs)

    def finish(self) -> list[Trace]:
        """Every trace (pending faces settled), ordered by first frame then position."""
        for trace in self._live:
            for split in self._verify(trace):
                self._done.append(split)
        traces = self._done + self._live
        self._done, self._live = [], []
        return sorted(
            traces, key=lambda t: (t.faces[0].frame, t.faces[0].box[0], t.faces[0].box[1])
        )
