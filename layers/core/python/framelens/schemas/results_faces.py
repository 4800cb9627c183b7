"""Result schemas of the ``faces`` analyzer: faces per sampled frame, traces, identities.

Owns: the public result (``FacesResult``) and the part model the analyzer's segments carry to
``merge`` (``FacesPart``, which adds ``FacesPartState``). Does not own: computing them
(``framelens.analyzers.faces``) or how the seed routes wrap them (seed 001
``person_constellation_scenes``/``person_ids``, seed 002 traces and identities: ``framelens.api``).

Field names follow the seeds where they exist: seed 002 ``trace_id``, ``face_count``,
``frame_number``, ``timestamp_secs``, ``bbox {x, y, width, height}``, ``confidence``,
``quality_score`` (area x confidence), ``blur_score`` (lower = sharper), ``identity_uuid``; seed 001
``age``, ``gender`` (``"female"``, ``"male"`` or ``"unidentified"``), ``face_embedding``,
``face_thumbnail``, ``allowlisted``, ``relative_prominence``.

``age`` is an estimate (the model card's mean error is 7 years). Embeddings are 128 floats,
L2-normalised, present only when the job asked for them (``include_embeddings``): biometric data
is returned only on request.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from framelens.schemas.results_base import AnalyzerResult, Label

__all__ = [
    "CoOccurrence",
    "FaceBox",
    "FaceIdentity",
    "FaceTrace",
    "FacesPart",
    "FacesPartState",
    "FacesResult",
    "Gender",
    "PersonId",
    "PixelBox",
    "RepresentativeFace",
    "TraceState",
]

Gender = Literal["female", "male", "unidentified"]


class PixelBox(BaseModel):
    """A box in source pixels (seed 002 ``bbox``)."""

    x: int
    y: int
    width: int
    height: int


class FaceBox(BaseModel):
    """One face of a trace on one sampled frame, with its own readings.

    The thumbnail and the embedding are per trace (``representative.face_thumbnail``,
    ``face_embedding``): a JPEG per sampled face would be 5 a second per face, and faces between
    a trace's embedding checks are not embedded (``analyzers.faces.traces``).
    """

    frame_number: int
    timestamp_secs: float
    bbox: PixelBox
    confidence: float = Field(ge=0.0, le=1.0, description="YuNet detection score.")
    prominence: float = Field(
        ge=0.0,
        le=1.0,
        description="Face area / frame area x centrality (1 at the centre, 0 at a corner).",
    )
    landmarks: list[list[int]] | None = Field(
        default=None,
        description="YuNet's 5 points [x, y] in source pixels: right eye, left eye, nose tip, "
        "right and left mouth corner.",
    )
    age: float | None = Field(default=None, description="This face's age estimate (years).")
    gender: Gender | None = Field(
        default=None, description="This face's gender reading (same margin as the trace's)."
    )
    female_probability: float | None = Field(default=None, ge=0.0, le=1.0)
    sharpness: float | None = Field(
        default=None, description="Variance of the Laplacian of the 64-px grey face."
    )


class RepresentativeFace(BaseModel):
    """The face that represents a trace or an identity (seed 002 ``representative``).

    Chosen the seed 002 way: the 10 faces with the largest ``quality_score`` (area x
    confidence), then the sharpest of them.
    """

    trace_id: int
    frame_number: int
    timestamp_secs: float
    bbox: PixelBox
    confidence: float
    quality_score: float = Field(description="Box area in source pixels x detection score.")
    blur_score: float = Field(description="100 / (1 + sqrt(sharpness)); lower = sharper.")
    sharpness: float = Field(description="Variance of the Laplacian of the 64-px grey face.")
    face_thumbnail: str | None = Field(
        default=None, description="Artifact key of a square JPEG of the face (seed 001)."
    )


class FaceTrace(BaseModel):
    """One face followed through consecutive sampled frames of one shot."""

    trace_id: int
    identity_uuid: str
    first_frame: int
    last_frame: int
    first_timestamp: float
    last_timestamp: float
    face_count: int
    faces: list[FaceBox] = Field(default_factory=list)
    representative: RepresentativeFace
    age: float = Field(description="Median estimated age of the trace's faces (an estimate).")
    gender: Gender
    female_probability: float = Field(ge=0.0, le=1.0)
    face_embedding: list[float] | None = Field(
        default=None, description="Mean embedding, L2-normalised; only with include_embeddings."
    )


class FaceIdentity(BaseModel):
    """One person within the file: traces clustered by embedding, maybe matched to a gallery."""

    identity_uuid: str
    name: str | None = Field(default=None, description="Gallery name, or None when unknown.")
    gallery_identity_id: str | None = None
    similarity: float | None = Field(
        default=None, description="Cosine similarity to the matched gallery identity."
    )
    allowlisted: bool = False
    trace_ids: list[int] = Field(default_factory=list)
    face_count: int
    first_frame: int
    last_frame: int
    first_timestamp: float
    last_timestamp: float
    representative: RepresentativeFace
    age: float
    gender: Gender
    female_probability: float = Field(ge=0.0, le=1.0)
    face_embedding: list[float] | None = None


class PersonId(BaseModel):
    """A person in an image or a scene (seed 001 ``person_ids[]``) plus who it is."""

    age: float
    gender: Gender
    face_embedding: list[float] | None = None
    face_thumbnail: str | None = None
    allowlisted: bool = False
    relative_prominence: float = Field(ge=0.0, le=1.0)
    identity_uuid: str
    name: str | None = None
    bbox: PixelBox | None = Field(default=None, description="The most prominent face's box.")


class CoOccurrence(BaseModel):
    """Two identities on the same sampled frames (seed 002 ``co-occur-with``).

    ``total_cooccurrence_frames`` estimates video frames: each sampled frame with both present
    counts for the frames up to the next sample (media fps / sample fps); images count 1.
    """

    identity_a: str
    identity_b: str
    frame_number: int = Field(description="First sampled frame with both present.")
    timestamp_secs: float
    total_cooccurrence_frames: int
    sampled_frames: int = Field(description="Sampled frames with both present.")
    last_frame_number: int
    last_timestamp_secs: float


class FacesResult(AnalyzerResult):
    """``faces``: traces and identities of one file (an image is a one-frame video)."""

    analyzer: str = "faces"
    detector: str | None = None
    sample_fps: float | None = None
    media_fps: float | None = None
    frame_width: int = 0
    frame_height: int = 0
    gallery: str | None = None
    traces: list[FaceTrace] = Field(default_factory=list)
    identities: list[FaceIdentity] = Field(default_factory=list)

    def summary(self) -> list[dict[str, Any]]:
        """One item per identity: seed 003's ``{"type": "face", "label": name}``."""
        return [
            {"type": "face", "label": i.name or "unknown", "identity_uuid": i.identity_uuid}
            for i in self.identities
        ]

    def labels(self) -> list[Label]:
        """One ``face`` per identity: its gallery name, or ``unknown``."""
        return [Label(type="face", label=i.name or "unknown") for i in self.identities]

    def items(self) -> list[Any]:
        """One item per identity."""
        return list(self.identities)


