"""``sections``: consecutive scenes grouped into tagged sections (seed 001 ``sections``).

Owns: ``SectionsAnalyzer``, ``sections_from`` (pure) and ``SectionsAnalyzer.compose``. Does not
own: the scene split (it embeds a ``ScenesAnalyzer`` and feeds it the same frames, so running
``scenes`` and ``sections`` together costs one extra cheap diff per frame), scene profiles
(``_section_profiles``) or the activity and tags themselves (those analyzers).

Two stages, because what a section is about comes from other modules:

1. The analyzer (frames in): the scene split, each scene's motion (its ``frame_activity_diffs``
   per frame, the step into the scene excluded) and sharpness samples for
   thumbnails. Alone, sections are runs of scenes with one motion tag: ``static`` (<
   ``static_below``, 0.005), ``low_activity`` (< ``high_from``, 0.03), ``high_activity``;
   ``confidence`` grows with the distance from the nearest threshold (0.5 on it, 1.0 at a factor
   of 4).
2. ``compose`` (results in, at aggregation time, after every module's segments are merged): with
   the job's ``activity`` and/or ``tags`` results, consecutive scenes stay in one section while
   they show the same confident activity (>= ``min_activity``, 0.3), the same framing (close-up,
   medium, wide: from the tags' person boxes) and similar tags (cosine >= ``min_similarity``,
   0.5). ``section_tag`` is the section's activity (only where people are seen: Kinetics
   classes are human activities), else its top tag, else its motion tag, with the framing
   appended ("playing violin, close-up"); ``confidence`` is that label's
   duration-weighted probability. ``is_critical``: a critical tag in the section's scenes or a
   critical label.

Everywhere: ``relative_activity`` is the section's motion over the most active section's (0 when
nothing moves); ``thumbnail_timestamp`` the sharpest frame sampled in the section (variance of
the Laplacian at the working size, ``thumb_fps`` samples per second, 2). Options ``critical``
(list) adds to the tenant's ``critical_tags``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from framelens.analyzers._section_profiles import SceneProfile, blend, profile_scenes, similar
from framelens.analyzers.scenes import ScenesAnalyzer
from framelens.engine.base import Analyzer
from framelens.schemas.common import TimeSegment
from framelens.schemas.parts_video import SectionsPart, SharpnessSample
from framelens.schemas.results_activity import ActivityResult
from framelens.schemas.results_tags import TagsResult
from framelens.schemas.results_video import RawScene, ScenesResult, Section

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from framelens.engine.base import AnalyzerResult, Frame, FrameNeeds, MediaInfo, RunContext

__all__ = ["SectionsAnalyzer", "sections_from"]


def _tag(activity: float, static_below: float, high_from: float) -> tuple[str, float]:
    """Motion tag and confidence for one activity level."""
    if activity < static_below:
        tag, edge = "static", static_below
    elif activity < high_from:
        low_gap = abs(math.log(max(activity, 1e-9) / static_below))
        high_gap = abs(math.log(high_from / max(activity, 1e-9)))
        return "low_activity", min(1.0, 0.5 + min(low_gap, high_gap) / math.log(4) / 2)
    else:
        tag, edge = "high_activity", high_from
    gap = abs(math.log(max(activity, 1e-9) / edge))
    return tag, min(1.0, 0.5 + gap / math.log(4) / 2)


def _motions(scenes: ScenesResult) -> list[float]:
    """Each scene's step diff per frame, the step into the scene (its boundary) excluded.

    A step over ``k`` frames counts as ``k`` (the scenes series skips frames the decoder did
    not need), so the motion is the same whichever frames were measured.
    """
    frames = scenes.sample_frames
    pos = {f: i for i, f in enumerate(frames)}
    out = []
    for scene in scenes.raw_scenes:
        a = max(1, pos.get(scene.start_frame, 0) + 1)
        b = pos.get(scene.end_frame, len(frames))
        span = frames[b - 1] - frames[a - 1] if b > a else 0
        out.append(sum(scenes.frame_activity_diffs[a:b]) / span if span > 0 else 0.0)
    return out


def sections_from(
    scenes: ScenesResult,
    sharpness: list[SharpnessSample],
    options: dict[str, Any],
    critical_tags: Sequence[str] = (),
    activity: ActivityResult | None = None,
    tags: TagsResult | None = None,
) -> list[Section]:
    """Group the scenes of ``scenes`` into sections (pure; see the module docstring).

    Args:
        scenes: the exact scene split with its activity diffs.
        sharpness: sampled sharpness, for thumbnails.
        options: thresholds (``static_below``, ``high_from``, ``min_activity``,
            ``min_similarity``).
        critical_tags: tags and labels that make a section critical (case-insensitive).
        activity: the ``activity`` result of the same media, if the job has one.
        tags: the ``tags`` result of the same media, if the job has one.
    """
    static_below = float(options.get("static_below", 0.005))
    high_from = float(options.get("high_from", 0.03))
    critical = {c.strip().lower() for c in critical_tags}
    motions = _motions(scenes)
    if activity is None and tags is None:
        keys = [_tag(m, static_below, high_from)[0] for m in motions]
        runs = _runs(scenes.raw_scenes, keys, lambda a, b: a == b)
        profiles = [SceneProfile(s.start_seconds, s.end_seconds, m) for s, m in zip(
            scenes.raw_scenes, motions, strict=True)]  # fmt: skip
    else:
        critical |= {c.lower() for c in (tags.critical_tags if tags else [])}
        profiles = profile_scenes(scenes.raw_scenes, motions, activity, tags, critical)
        min_activity = float(options.get("min_activity", 0.3))
        min_similarity = float(options.get("min_similarity", 0.5))
        runs = _runs(
            scenes.raw_scenes,
            profiles,
            lambda a, b: similar(a, b, min_activity=min_activity, min_similarity=min_similarity),
        )
    blended = [blend([profiles[i] for i in run]) for run in runs]
    top = max((b.motion for b in blended), default=0.0)
    sections = []
    for run, mix in zip(runs, blended, strict=True):
        members = [scenes.raw_scenes[i] for i in run]
        label, confidence = _label(mix, options, tags, static_below, high_from)
        sections.append(
            Section(
                section_tag=label,
                time_segments=[
                    TimeSegment(start_seconds=m.start_seconds, end_seconds=m.end_seconds)
                    for m in members
                ],
                thumbnail_timestamp=_thumbnail(members, sharpness),
                confidence=round(confidence, 6),
                is_critical=mix.critical or _is_critical(label, mix, options, critical),
                relative_activity=round(mix.motion / top, 6) if top > 0 else 0.0,
            )
        )
    return sections


def _runs(scenes: Sequence[RawScene], keys: Sequence[Any], same: Any) -> list[list[int]]:
    """Indexes of consecutive scenes whose keys ``same(previous, next)`` says belong together."""
    runs: list[list[int]] = []
    for i in range(len(scenes)):
        if runs and same(keys[i - 1], keys[i]):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _label(
    mix: SceneProfile,
    options: dict[str, Any],
    tags: TagsResult | None,
    static_below: float,
    high_from: float,
) -> tuple[str, float]:
    """``section_tag`` and its confidence: activity, else top tag, else motion (+ framing)."""
    found = mix.top_activity(float(options.get("min_activity", 0.3))) or mix.top_tag(
        tags.min_probability if tags else 0.0
    )
    if found is None:
        return _tag(mix.motion, static_below, high_from)
    name, probability = found
    return (f"{name}, {mix.framing}" if mix.framing else name), probability


def _is_critical(
    label: str, mix: SceneProfile, options: dict[str, Any], critical: set[str]
) -> bool:
    names = {label.lower(), label.split(",")[0].lower()}
    top = mix.top_activity(float(options.get("min_activity", 0.3)))
    if top is not None:
        names.add(top[0].lower())
    return bool(names & critical)


def _thumbnail(members: Sequence[RawScene], sharpness: list[SharpnessSample]) -> float:
    lo, hi = members[0].start_frame, members[-1].end_frame
    inside = [s for s in sharpness if lo <= s.frame < hi]
    best = max(inside, key=lambda s: (s.sharpness, -s.frame), default=None)
    return best.seconds if best else members[0].start_seconds


class SectionsAnalyzer(Analyzer):
    """Tagged sections over the scene split; see the module docstring."""

    name = "sections"
    media_types = frozenset({"video"})
    result_type = SectionsPart
    # Modules whose merged results ``compose`` uses when the job has them.
    uses: ClassVar[tuple[str, ...]] = ("activity", "tags")

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._scenes = ScenesAnalyzer(self.options)
        self._sharp: list[SharpnessSample] = []
        self._prev_pts: Fraction | None = None
        self._critical: tuple[str, ...] = ()

    def needs(self) -> FrameNeeds:
        """Exactly the embedded scenes analyzer's needs (so the engine shares the frames)."""
        return self._scenes.needs()

    def refine(self, frame: Frame) -> bool:
        """As the embedded scenes analyzer (the frames it measures are the ones sections use)."""
        return self._scenes.refine(frame)

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Start the embedded scene split; the critical set is the tenant's plus ``critical``."""
        self._scenes.start(media, ctx)
        self._sharp, self._prev_pts = [], None
        extra = self.options.get("critical") or []
        extra = extra.split(",") if isinstance(extra, str) else list(extra)
        self._critical = tuple(dict.fromkeys([*ctx.critical_tags, *map(str, extra)]))

    def process(self, frame: Frame) -> None:
        """Feed the scene split; measure sharpness on ``thumb_fps`` ticks (by PTS)."""
        import cv2

        self._scenes.process(frame)
        rate = Fraction(self.options.get("thumb_fps", 2)).limit_denominator(1000)
        prev, self._prev_pts = self._prev_pts, frame.pts
        on_tick = prev is None or math.floor(frame.pts * rate) > math.floor(prev * rate)
        if frame.is_lookback or not on_tick or (prev is None and frame.index > 0):
            return
        sharp = float(cv2.Laplacian(frame.image, cv2.CV_32F).var())
        self._sharp.append(
            SharpnessSample(frame=frame.index, seconds=float(frame.pts), sharpness=round(sharp, 3))
        )

    def finish(self) -> SectionsPart:
        """Build the motion-only sections of this segment (``compose`` refines them)."""
        scenes = self._scenes.finish()
        opts = self._public_options()
        return SectionsPart(
            sections=sections_from(scenes, self._sharp, opts, self._critical),
            scenes=scenes,
            sharpness_samples=self._sharp,
            options={**opts, "critical_tags": list(self._critical)},
        )

    def _public_options(self) -> dict[str, Any]:
        return {
            "static_below": float(self.options.get("static_below", 0.005)),
            "high_from": float(self.options.get("high_from", 0.03)),
            "min_activity": float(self.options.get("min_activity", 0.3)),
            "min_similarity": float(self.options.get("min_similarity", 0.5)),
        }

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> SectionsPart:
        """Merge the scene splits, then group again: equals the single pass."""
        typed = [p for p in parts if isinstance(p, SectionsPart)]
        if not typed:
            return SectionsPart()
        scenes = ScenesAnalyzer.merge([p.scenes for p in typed])
        sharp = [s for p in typed for s in p.sharpness_samples]
        options = typed[0].options
        critical = options.get("critical_tags", [])
        return SectionsPart(
            sections=sections_from(scenes, sharp, options, critical),
            scenes=scenes,
            sharpness_samples=sharp,
            options=options,
        )

    @classmethod
    def compose(cls, result: AnalyzerResult, others: Mapping[str, AnalyzerResult]) -> SectionsPart:
        """Rebuild a (merged) part's sections from the job's ``activity`` and ``tags`` results.

        Pure and idempotent; without either result the motion-only sections are kept.

        Args:
            result: this module's merged ``SectionsPart``.
            others: merged results of other modules of the same media, by module name.
        """
        if not isinstance(result, SectionsPart):
            raise TypeError(f"expected a SectionsPart, got {type(result).__name__}")
        activity = others.get("activity")
        tags = others.get("tags")
        activity = activity if isinstance(activity, ActivityResult) else None
        tags = tags if isinstance(tags, TagsResult) else None
        used = [n for n, r in (("activity", activity), ("tags", tags)) if r is not None]
        critical = result.options.get("critical_tags", [])
        sections = sections_from(
            result.scenes, result.sharpness_samples, result.options, critical, activity, tags
        )
        return result.model_copy(update={"sections": sections, "composed_from": used})
