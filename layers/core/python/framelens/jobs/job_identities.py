"""A job's face identities named from the galleries as they are now, and the links users make.

A job names the identities of its file from the gallery they matched when it ran. Afterwards a
user may enrol an unknown one, rename, merge or delete gallery identities, and what a viewer
shows must follow: names are therefore resolved at read time, from the job's match or from a
link a user made (``PUT /v1/jobs/{id}/identities/{uuid}``), kept in a small JSON document beside
the job's results (``layout.identity_links_key``; it expires with them). A gallery identity
deleted since (or merged away) shows as unknown. Two links written at once: the last one wins.

Owns: the links document, ``IdentityNamer`` (a face identity → its name now, for timelines
and overlays), ``job_identities`` and ``link_identity``. Does not own: the gallery rules
(``jobs.galleries``), the faces result (``analyzers.faces``) or HTTP.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from framelens.errors import NotFoundError, ValidationError
from framelens.jobs.results import module_result, module_results
from framelens.schemas.job_identities import JobIdentity
from framelens.schemas.results_faces import FacesResult
from framelens.stores import layout

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.jobs.galleries import GalleryService
    from framelens.schemas import JobRecord
    from framelens.schemas.identities import IdentityRecord
    from framelens.schemas.results_faces import FaceIdentity
    from framelens.stores import BlobStore

__all__ = ["IdentityNamer", "job_identities", "link_identity"]


def _links(blobs: BlobStore, job: JobRecord) -> dict[str, str]:
    try:
        doc = json.loads(blobs.get(layout.identity_links_key(job.id)))
    except NotFoundError:
        return {}
    return {str(k): str(v) for k, v in doc.get("links", {}).items()}


def _faces(blobs: BlobStore, job: JobRecord) -> dict[int, FacesResult]:
    return module_results(blobs, job, "faces", FacesResult)


class IdentityNamer:
    """The gallery identity each of a job's identities is now; one per request.

    Looks up only the gallery identities the job refers to (a match or a link), each once: a
    tenant's whole gallery, embeddings included, is never read to name a few persons.
    """

    def __init__(self, blobs: BlobStore, galleries: GalleryService, job: JobRecord) -> None:
        self.links = _links(blobs, job)
        self._galleries, self._tenant = galleries, job.tenant_id
        self._records: dict[str, IdentityRecord | None] = {}

    def record(self, identity: FaceIdentity) -> IdentityRecord | None:
        """The gallery identity it is, or None (unknown, or deleted since)."""
        gallery_id = self.links.get(identity.identity_uuid) or identity.gallery_identity_id
        if gallery_id is None:
            return None
        if gallery_id not in self._records:
            try:
                self._records[gallery_id] = self._galleries.get(self._tenant, gallery_id)
            except NotFoundError:
                self._records[gallery_id] = None  # deleted, or merged into another
        return self._records[gallery_id]

    def __call__(self, identity: FaceIdentity) -> str | None:
        """Its name as the gallery holds it now (None: unknown)."""
        record = self.record(identity)
        return record.name if record else None


def job_identities(
    blobs: BlobStore,
    galleries: GalleryService,
    job: JobRecord,
    source: int,
    link: Callable[[str | None], str | None],
) -> list[JobIdentity]:
    """The identities of ``source`` (first seen first), with ``link`` making thumbnail URLs."""
    result = module_result(blobs, job, "faces", FacesResult, source)
    if result is None:
        return []
    namer = IdentityNamer(blobs, galleries, job)
    out = []
    for identity in sorted(result.identities, key=lambda i: i.first_timestamp):
        record = namer.record(identity)
        out.append(
            JobIdentity(
                identity_uuid=identity.identity_uuid,
                source=source,
                name=record.name if record else None,
                gallery_identity_id=record.identity_id if record else None,
                gallery=record.gallery if record else None,
                linked=identity.identity_uuid in namer.links,
                face_count=identity.face_count,
                first_timestamp=identity.first_timestamp,
                last_timestamp=identity.last_timestamp,
                age=identity.age,
                gender=identity.gender,
                thumbnail=link(identity.representative.face_thumbnail),
            )
        )
    return out


def link_identity(
    blobs: BlobStore,
    galleries: GalleryService,
    job: JobRecord,
    identity_uuid: str,
    gallery_identity_id: str | None,
) -> int:
    """Record that the job's ``identity_uuid`` is gallery identity ``gallery_identity_id``
    (``None``: forget the link). Returns the source the identity belongs to.

    Raises:
        NotFoundError: the job has no such identity.
        ValidationError: the gallery identity does not exist (or is another tenant's).
    """
    source = next(
        (
            index
            for index, result in _faces(blobs, job).items()
            if any(i.identity_uuid == identity_uuid for i in result.identities)
        ),
        None,
    )
    if source is None:
        raise NotFoundError(
            f"job {job.id} has no face identity {identity_uuid}",
            details={"identity_uuid": identity_uuid},
        )
    if gallery_identity_id is not None:
        try:
            galleries.get(job.tenant_id, gallery_identity_id)
        except NotFoundError as exc:
            raise ValidationError(
                f"identity {gallery_identity_id} does not exist; enrol the person with "
                "POST /v1/galleries/{gallery}/identities first",
                details={"gallery_identity_id": gallery_identity_id},
            ) from exc
    links = _links(blobs, job)
    if gallery_identity_id is None:
        links.pop(identity_uuid, None)
    else:
        links[identity_uuid] = gallery_identity_id
    body = json.dumps({"job_id": job.id, "links": links}).encode()
    blobs.put(layout.identity_links_key(job.id), body, "application/json")
    return source
