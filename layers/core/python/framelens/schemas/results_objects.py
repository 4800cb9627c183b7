"""Result schemas of the ``objects`` and ``tracking`` analyzers (``tags`` re-exported).

Owns: field names of detections (seed 000 Detection API: ``frame``, ``detections``, ``class``,
``confidence``, ``bbox:[x1,y1,x2,y2]``) and tracks (seed 000 Tracking API has no JSON, so ours).
Does not own: computing them, or tags (``results_tags``; ``Tag``/``TagsResult`` are re-exported
here for older imports).

``class`` is a Python keyword, so the attribute is ``class_`` with alias ``"class"``; every model
here serialises by alias, so ``model_dump()`` and the API both emit ``"class"``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from framelens.schemas.results_base import AnalyzerResult, Label
from framelens.schemas.results_tags import Tag, TagsResult

__all__ = [
    "Detection",
    "FrameDetections",
    "ObjectsResult",
    "Tag",
    "TagsResult",
    "Track",
    "TrackBox",
    "TrackingResult",
]

_BY_ALIAS = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class Detection(BaseModel):
    """One detected object (seed 000 ``detections[]``); ``bbox`` in source pixels."""

    model_config = _BY_ALIAS

    class_: str = Field(alias="class", examples=["person"])
    confidence: float = Field(ge=0.0, le=1.0)
    bbox: list[int] = Field(min_length=4, max_length=4, examples=[[120, 45, 210, 180]])


class FrameDetections(BaseModel):
    """Detections of one sampled frame (seed 000 ``data[]``) plus its media time in seconds."""

    model_config = _BY_ALIAS

    frame: int
    timestamp: float
    detections: list[Detection] = Field(default_factory=list)


class ObjectsResult(AnalyzerResult):
    """``objects``: per sampled frame detections, in time order."""

    model_config = _BY_ALIAS

    analyzer: str = "objects"
    sample_fps: float | None = None
    frames: list[FrameDetections] = Field(default_factory=list)

    def summary(self) -> list[dict[str, Any]]:
        """Count and best confidence per class, most frequent first."""
        counts: dict[str, list[float]] = {}
        for frame in self.frames:
            for det in frame.detections:
                counts.setdefault(det.class_, []).append(det.confidence)
        return [
            {"class": name, "count": len(confs), "max_confidence": max(confs)}
            for name, confs in sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]

    def labels(self) -> list[Label]:
        """One ``object`` per class, most frequent first."""
        return [Label(type="object", label=s["class"]) for s in self.summary()]

    def items(self) -> list[Any]:
        """One item per sampled frame."""
        return list(self.frames)


class TrackBox(BaseModel):
    """A track's box on one frame where detection ran (tracker-matched, source pixels)."""

    frame: int
    timestamp: float
    bbox: list[int] = Field(min_length=4, max_length=4)
    confidence: float


class Track(BaseModel):
    """One tracked object: persistent ``id``, majority class and its boxes on sampled frames."""

    model_config = _BY_ALIAS

    id: int
    class_: str = Field(alias="class")
    first_frame: int
    last_frame: int
    first_timestamp: float
    last_timestamp: float
    frames: list[TrackBox] = Field(default_factory=list)


class TrackingResult(AnalyzerResult):
    """``tracking``: tracks plus the annotated MP4 artifact(s), one per segment."""

    model_config = _BY_ALIAS

    analyzer: str = "tracking"
    detect_fps: float | None = None
    tracks: list[Track] = Field(default_factory=list)
    videos: list[str] = Field(default_factory=list, description="artifact keys of annotated MP4s")

    def summary(self) -> list[dict[str, Any]]:
        """Number of tracks per class."""
        counts: dict[str, int] = {}
        for track in self.tracks:
            counts[track.class_] = counts.get(track.class_, 0) + 1
        return [{"class": c, "tracks": n} for c, n in sorted(counts.items())]

    def labels(self) -> list[Label]:
        """One ``object`` per tracked class."""
        return [Label(type="object", label=s["class"]) for s in self.summary()]

    def items(self) -> list[Any]:
        """One item per track."""
        return list(self.tracks)
