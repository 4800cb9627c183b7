"""The gallery identity routes' shapes, and the enrolment order an enrolment job carries.

Owns: what ``/v1/galleries`` and ``/v1/identities`` accept and return (``IdentityPublic``,
``IdentityList``, ``GalleryList``, ``IdentityUpdate``, ``IdentityMerge``, ``EnrolmentJson``,
``EnrolmentAccepted``) and ``EnrolmentOrder`` (what an enrolment job must do once its faces are
found; stored in the job's ``extra``). Does not own: the stored record (``schemas.identities``),
the rules (``jobs.galleries``, ``jobs.enrolment``) or the routes (``api.routers.identities``).

Biometric data never leaves through these shapes: an identity says how many faces it holds,
never their embeddings.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, model_validator

from framelens.schemas.jobs import JobState

if TYPE_CHECKING:
    from framelens.schemas.identities import IdentityRecord
    from framelens.schemas.jobs import JobRecord

__all__ = [
    "ENROLMENT_EXTRA",
    "EnrolmentAccepted",
    "EnrolmentJson",
    "EnrolmentOrder",
    "GalleryList",
    "GallerySummary",
    "IdentityList",
    "IdentityMerge",
    "IdentityPublic",
    "IdentityUpdate",
]

ENROLMENT_EXTRA = "enrolment"  # the key of ``JobRecord.extra`` that holds the order


class IdentityPublic(BaseModel):
    """A named person in one of the caller's galleries (never their embeddings)."""

    id: str = Field(description="Identity id (`id_...`); `gallery_identity_id` in faces results.")
    gallery: str
    name: str
    allowlisted: bool = Field(description="Matches to it report `allowlisted: true` (seed 001).")
    faces: int = Field(description="How many enrolled faces (embeddings) it holds.")
    embedder: str = Field(description="The model its embeddings come from.")
    time_created: datetime
    time_updated: datetime

    @classmethod
    def from_record(cls, record: IdentityRecord) -> IdentityPublic:
        """The public view of a stored identity."""
        return cls(
            id=record.identity_id,
            gallery=record.gallery,
            name=record.name,
            allowlisted=record.allowlisted,
            faces=len(record.embeddings),
            embedder=record.embedder,
            time_created=record.time_created,
            time_updated=record.time_updated,
        )


class IdentityList(BaseModel):
    """The identities of one gallery, oldest first."""

    gallery: str
    data: list[IdentityPublic]


class GallerySummary(BaseModel):
    """One of the caller's galleries."""

    gallery: str
    identities: int
    allowlisted: int = Field(description="How many of its identities are allowlisted.")


class GalleryList(BaseModel):
    """The caller's galleries, by name. A gallery exists while it holds an identity."""

    data: list[GallerySummary]


class IdentityUpdate(BaseModel):
    """``PATCH /v1/identities/{id}``: rename and/or (un)allowlist."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    allowlisted: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> IdentityUpdate:
        if self.name is None and self.allowlisted is None:
            raise ValueError("send `name` and/or `allowlisted`")
        return self


class IdentityMerge(BaseModel):
    """``POST /v1/identities/{id}/merge``: the other identity's faces move here; it is deleted."""

    other_id: str = Field(min_length=1, max_length=100, examples=["id_0123456789abcdef0123"])


class EnrolmentJson(BaseModel):
    """The JSON form of an enrolment: images already uploaded with ``POST /v1/media``.

    ``name`` is needed to create an identity and ignored when adding faces to one.
    """

    name: str | None = Field(default=None, min_length=1, max_length=200)
    allowlisted: bool = False
    images: list[str] = Field(
        min_length=1, examples=[["storage://f_0123456789abcdef"]], description="File ids."
    )


class EnrolmentAccepted(BaseModel):
    """202 from an enrolment that runs as a job (AWS): poll the job; then the identity exists."""

    job_id: str
    state: JobState
    status_url: str = Field(description="`GET` it until `state` is `finished` or `failed`.")
    identity_id: str = Field(description="The identity the job creates or adds faces to.")
    identity_url: str

    @classmethod
    def from_job(cls, job: JobRecord, identity_id: str) -> EnrolmentAccepted:
        """The answer for a dispatched enrolment job."""
        return cls(
            job_id=job.id,
            state=job.state,
            status_url=f"/v1/jobs/{job.id}",
            identity_id=identity_id,
            identity_url=f"/v1/identities/{identity_id}",
        )


class EnrolmentOrder(BaseModel):
    """What an enrolment job does with its faces: one face per source image, then
    ``create`` the named identity (with the id given here) or ``add`` the faces to it.

    ``labels`` name the sources for error messages (upload file names or file ids), in order;
    ``uploaded`` lists the file ids stored from the request's own uploads, deleted when the job
    ends (files the client stored with ``POST /v1/media`` are the client's to keep).
    """

    action: Literal["create", "add"]
    identity_id: str
    gallery: str
    name: str | None = None
    allowlisted: bool = False
    labels: list[str] = Field(default_factory=list)
    uploaded: list[str] = Field(default_factory=list)

    def to_extra(self) -> dict[str, Any]:
        """The job ``extra`` that carries this order."""
        return {ENROLMENT_EXTRA: self.model_dump(mode="json")}

    def label(self, index: int, fallback: str) -> str:
        """The client's name of source ``index``."""
        return self.labels[index] if 0 <= index < len(self.labels) else fallback
