"""Shapes shared by every part of the API: the error body, time segments, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["ErrorBody", "ErrorEnvelope", "TimeSegment", "utcnow"]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (every stored timestamp uses this)."""
    return datetime.now(UTC)


class ErrorBody(BaseModel):
    """What went wrong and how to fix it; ``code`` is stable, ``message`` is for people."""

    code: str = Field(examples=["unsupported_media_type"])
    message: str = Field(examples=["The file is not a supported image or video."])
    details: dict[str, Any] | None = None


class ErrorEnvelope(BaseModel):
    """The one error shape of the whole API: ``{"error": {...}, "detail": "..."}``.

    ``detail`` repeats the message because FastAPI-style clients of the seed APIs read it.
    """

    error: ErrorBody
    detail: str


class TimeSegment(BaseModel):
    """A half-open span of media time in seconds (seed 001 ``time_segment``)."""

    start_seconds: float
    end_seconds: float
