"""Seed 002 bodies: a trace's representative face, two identities' co-occurrence, a pending render.

Field names as seed 002's "Video Streaming & Frame Extraction" document spells them
(``success``, ``file_uuid``, ``trace_id``, ``face_count``, ``representative{frame_number,
timestamp_secs, bbox{x,y,width,height}, confidence, quality_score, blur_score}``,
``identity_a{identity_uuid,name,trace_id}``, ``first_cooccurrence{...}``). ``RenderPending`` is
ours: the seed renders within the request, which API Gateway's 29 s do not allow in AWS.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from framelens.schemas.results_faces import PixelBox

__all__ = [
    "CoOccurrenceFace",
    "CoOccurrenceIdentity",
    "CoOccurrenceResponse",
    "FirstCoOccurrence",
    "RenderPending",
    "TraceRepresentative",
    "TraceRepresentativeResponse",
]


class TraceRepresentative(BaseModel):
    """Seed 002 ``representative``: the face chosen for a trace."""

    frame_number: int = Field(description="Frame of the selected face (primary coordinate).")
    timestamp_secs: float = Field(description="Seconds from the first frame (exact frame time).")
    bbox: PixelBox
    confidence: float = Field(description="Detection confidence (0.0-1.0).")
    quality_score: float = Field(description="Pre-selection score: area x confidence.")
    blur_score: float = Field(description="FFmpeg blurdetect of the face (lower = sharper).")


class TraceRepresentativeResponse(BaseModel):
    """``GET /api/v1/file/{file_uuid}/trace/{trace_id}/representative-face``."""

    success: bool = True
    file_uuid: str
    trace_id: int
    face_count: int = Field(description="Face detections in this trace (sampled frames).")
    representative: TraceRepresentative


class CoOccurrenceIdentity(BaseModel):
    """Seed 002 ``identity_a`` / ``identity_b``: who, and the trace shown for them."""

    identity_uuid: str
    name: str | None = Field(description="Gallery name; null for someone not in the gallery.")
    trace_id: int


class CoOccurrenceFace(BaseModel):
    """Seed 002 ``representative_face_a`` / ``_b``."""

    frame_number: int
    bbox: PixelBox
    confidence: float
    thumbnail_url: str = Field(description="The trace's 320x320 face JPEG (this API's path).")


class FirstCoOccurrence(BaseModel):
    """Seed 002 ``first_cooccurrence``."""

    frame_number: int = Field(description="First (sampled) frame where both appear.")
    timestamp_secs: float
    total_cooccurrence_frames: int = Field(
        description="Frames with both present (each sampled frame counts for the frames up to "
        "the next sample)."
    )
    representative_face_a: CoOccurrenceFace
    representative_face_b: CoOccurrenceFace


class CoOccurrenceResponse(BaseModel):
    """``GET /api/v1/file/{file_uuid}/identities/{a}/co-occur-with/{b}``."""

    success: bool = True
    file_uuid: str
    identity_a: CoOccurrenceIdentity
    identity_b: CoOccurrenceIdentity
    first_cooccurrence: FirstCoOccurrence


class RenderPending(BaseModel):
    """202: a worker is rendering (or indexing the file for) this answer; ask again later."""

    status: Literal["rendering"] = "rendering"
    retry_after: int = Field(description="Seconds to wait before asking again (Retry-After).")
    message: str
