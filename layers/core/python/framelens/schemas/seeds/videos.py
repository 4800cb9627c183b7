"""Seed 001 bodies: video jobs and observed latency."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from framelens.schemas.jobs import JobState
from framelens.schemas.results_video import RawScene, Section

__all__ = ["Latency", "VideoAccepted", "VideoResult", "VideoStatus"]


class VideoAccepted(BaseModel):
    """Seed 001's 202 body."""

    job_id: str


class VideoResult(BaseModel):
    """Seed 001's ``result`` object."""

    raw_scenes: list[RawScene] = Field(default_factory=list)
    frame_activity_diffs: list[float] = Field(default_factory=list)
    person_constellation_scenes: list[dict[str, Any]] = Field(default_factory=list)
    ocr_results: list[dict[str, Any]] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)


class VideoStatus(BaseModel):
    """``GET /v1/videos/{job_id}``: ``result`` is set once ``status`` is ``finished``."""

    job_id: str
    status: JobState
    progress: float
    result: VideoResult | None = None
    error: dict[str, Any] | None = None


class Latency(BaseModel):
    """Seed 001: ``video`` is per second of video time, ``image`` per image."""

    media_type: Literal["video", "image"]
    unit: str
    latency_ms_per_unit: float | None
