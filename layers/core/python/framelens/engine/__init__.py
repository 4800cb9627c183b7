"""The single-pass frame engine: decode once, feed every analyzer that asked.

Owns: the analyzer interface (``base``), the decode loop, shared frame derivatives and segment
merge. Does not own: what analyzers compute (``framelens.analyzers``).
"""

from __future__ import annotations

from framelens.engine.base import (
    Analyzer,
    AnalyzerResult,
    ArtifactSink,
    Frame,
    FrameNeeds,
    MediaInfo,
    RunContext,
    Segment,
)

__all__ = [
    "Analyzer",
    "AnalyzerResult",
    "ArtifactSink",
    "Frame",
    "FrameNeeds",
    "MediaInfo",
    "RunContext",
    "Segment",
]
