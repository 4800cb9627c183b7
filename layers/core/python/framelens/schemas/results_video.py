"""Typed results of the video-structure analyzers: scenes, best frames, sections.

Owns: the result models and their field names, taken from seed 001 (``raw_scenes``,
``frame_activity_diffs``, ``sections``) and seed 000 (best frames). Does not own: how they are
computed (``framelens.analyzers``) or how the seed routes wrap them (``framelens.api``).

Times are floats here and only here (STYLE 2.4): analyzers work in exact ``Fraction`` seconds.
What merging segments needs (the per-frame measurement series, best-frame candidates, segment
edges) is not here: it lives in the part models of ``schemas.parts_video``, which subclass these
and are stored only between the analyze and aggregate stages.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from framelens.schemas.common import TimeSegment
from framelens.schemas.results_base import AnalyzerResult, Label

__all__ = [
    "BestFrame",
    "BestFrameScores",
    "BestFramesResult",
    "RawScene",
    "ScenesResult",
    "Section",
    "SectionsResult",
    "Transition",
]


class RawScene(BaseModel):
    """One shot between two transitions (seed 001 ``raw_scenes[]``; frames added by us)."""

    start_seconds: float
    end_seconds: float
    start_frame: int = Field(description="Index of the scene's first frame.")
    end_frame: int = Field(description="Index of the first frame after the scene (exclusive).")


class Transition(BaseModel):
    """A detected scene boundary: the new scene starts at ``frame``."""

    kind: Literal["cut", "fade", "dissolve"]
    frame: int
    seconds: float
    strength: float = Field(description="The measure that triggered it, in [0, 1].")


class ScenesResult(AnalyzerResult):
    """Shots and the per-step change measure (seed 001).

    ``sample_frames``/``sample_seconds`` are public on purpose: they are the time axis of
    ``frame_activity_diffs`` (which frame and second each value belongs to), not merge state;
    what only merging needs lives in ``parts_video.ScenesPart``.
    """

    analyzer: str = "scenes"
    raw_scenes: list[RawScene] = Field(default_factory=list)
    frame_activity_diffs: list[float] = Field(
        default_factory=list,
        description=(
            "Change from the previous sampled frame to each sampled frame, in [0, 1]: the mean "
            "of (a) the mean absolute difference of the downscaled grey frames / 255 and (b) the "
            "total-variation distance of their 32-bin grey histograms. 0 for the first frame of "
            "the video. Aligned with sample_frames."
        ),
    )
    transitions: list[Transition] = Field(default_factory=list)
    sample_frames: list[int] = Field(
        default_factory=list, description="Frame index of each entry of frame_activity_diffs."
    )
    sample_seconds: list[float] = Field(
        default_factory=list, description="Time of each entry of frame_activity_diffs."
    )
    start_frame: int = 0
    end_frame: int = 0
    start_seconds: float = 0.0
    end_seconds: float = 0.0
    options: dict[str, Any] = Field(default_factory=dict)

    def summary(self) -> list[dict[str, Any]]:
        """Number of scenes and transitions by kind."""
        kinds = [t.kind for t in self.transitions]
        return [{"scenes": len(self.raw_scenes)}] + [
            {"transition": k, "count": kinds.count(k)} for k in sorted(set(kinds))
        ]

    def labels(self) -> list[Label]:
        """One ``shot`` per scene, labelled ``"<start>-<end>"`` in seconds."""
        return [
            Label(type="shot", label=f"{s.start_seconds:.3f}-{s.end_seconds:.3f}")
            for s in self.raw_scenes
        ]

    def items(self) -> list[Any]:
        """The scenes."""
        return list(self.raw_scenes)


class BestFrameScores(BaseModel):
    """Per-frame quality measures, each in [0, 1] (higher is better except where noted)."""

    sharpness: float = Field(
        description="Variance of the Laplacian of the median-filtered frame, "
        "mapped by v / (v + 100)."
    )
    motion: float = Field(
        description="Mean abs difference to neighbour samples / 255 (lower is better)."
    )
    noise: float = Field(
        description="Mean abs difference to a 3x3 median-filtered copy / 255 "
        "x 10, clipped (lower is better)."
    )
    exposure: float = Field(description="1 - (|mean - 127.5| / 127.5 + clipped fraction) / 2.")
    score: float = Field(
        description="0.45 sharpness + 0.2 (1-motion) + 0.2 (1-noise) + 0.15 exposure."
    )


class BestFrame(BaseModel):
    """One selected frame (seed 000)."""

    frame_index: int
    timestamp: float
    scores: BestFrameScores
    artifact_key: str | None = Field(default=None, description="Blob key of the stored image.")
    content_type: str | None = None


class BestFramesResult(AnalyzerResult):
    """The top-k frames by quality, diverse across shots and in time (seed 000)."""

    analyzer: str = "best_frames"
    frames: list[BestFrame] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)

    def summary(self) -> list[dict[str, Any]]:
        """Index and time of each selected frame."""
        return [{"frame_index": f.frame_index, "timestamp": f.timestamp} for f in self.frames]

    def labels(self) -> list[Label]:
        """One ``frame`` per selected frame, labelled by its time in seconds."""
        return [Label(type="frame", label=f"{f.timestamp:.3f}") for f in self.frames]

    def items(self) -> list[Any]:
        """The selected frames."""
        return list(self.frames)


class Section(BaseModel):
    """A run of similar scenes with one tag (seed 001 ``sections[]``; names as in the seed)."""

    section_tag: str
    time_segments: list[TimeSegment]
    thumbnail_timestamp: float
    confidence: float
    is_critical: bool
    relative_activity: float


class SectionsResult(AnalyzerResult):
    """Sections built from the scene split (seed 001)."""

    analyzer: str = "sections"
    sections: list[Section] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    composed_from: list[str] = Field(
        default_factory=list,
        description="Other modules' results the sections were built from (activity, tags); "
        "empty when they come from scene motion alone.",
    )

    def summary(self) -> list[dict[str, Any]]:
        """Tag and span of each section."""
        return [
            {"section_tag": s.section_tag, "segments": len(s.time_segments)} for s in self.sections
        ]

    def labels(self) -> list[Label]:
        """One ``section`` per section tag."""
        return [Label(type="section", label=s.section_tag) for s in self.sections]

    def items(self) -> list[Any]:
        """The sections."""
        return list(self.sections)