class TraceState(BaseModel):
    """What ``merge`` needs of a trace beyond its public fields."""

    trace_id: int
    embedding_sum: list[float] = Field(description="Sum of the faces' L2-normalised embeddings.")
    ages: list[float] = Field(default_factory=list)
    female_probabilities: list[float] = Field(default_factory=list)
    max_score: float
    gallery_scores: dict[str, float] = Field(
        default_factory=dict,
        description="Gallery identity id -> cosine to the trace mean, for the identities at or "
        "above the match threshold - 0.1 (at most 64); one not kept is never filled in.",
    )


class FacesPartState(BaseModel):
    """Merge state of one segment: never part of a public result."""

    job_id: str = ""
    first_sample: int | None = Field(default=None, description="First in-segment sample.")
    last_sample: int | None = None
    cut_at_start: bool = Field(
        default=False, description="A shot change between the lookback frame and first sample."
    )
    options: dict[str, Any] = Field(default_factory=dict)
    gallery_names: dict[str, str] = Field(default_factory=dict)
    gallery_allowlisted: list[str] = Field(default_factory=list)
    traces: list[TraceState] = Field(default_factory=list)


class FacesPart(FacesResult):
    """What ``FacesAnalyzer.finish`` and ``merge`` return: the result plus its merge state."""

    state: FacesPartState = Field(default_factory=FacesPartState)

    def public(self) -> FacesResult:
        """The public result: the same fields without the merge state."""
        return FacesResult.model_validate(self.model_dump(exclude={"state"}))
