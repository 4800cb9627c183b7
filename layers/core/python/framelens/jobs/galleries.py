"""Galleries: a tenant's named identities (enrol, rename, add faces, merge, delete) and the view a
job matches against.

Owns: the rules over ``IdentityStore``: names and galleries are validated (a gallery is the set
of a tenant's identities that name it: it exists while it holds one), embeddings are
checked (same dimension, finite, not zero) and L2-normalised before they are stored, every
identity records the embedder its vectors came from, at most ``MAX_EMBEDDINGS`` per identity.
``gallery_view`` turns a job's ``gallery``/``allowlist`` options into the ``GalleryView`` the
``faces`` analyzer receives in ``RunContext.gallery``. Does not own: finding faces in uploaded
images (``analyzers.faces.image`` embeds them; the API hands the vectors here), storage
(the port) or matching (``analyzers.faces.matching``).

Examples:
    >>> from framelens.stores.embedded import build_embedded_stores  # doctest: +SKIP
    >>> service = GalleryService(build_embedded_stores(path).identities)  # doctest: +SKIP
    >>> ann = service.create("acme", "staff", "Ann", [vector])  # doctest: +SKIP
    >>> gallery_view(service.store, "acme", "staff").entries[0].name  # doctest: +SKIP
    'Ann'
"""

from __future__ import annotations

import math
import secrets
from typing import TYPE_CHECKING

from framelens.errors import NotFoundError, ValidationError
from framelens.models.manifests import DEFAULT_FACE_EMBEDDER
from framelens.schemas.common import utcnow
from framelens.schemas.identities import (
    GALLERY_NAME_RE,
    GalleryEntry,
    GalleryView,
    IdentityRecord,
)

if TYPE_CHECKING:
    import builtins
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from framelens.stores.ports import IdentityStore

__all__ = [
    "MAX_EMBEDDINGS",
    "GalleryService",
    "check_gallery",
    "check_name",
    "gallery_view",
    "normalise_embeddings",
]

MAX_EMBEDDINGS = 500


def _new_id() -> str:
    return "id_" + secrets.token_hex(10)


def check_gallery(gallery: str) -> str:
    """``gallery`` if it is a valid gallery name. Raises ``ValidationError`` saying the rule."""
    if not GALLERY_NAME_RE.match(gallery):
        raise ValidationError(
            f"invalid gallery name {gallery!r}: use letters, digits, '_', '.', '-' (up to 64)"
        )
    return gallery


