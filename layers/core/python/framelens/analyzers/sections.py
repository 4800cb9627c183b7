"""``sections``: scenes grouped into tagged sections (seed 001 ``sections``).

Owns: ``SectionsAnalyzer`` and ``sections_from``. Does not own: the scene split (it embeds a
``ScenesAnalyzer`` and feeds it the same frames, so running ``scenes`` and ``sections`` together
costs one extra cheap diff per frame, and the working-size grey frame is shared by the engine).

Method: each scene's activity is the mean of its ``frame_activity_diffs`` (the step into the
scene excluded). Tags come from activity levels: ``static`` (< ``static_below``, 0.005),
``low_activity`` (< ``high_from``, 0.03) and ``high_activity``; later analyzers (objects,
activities) will contribute tags the same way. Consecutive scenes with one tag form a section
whose ``time_segments`` are its scenes. ``relative_activity`` is the section's activity over the
most active section's (0 when nothing moves); ``confidence`` grows with the distance of the
activity from the nearest tag threshold (0.5 on a threshold, 1.0 at a factor of 4 away);
``thumbnail_timestamp`` is the sharpest frame sampled in the section (variance of the
Laplacian at the working size, ``thumb_fps`` samples per second, 2); ``is_critical`` when the
tag is in ``ctx.critical_tags``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.analyzers.scenes import ScenesAnalyzer
from framelens.engine.base import Analyzer
from framelens.schemas.common import TimeSegment
from framelens.schemas.parts_video import SectionsPart, SharpnessSample
from framelens.schemas.results_video import ScenesResult, Section

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.engine.base import AnalyzerResult, Frame, FrameNeeds, MediaInfo, RunContext

__all__ = ["SectionsAnalyzer", "sections_from"]


def _tag(activity: float, static_below: float, high_from: float) -> tuple[str, float]:
    """Tag and confidence for one activity level."""
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


def sections_from(
    scenes: ScenesResult,
    sharpness: list[SharpnessSample],
    options: dict[str, Any],
    critical_tags: Sequence[str] = (),
) -> list[Section]:
    """Group the scenes of ``scenes`` into sections (pure; see the module docstring)."""
    static_below = float(options.get("static_below", 0.005))
    high_from = float(options.get("high_from", 0.03))
    pos = {f: i for i, f in enumerate(scenes.sample_frames)}
    runs: list[tuple[str, list[Any], list[float]]] = []
    for scene in scenes.raw_scenes:
        a = pos.get(scene.start_frame, 0) + 1  # the step into the scene is the boundary
        b = pos.get(scene.end_frame, len(scenes.sample_frames))
        diffs = scenes.frame_activity_diffs[a:b]
        activity = sum(diffs) / len(diffs) if diffs else 0.0
        tag, _ = _tag(activity, static_below, high_from)
        if runs and runs[-1][0] == tag:
            runs[-1][1].append(scene)
            runs[-1][2].extend(diffs)
        else:
            runs.append((tag, [scene], list(diffs)))
    levels = [sum(d) / len(d) if d else 0.0 for _, _, d in runs]
    top = max(levels, default=0.0)
    sections = []
    for (tag, members, _), level in zip(runs, levels, strict=True):
        lo, hi = members[0].start_frame, members[-1].end_frame
        inside = [s for s in sharpness if lo <= s.frame < hi]
        best = max(inside, key=lambda s: (s.sharpness, -s.frame), default=None)
        sections.append(
            Section(
                section_tag=tag,
                time_segments=[
                    TimeSegment(start_seconds=m.start_seconds, end_seconds=m.end_seconds)
                    for m in members
                ],
                thumbnail_timestamp=best.seconds if best else members[0].start_seconds,
                confidence=round(_tag(level, static_below, high_from)[1], 6),
                is_critical=tag in critical_tags,
                relative_activity=round(level / top, 6) if top > 0 else 0.0,
            )
        )
    return sections


class SectionsAnalyzer(Analyzer):
    """Tagged sections over the scene split; see the module docstring."""

    name = "sections"
    media_types = frozenset({"video"})
    result_type = SectionsPart

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._scenes = ScenesAnalyzer(self.options)
        self._sharp: list[SharpnessSample] = []
        self._prev_pts: Fraction | None = None
        self._critical: tuple[str, ...] = ()

    def needs(self) -> FrameNeeds:
        """Exactly the embedded scenes analyzer's needs (so the engine shares the frames)."""
        return self._scenes.needs()

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Start the embedded scene split."""
        self._scenes.start(media, ctx)
        self._sharp, self._prev_pts = [], None
        self._critical = tuple(ctx.critical_tags)

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
        """Build the sections of this segment."""
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
