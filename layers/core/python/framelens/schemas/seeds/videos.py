"""Seed 001 bodies: video jobs, their persons and texts, and observed latency.

Owns: ``VideoResult`` and what it holds beyond the analyzers' own models: a raw scene's persons
(``PersonConstellationScene``) and the person shape the seed returns (``SeedPerson``: seed 001's
``person_ids[]`` fields, ``face_thumbnail`` a URL). Does not own: computing persons
(``schemas.seeds.persons``) or the routes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from framelens.schemas.common import TimeSegment
from framelens.schemas.jobs import JobState
from framelens.schemas.results_faces import PersonId
from framelens.schemas.results_ocr import TextSegment
from framelens.schemas.results_video import RawScene, Section

__all__ = [
    "Latency",
    "PersonConstellationScene",
    "SeedPerson",
    "VideoAccepted",
    "VideoResult",
    "VideoStatus",
]


class VideoAccepted(BaseModel):
    """Seed 001's 202 body."""

    job_id: str


class SeedPerson(PersonId):
    """Seed 001 ``person_ids[]``: ``face_embedding`` only when the request asked for it
    (``include_embeddings=true``); ``face_thumbnail`` is the URL of a square JPEG of the face
    (``GET`` it with the same key), not inline base64, so results stay small."""

    face_thumbnail: str | None = Field(
        default=None, examples=["/v1/jobs/0b7c.../artifacts/0/faces/identity_1.jpg"]
    )


class PersonConstellationScene(BaseModel):
    """The persons seen in one raw scene (seed 001 ``person_constellation_scenes[]``)."""

    time_segment: TimeSegment
    person_ids: list[SeedPerson] = Field(default_factory=list)


class VideoResult(BaseModel):
    """Seed 001's ``result`` object."""

    raw_scenes: list[RawScene] = Field(default_factory=list)
    frame_activity_diffs: list[float] = Field(default_factory=list)
    person_constellation_scenes: list[PersonConstellationScene] = Field(default_factory=list)
    ocr_results: list[TextSegment] = Field(default_factory=list)
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
