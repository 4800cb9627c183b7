"""``activity``: human activity recognition per shot and for the whole video (seed 000).

Owns: sampling for MoViNet, resetting its stream state at every shot cut, the per-shot top-k,
the duration-weighted dominant activity and the segment merge. Does not own: the model's
tensors (``_movinet``), the cut test (``_shot_spans``/``_shots``) or the Kinetics-400 table
(``kinetics``).

Method: MoViNet-A0 streaming (Kinetics-600) sees ``fps`` frames per second from the shared
decode pass; each shot is its own clip (state reset at the cut), and its activities are the
model's probabilities after the shot's last sample. The video's ranking is the mean of the shots'
top-k probabilities weighted by shot duration; ``activity`` is its first entry and
``activity_kinetics400`` the first entry that has a Kinetics-400 name.

Merge: a shot cut by a segment boundary was seen as two clips, and the model's head cannot be
re-run at merge time. The two halves' full probability vectors (kept in the part only for shots
on an open segment edge) are averaged, weighted by their sample counts. Shots that do not cross
a boundary, the cut decisions at the boundary (``LOOKBACK`` samples prime the cut test) and
everything derived from them equal the single pass exactly.

Options:
    ``fps`` (default 5, 1-15): frames per second fed to the model, as it was trained for.
    ``top_k`` (default 5, 1-20): activities kept per shot and in the video ranking.
    ``model`` (default ``movinet_a0_stream_kinetics600_int8``): an ``activity`` model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from framelens.analyzers._shot_spans import LOOKBACK, ShotFollower, join_shots
from framelens.analyzers.detections import option_float
from framelens.analyzers.kinetics import kinetics400_name
from framelens.engine.base import Analyzer, FrameNeeds
from framelens.errors import ModelError, ValidationError
from framelens.models.manifests import BUILTIN_MANIFESTS, load_labels
from framelens.schemas.results_activity import ActivityLabel, ActivityResult, ShotActivity

if TYPE_CHECKING:
    from collections.abc import Sequence
    from fractions import Fraction

    import numpy.typing as npt

    from framelens.analyzers._movinet import MovinetStream
    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["DEFAULT_ACTIVITY_MODEL", "ActivityAnalyzer", "summarize"]

DEFAULT_ACTIVITY_MODEL = "movinet_a0_stream_kinetics600_int8"
# The size objects and tags ask for: the engine converts each frame to BGR once per size.
_MAX_SIDE = 416


@dataclass(slots=True)
class _Shot:
    """The shot being fed to the model."""

    start: Fraction
    start_frame: int
    continues: bool
    last_frame: int = 0
    last_pts: Fraction | None = None
    samples: int = 0
    probs: npt.NDArray[np.float64] | None = None


class ActivityAnalyzer(Analyzer):
    """Activities per shot (MoViNet state reset at each cut) and the dominant one.

    Examples:
        >>> ctx = RunContext(models=registry)
        >>> out = run_analyzers(path, [ActivityAnalyzer()], ctx)  # doctest: +SKIP
        >>> out["activity"].activity.label  # doctest: +SKIP
        'playing violin'
    """

    name: ClassVar[str] = "activity"
    media_types = frozenset({"video"})
    runtime = "gpu"  # ARCHITECTURE: activity runs on the GPU worker in the cloud

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.fps = option_float(self.options, "fps", 5.0, 1.0, 15.0) or 5.0
        self.top_k = int(option_float(self.options, "top_k", 5, 1, 20) or 5)
        self.model: str = str(self.options.get("model") or DEFAULT_ACTIVITY_MODEL)
        self._follower = ShotFollower()
        self._stream: MovinetStream | None = None
        self._labels: tuple[str, ...] = ()
        self._done: list[ShotActivity] = []
        self._open: _Shot | None = None

    def needs(self) -> FrameNeeds:
        """BGR at ``fps``; ``LOOKBACK`` samples before a segment for the cut test."""
        return FrameNeeds(sample_fps=self.fps, max_side=_MAX_SIDE, colour="bgr", lookback=LOOKBACK)

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Open the model's session and reset every shot.

        Raises:
            ModelError: no registry, or the model is not an activity model.
            ModelMissingError: the model file is not installed.
        """
        from framelens.analyzers._movinet import MovinetStream

        if ctx.models is None:
            raise ModelError("no model registry in the run context (RunContext.models)")
        manifest = ctx.models.manifest(self.model)
        if manifest.task != "activity":
            raise ValidationError(f"model {self.model!r} is a {manifest.task} model")
        self._stream = MovinetStream(ctx.models.session(self.model))
        self._labels = ctx.models.labels(self.model)
        self._follower.start(media, ctx)
        self._done, self._open = [], None

    def process(self, frame: Frame) -> None:
        """Feed one sampled frame; a cut closes the shot and resets the stream."""
        assert self._stream is not None, "start() must run first"
        new = self._follower.update(frame)
        if new is None:
            return
        if new:
            if self._open is not None:
                self._close(self._open, frame.pts, open_end=False)
            first = self._open is None and not self._done
            self._open = _Shot(frame.pts, frame.index, first and self._follower.first_continues)
            self._stream.reset()
        shot = self._open
        assert shot is not None
        shot.probs = self._stream.step(frame.image)
        shot.last_frame, shot.last_pts = frame.index, frame.pts
        shot.samples += 1

    def finish(self) -> ActivityResult:
        """Close the last shot and rank the activities."""
        if self._open is not None:
            end = self._follower.end if self._follower.end is not None else self._open.last_pts
            self._close(self._open, end or self._open.start, open_end=self._follower.open_end)
            self._open = None
        return summarize(self.model, self.fps, self.top_k, self._done)

    def _close(self, shot: _Shot, end: Fraction, *, open_end: bool) -> None:
        assert shot.probs is not None
        keep_state = shot.continues or open_end
        self._done.append(
            ShotActivity(
                start_seconds=float(shot.start),
                end_seconds=float(max(end, shot.start)),
                start_frame=shot.start_frame,
                last_frame=shot.last_frame,
                samples=shot.samples,
                continues_previous=shot.continues,
                open_end=open_end,
                activities=_top(shot.probs, self._labels, self.top_k),
                probabilities=[round(float(p), 7) for p in shot.probs] if keep_state else None,
            )
        )

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> ActivityResult:
        """Join the segments' shots (see the module docstring) and rank again."""
        typed = [p for p in parts if isinstance(p, ActivityResult)]
        if not typed:
            return ActivityResult()
        model = next((p.model for p in typed if p.model), None) or DEFAULT_ACTIVITY_MODEL
        top_k = typed[0].top_k
        labels = _builtin_labels(model)

        def combine(a: ShotActivity, b: ShotActivity) -> dict[str, Any]:
            probs = (_dense(a, labels) * a.samples + _dense(b, labels) * b.samples) / max(
                1, a.samples + b.samples
            )
            return {
                "activities": _top(probs, labels, top_k),
                "probabilities": [round(float(p), 7) for p in probs],
            }

        def settle(shot: ShotActivity) -> ShotActivity:
            if shot.has_open_edge or shot.probabilities is None:
                return shot
            return shot.model_copy(update={"probabilities": None})

        shots = join_shots([p.shots for p in typed], combine, settle)
        return summarize(model, typed[0].sample_fps, top_k, shots)


