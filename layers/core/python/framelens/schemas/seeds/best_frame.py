"""Seed 000 "Best Frame Selection" bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["BestFrameStatus", "FrameOut"]


class FrameOut(BaseModel):
    """One selected frame: where to download it and where it is in the video."""

    rank: int
    frame_position: int
    timestamp: float
    url: str | None
    scores: dict[str, float]


class BestFrameStatus(BaseModel):
    """The status URL's body; ``frames`` is filled once ``status`` is ``completed``."""

    job_id: str
    status: str
    progress: float
    frames: list[FrameOut] = Field(default_factory=list)
    error: dict[str, Any] | None = None
