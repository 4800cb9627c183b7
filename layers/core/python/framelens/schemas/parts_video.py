"""Part models of the video-structure analyzers: a public result plus what merging needs.

Owns: the merge state of ``scenes``, ``best_frames`` and ``sections`` — per-frame measurement
series, best-frame candidates, segment edges. An analyzer's ``finish`` and ``merge`` return these;
the pipeline stores them only between its analyze and aggregate stages (``work/``), and
``public()`` drops the state before a result reaches a client. Does not own how they are computed
(``framelens.analyzers``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from framelens.schemas.results_base import AnalyzerResult, public_view
from framelens.schemas.results_video import (
    BestFrame,
    BestFramesResult,
    ScenesResult,
    SectionsResult,
)

__all__ = ["BestFrameCandidate", "BestFramesPart", "ScenesPart", "SectionsPart", "SharpnessSample"]


class ScenesPart(ScenesResult):
    """Scenes with the series they were detected on, so joined segments detect as one pass."""

    sample_luma: list[float] = Field(
        default_factory=list, description="Mean grey level of each sampled frame / 255."
    )
    sample_long_diffs: list[float] = Field(
        default_factory=list,
        description="Histogram distance to the sampled frame `window` steps back (dissolves).",
    )

    def public(self) -> AnalyzerResult:
        """The scenes without the series."""
        return public_view(self, ScenesResult)


class BestFrameCandidate(BestFrame):
    """A scored frame kept for selection, with the shot it belongs to (diversity)."""

    shot: int = 0


class BestFramesPart(BestFramesResult):
    """Best frames with the candidates and segment edges merging needs."""

    candidates: list[BestFrameCandidate] = Field(default_factory=list)
    shots: int = Field(default=1, description="Shots seen in this part (for merge offsets).")
    # The last sample of a segment gets, in one pass, the motion to its next neighbour: the
    # first sample of the following segment.
    tail: BestFrameCandidate | None = None
    tail_before: float | None = None
    head_lookback_index: int | None = None
    head_lookback_diff: float | None = None

    def public(self) -> AnalyzerResult:
        """The selected frames only."""
        return public_view(self, BestFramesResult)


class SharpnessSample(BaseModel):
    """Sharpness of one sampled frame, used to choose section thumbnails."""

    frame: int
    seconds: float
    sharpness: float


class SectionsPart(SectionsResult):
    """Sections with the scene series and sharpness samples they were built from."""

    scenes: ScenesPart = Field(default_factory=ScenesPart)
    sharpness_samples: list[SharpnessSample] = Field(default_factory=list)

    def public(self) -> AnalyzerResult:
        """The sections only."""
        return public_view(self, SectionsResult)