def summarize(
    model: str | None, fps: float | None, top_k: int, shots: list[ShotActivity]
) -> ActivityResult:
    """The result for ``shots``: the duration-weighted ranking and the dominant activity (pure).

    A shot's weight is its duration; shots of zero duration (a one-frame video) weigh by samples.
    """
    weights = [max(0.0, s.end_seconds - s.start_seconds) for s in shots]
    if not any(weights):
        weights = [float(s.samples) for s in shots]
    total = sum(weights)
    scores: dict[str, float] = {}
    k400: dict[str, str | None] = {}
    for shot, weight in zip(shots, weights, strict=True):
        for act in shot.activities:
            scores[act.label] = scores.get(act.label, 0.0) + weight * act.probability
            k400[act.label] = act.kinetics400
    ranked = [
        ActivityLabel(label=label, kinetics400=k400[label], probability=round(score / total, 4))
        for label, score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return ActivityResult(
        model=model,
        sample_fps=fps,
        top_k=top_k,
        activity=ranked[0] if ranked else None,
        activity_kinetics400=next((a.kinetics400 for a in ranked if a.kinetics400), None),
        activities=ranked[:top_k],
        shots=shots,
    )


def _top(probs: npt.NDArray[np.float64], labels: Sequence[str], k: int) -> list[ActivityLabel]:
    if len(labels) != len(probs):
        raise ModelError(f"the model has {len(probs)} classes but {len(labels)} labels")
    order = np.argsort(-probs, kind="stable")[:k]
    return [
        ActivityLabel(
            label=labels[i],
            kinetics400=kinetics400_name(labels[i]),
            probability=round(float(probs[i]), 4),
        )
        for i in order
    ]


def _dense(shot: ShotActivity, labels: Sequence[str]) -> npt.NDArray[np.float64]:
    """A shot's full probability vector (its top-k alone when the part kept no state)."""
    if shot.probabilities is not None and len(shot.probabilities) == len(labels):
        return np.asarray(shot.probabilities, dtype=np.float64)
    dense = np.zeros(len(labels), dtype=np.float64)
    index = {name: i for i, name in enumerate(labels)}
    for act in shot.activities:
        dense[index[act.label]] = act.probability
    return dense


@lru_cache(maxsize=4)
def _builtin_labels(model: str) -> tuple[str, ...]:
    manifest = BUILTIN_MANIFESTS.get(model)
    if manifest is None:
        raise ModelError(f"cannot merge activity parts of unknown model {model!r}")
    return load_labels(manifest)
