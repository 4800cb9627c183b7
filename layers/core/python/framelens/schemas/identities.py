"""Gallery identities of a tenant: the stored record and the view an analyzer matches against.

Owns: ``IdentityRecord`` (what ``IdentityStore`` keeps: a named person in a tenant's gallery with
their face embeddings) and ``GalleryView``/``GalleryEntry`` (the vectors a job's ``faces``
analyzer receives through its ``RunContext``). Does not own: storing them
(``framelens.stores``), the rules of creating, renaming and merging (``framelens.jobs.galleries``)
or matching (``framelens.analyzers.faces.matching``).

Embeddings are lists of floats (128 for the default dlib embedder), L2-normalised; the record
names the ``embedder`` that made them, because vectors of different embedders never compare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from framelens.schemas.common import utcnow

__all__ = ["GALLERY_NAME_RE", "GalleryEntry", "GalleryView", "IdentityRecord"]

GALLERY_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


class IdentityRecord(BaseModel):
    """A named person in one of a tenant's galleries.

    Attributes:
        identity_id: stable id (``id_<random>``).
        tenant_id: owner; other tenants never see it.
        gallery: gallery name (``[A-Za-z0-9_.-]``, up to 64).
        name: the person's name as shown in results.
        allowlisted: matches to this identity report ``allowlisted: true`` (seed 001).
        embedder: registry name of the model that made ``embeddings``.
        embeddings: one L2-normalised vector per enrolled face.
        time_created: creation time (UTC).
        time_updated: last change (UTC).
    """

    identity_id: str
    tenant_id: str
    gallery: str
    name: str = Field(min_length=1, max_length=200)
    allowlisted: bool = False
    embedder: str
    embeddings: list[list[float]] = Field(default_factory=list)
    time_created: datetime = Field(default_factory=utcnow)
    time_updated: datetime = Field(default_factory=utcnow)

    @field_validator("gallery")
    @classmethod
    def _gallery_name(cls, value: str) -> str:
        if not GALLERY_NAME_RE.match(value):
            raise ValueError("gallery names use letters, digits, '_', '.', '-' (up to 64)")
        return value


@dataclass(frozen=True, slots=True)
class GalleryEntry:
    """One gallery identity as the matcher sees it.

    Attributes:
        identity_id: the ``IdentityRecord`` id.
        name: its name.
        allowlisted: whether a match reports ``allowlisted: true``.
        vectors: its embeddings (each L2-normalised).
    """

    identity_id: str
    name: str
    allowlisted: bool
    vectors: tuple[tuple[float, ...], ...]


@dataclass(frozen=True, slots=True)
class GalleryView:
    """The identities a job matches faces against (built by ``jobs.galleries.gallery_view``).

    Attributes:
        tenant_id: whose galleries these are.
        gallery: the ``gallery`` option it was built for (``None``: allowlist only).
        allowlist: the ``allowlist`` option it was built for (a gallery whose every identity
            counts as allowlisted), or ``None``.
        embedder: the model that made the vectors; the analyzer refuses a different one.
        entries: the identities.
    """

    tenant_id: str
    gallery: str | None
    allowlist: str | None
    embedder: str
    entries: tuple[GalleryEntry, ...] = field(default_factory=tuple)