def check_name(name: str) -> str:
    """An identity's name, stripped. Raises ``ValidationError`` unless 1 to 200 characters."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 200:
        raise ValidationError("an identity's name must be 1 to 200 characters")
    return cleaned


def normalise_embeddings(embeddings: Sequence[Sequence[float]]) -> list[list[float]]:
    """The vectors L2-normalised, after checking them.

    Raises:
        ValidationError: none given, unequal dimensions, a non-finite value or a zero vector.
    """
    if not embeddings:
        raise ValidationError("at least one face embedding is needed")
    dims = {len(v) for v in embeddings}
    if len(dims) != 1 or 0 in dims:
        raise ValidationError("face embeddings must all have the same, non-zero dimension")
    out: list[list[float]] = []
    for vector in embeddings:
        values = [float(x) for x in vector]
        if not all(math.isfinite(x) for x in values):
            raise ValidationError("a face embedding contains a non-finite value")
        norm = math.sqrt(sum(x * x for x in values))
        if norm == 0:
            raise ValidationError("a face embedding is all zeros")
        out.append([x / norm for x in values])
    return out


class GalleryService:
    """Named identities of each tenant's galleries over an ``IdentityStore``.

    Args:
        store: the identity store (``Stores.identities``).
        embedder: the embedder new identities' vectors come from (default dlib's ResNet).
        now: the clock (tests inject one).
        new_id: identity id factory (tests inject one).
    """

    def __init__(
        self,
        store: IdentityStore,
        *,
        embedder: str = DEFAULT_FACE_EMBEDDER,
        now: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self._now = now
        self._new_id = new_id

    def create(
        self,
        tenant_id: str,
        gallery: str,
        name: str,
        embeddings: Sequence[Sequence[float]],
        *,
        allowlisted: bool = False,
        identity_id: str | None = None,
    ) -> IdentityRecord:
        """Enrol a person from precomputed face embeddings (one per enrolment image).

        Args:
            tenant_id: the owner.
            gallery: the gallery's name.
            name: the person's name.
            embeddings: one vector per enrolment face.
            allowlisted: whether matches report ``allowlisted: true``.
            identity_id: the id to give it (an enrolment job names it in advance, so the
                client knows it before the job ran); a new one by default.

        Raises:
            ValidationError: bad gallery name, name or embeddings, or too many embeddings.
            ConflictError: ``identity_id`` exists already.
        """
        vectors = normalise_embeddings(embeddings)
        self._check_count(len(vectors))
        now = self._now()
        record = IdentityRecord(
            identity_id=identity_id or self._new_id(),
            tenant_id=tenant_id,
            gallery=check_gallery(gallery),
            name=check_name(name),
            allowlisted=allowlisted,
            embedder=self.embedder,
            embeddings=vectors,
            time_created=now,
            time_updated=now,
        )
        return self.store.create(record)

    def get(self, tenant_id: str, identity_id: str) -> IdentityRecord:
        """The tenant's identity. Raises ``NotFoundError`` (also for other tenants' ids)."""
        return self.store.get(tenant_id, identity_id)

    def list(self, tenant_id: str, gallery: str | None = None) -> list[IdentityRecord]:
        """The tenant's identities, oldest first (of one gallery if named)."""
        return self.store.list(tenant_id, check_gallery(gallery) if gallery else None)

    def galleries(self, tenant_id: str) -> dict[str, builtins.list[IdentityRecord]]:
        """The tenant's galleries by name (sorted), each with its identities, oldest first.

        A gallery exists while it holds an identity: it is made by the first enrolment into it
        and gone with its last identity.
        """
        out: dict[str, builtins.list[IdentityRecord]] = {}
        for record in self.store.list(tenant_id):
            out.setdefault(record.gallery, []).append(record)
        return dict(sorted(out.items()))

    def gallery(self, tenant_id: str, gallery: str) -> builtins.list[IdentityRecord]:
        """The identities of one of the tenant's galleries, oldest first.

        Raises:
            ValidationError: a bad gallery name.
            NotFoundError: the tenant has no identity in it (other tenants' galleries too).
        """
        records = self.store.list(tenant_id, check_gallery(gallery))
        if not records:
            raise NotFoundError(f"Gallery {gallery!r} not found.", details={"gallery": gallery})
        return records

    def rename(self, tenant_id: str, identity_id: str, name: str) -> IdentityRecord:
        """Give an identity a new name."""
        return self.store.rename(tenant_id, identity_id, check_name(name))

    def set_allowlisted(
        self, tenant_id: str, identity_id: str, allowlisted: bool
    ) -> IdentityRecord:
        """Mark (or unmark) an identity as allowlisted: its matches report ``allowlisted``."""
        return self.store.set_allowlisted(tenant_id, identity_id, allowlisted)

    def add_embeddings(
        self, tenant_id: str, identity_id: str, embeddings: Sequence[Sequence[float]]
    ) -> IdentityRecord:
        """Add faces (embeddings) to an identity.

        Raises:
            ValidationError: bad vectors, another dimension or embedder, or too many in all.
            NotFoundError: unknown or foreign id.
        """
        record = self.store.get(tenant_id, identity_id)
        vectors = normalise_embeddings(embeddings)
        self._check_compatible(record, vectors)
        self._check_count(len(record.embeddings) + len(vectors))
        return self.store.add_embeddings(tenant_id, identity_id, vectors)

    def merge(self, tenant_id: str, keep_id: str, other_id: str) -> IdentityRecord:
        """Merge ``other_id`` into ``keep_id`` (its faces move; it is deleted).

        Raises:
            ValidationError: the same id twice, different galleries, or too many embeddings.
            NotFoundError: either id unknown or foreign.
        """
        keep = self.store.get(tenant_id, keep_id)
        other = self.store.get(tenant_id, other_id)
        if keep.embedder != other.embedder:
            raise ValidationError("identities enrolled with different embedders cannot merge")
        self._check_count(len(keep.embeddings) + len(other.embeddings))
        return self.store.merge(tenant_id, keep_id, other_id)

    def delete(self, tenant_id: str, identity_id: str) -> None:
        """Delete an identity and its embeddings."""
        self.store.delete(tenant_id, identity_id)

    def _check_compatible(
        self, record: IdentityRecord, vectors: builtins.list[builtins.list[float]]
    ) -> None:
        if record.embedder != self.embedder:
            raise ValidationError(
                f"identity {record.identity_id} holds {record.embedder!r} embeddings; "
                f"these come from {self.embedder!r}"
            )
        if record.embeddings and len(record.embeddings[0]) != len(vectors[0]):
            raise ValidationError("the new embeddings have another dimension than the identity's")

    @staticmethod
    def _check_count(count: int) -> None:
        if count > MAX_EMBEDDINGS:
            raise ValidationError(
                f"an identity holds at most {MAX_EMBEDDINGS} face embeddings ({count} asked)"
            )


def gallery_view(
    store: IdentityStore,
    tenant_id: str,
    gallery: str | None,
    allowlist: str | None = None,
    embedder: str = DEFAULT_FACE_EMBEDDER,
) -> GalleryView:
    """What a job's ``faces`` analyzer matches against, for its ``gallery``/``allowlist`` options.

    Identities of ``gallery`` keep their own ``allowlisted`` flag; every identity of
    ``allowlist`` counts as allowlisted.

    Raises:
        ValidationError: a bad gallery name, or neither option given.
        NotFoundError: a named gallery has no identities enrolled with ``embedder``.
    """
    if gallery is None and allowlist is None:
        raise ValidationError("name a gallery or an allowlist to match faces against")
    entries: dict[str, GalleryEntry] = {}
    for name, forced in ((gallery, False), (allowlist, True)):
        if name is None:
            continue
        records = [r for r in store.list(tenant_id, check_gallery(name)) if r.embedder == embedder]
        if not records:
            raise NotFoundError(
                f"gallery {name!r} has no identities enrolled with {embedder!r}",
                details={"gallery": name},
            )
        for r in records:
            held = entries.get(r.identity_id)
            entries[r.identity_id] = GalleryEntry(
                identity_id=r.identity_id,
                name=r.name,
                allowlisted=forced or r.allowlisted or bool(held and held.allowlisted),
                vectors=tuple(tuple(v) for v in r.embeddings),
            )
    return GalleryView(
        tenant_id=tenant_id,
        gallery=gallery,
        allowlist=allowlist,
        embedder=embedder,
        entries=tuple(entries.values()),
    )
