"""Seed 000 "Detection API" and "Tracking API" bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from framelens.schemas.results_objects import Detection
from framelens.schemas.seeds.accepted import Accepted

__all__ = ["DetectionAccepted", "DetectionFrame", "DetectionResponse", "TrackingAccepted"]


class DetectionFrame(BaseModel):
    """One analyzed frame of seed 000's ``data[]``."""

    frame: int
    detections: list[Detection]


class DetectionResponse(BaseModel):
    """Seed 000's body: ``frames`` is the number of analyzed frames listed in ``data``."""

    type: Literal["image", "video"]
    frames: int
    data: list[DetectionFrame]


class DetectionAccepted(Accepted):
    """A long video: poll ``status_url`` (the native job) for its ``objects`` results."""


class TrackingAccepted(Accepted):
    """A long video: the annotated MP4 appears at ``video_url`` once the job finishes."""

    video_url: str
