"""What the results viewer reads: timeline lanes of intervals, and overlay boxes by time window.

Owns: ``Timeline`` (``GET /v1/jobs/{id}/timeline``) and ``OverlayWindow``
(``GET /v1/jobs/{id}/overlays``). Boxes are in source pixels, ``[x1, y1, x2, y2]``; times in
seconds. Does not own how they are derived (``jobs.insights``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["Lane", "LaneItem", "OverlayBox", "OverlayFrame", "OverlayWindow", "Timeline"]


class LaneItem(BaseModel):
    """An interval (or an instant: ``start == end``) on one lane."""

    start: float
    end: float
    label: str
    detail: str | None = None
    group: str | None = Field(
        default=None, description="Items of one thing (an identity, a class)."
    )
    ref: str | None = Field(default=None, description="Its id in the result (a trace, a track).")
    thumbnail: str | None = Field(default=None, description="A short-lived link to an image.")
    critical: bool = False


class Lane(BaseModel):
    """One result of the job as intervals: scenes, sections, activity, text, faces, objects..."""

    name: str
    items: list[LaneItem] = Field(default_factory=list)


class Timeline(BaseModel):
    """Everything a job saw in one source, laid out on its time axis."""

    job_id: str
    source: int
    media_type: str | None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    file_id: str | None = Field(default=None, description="The source's stored file, if any.")
    media_url: str | None = Field(
        default=None, description="A short-lived link that streams the source (HTTP Range)."
    )
    lanes: list[Lane] = Field(default_factory=list)


class OverlayBox(BaseModel):
    """One box to draw."""

    kind: Literal["object", "track", "face", "text"]
    label: str
    box: list[int] = Field(min_length=4, max_length=4)
    ref: str | None = None


class OverlayFrame(BaseModel):
    """The boxes of one sampled time."""

    t: float
    boxes: list[OverlayBox]


class OverlayWindow(BaseModel):
    """The boxes of ``[start, end)``, by sampled time (fetch the next window as the video plays)."""

    job_id: str
    source: int
    start: float
    end: float
    frames: list[OverlayFrame] = Field(default_factory=list)
