"""Seed 001 persons and faces options, shared by the video and image-batch routes.

Owns: the request options that reach the ``faces`` module from a seed 001 request
(``include_embeddings``, ``allowlist``) and ``seed_persons``, which turns a span's ``PersonId``s
into the seed's shape (thumbnail blob keys become artifact URLs). Does not own: who is in a span
(``schemas.seeds.persons``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query

from framelens.api.seeds._flow import artifact_url
from framelens.errors import ValidationError
from framelens.schemas.identities import GALLERY_NAME_RE
from framelens.schemas.seeds.persons import persons_in_span
from framelens.schemas.seeds.videos import SeedPerson

if TYPE_CHECKING:
    from framelens.schemas.results_faces import FacesResult

__all__ = [
    "Seed001Options",
    "Seed001Query",
    "faces_options",
    "seed_persons",
    "tag_options",
]


@dataclass(frozen=True, slots=True)
class Seed001Query:
    """The analysis options of a seed 001 request, from its query string."""

    include_embeddings: bool = False
    allowlist: str | None = None
    critical: str | None = None

    def faces(self) -> dict[str, Any]:
        """The ``faces`` module's options."""
        return faces_options(self.include_embeddings, self.allowlist)

    def tags(self) -> dict[str, Any]:
        """The ``tags`` (and ``sections``) module's options."""
        return tag_options(self.critical)


def seed001_query(
    include_embeddings: Annotated[
        bool, Query(description="Return face embeddings (biometric data; off by default)")
    ] = False,
    allowlist: Annotated[
        str | None, Query(description="Gallery whose identities count as allowlisted")
    ] = None,
    critical: Annotated[
        str | None, Query(description="Comma-separated tags that are critical, e.g. knife,rifle")
    ] = None,
) -> Seed001Query:
    """The dependency that reads ``Seed001Query`` from the query string."""
    return Seed001Query(include_embeddings, allowlist, critical)


Seed001Options = Annotated[Seed001Query, Depends(seed001_query)]


def faces_options(include_embeddings: bool, allowlist: str | None) -> dict[str, Any]:
    """``faces`` options of a seed 001 request; embeddings stay out unless asked for.

    Raises:
        ValidationError: ``allowlist`` is not a gallery name.
    """
    options: dict[str, Any] = {"include_embeddings": include_embeddings}
    if allowlist:
        if not GALLERY_NAME_RE.match(allowlist):
            raise ValidationError(
                "allowlist must be a gallery name ([A-Za-z0-9_.-], up to 64 characters)",
                details={"allowlist": allowlist[:80]},
            )
        options["allowlist"] = allowlist
    return options


def tag_options(critical: str | None) -> dict[str, Any]:
    """``tags``/``sections`` options: ``critical`` (comma-separated) flags tags ``is_critical``."""
    names = [n.strip() for n in (critical or "").split(",") if n.strip()]
    if any(len(n) > 100 for n in names) or len(names) > 100:
        raise ValidationError("critical lists at most 100 tags of at most 100 characters each")
    return {"critical": names} if names else {}


def seed_persons(
    job_id: str, faces: FacesResult | None, start_s: float = 0.0, end_s: float = math.inf
) -> list[SeedPerson]:
    """The persons with a face in ``[start_s, end_s)``, most prominent first, in seed shape."""
    if faces is None:
        return []
    return [
        SeedPerson.model_validate(
            {**p.model_dump(), "face_thumbnail": artifact_url(job_id, p.face_thumbnail)}
        )
        for p in persons_in_span(faces, start_s, end_s)
    ]
