"""A job's face identities as a viewer shows them: live gallery names, and the user's links.

Owns: ``JobIdentity``, ``JobIdentityList`` (``GET /v1/jobs/{id}/identities``) and
``JobIdentityLink`` (``PUT /v1/jobs/{id}/identities/{identity_uuid}``). Does not own how names
are resolved (``jobs.job_identities``) or the gallery shapes (``schemas.galleries``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from framelens.schemas.results_faces import Gender

__all__ = ["JobIdentity", "JobIdentityLink", "JobIdentityList"]


class JobIdentity(BaseModel):
    """One person of a job's file, named from the gallery as it is now."""

    identity_uuid: str = Field(description="The identity's id within the job's faces result.")
    source: int
    name: str | None = Field(
        description="The gallery identity's current name; null when unknown (never matched, "
        "not linked, or its gallery identity was deleted)."
    )
    gallery_identity_id: str | None = Field(
        default=None, description="The gallery identity it is (a match, or a user's link)."
    )
    gallery: str | None = None
    linked: bool = Field(
        default=False, description="True when a user linked it (PUT), not the job's matching."
    )
    face_count: int
    first_timestamp: float
    last_timestamp: float
    age: float = Field(description="An estimate (median over its faces).")
    gender: Gender
    thumbnail: str | None = Field(
        default=None, description="A short-lived link to its representative face (JPEG)."
    )


class JobIdentityList(BaseModel):
    """The identities of one source of a finished job (empty without a faces result)."""

    job_id: str
    source: int
    data: list[JobIdentity]


class JobIdentityLink(BaseModel):
    """Say which gallery identity a job's identity is (``null``: forget the link)."""

    gallery_identity_id: str | None = Field(max_length=100, examples=["id_0123456789abcdef0123"])
