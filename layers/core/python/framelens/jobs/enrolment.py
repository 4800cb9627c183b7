"""Enrolment as a job: a gallery identity made, or grown, from photos through the pipeline.

Faces are found where the models are (the inference image or the GPU worker in AWS; the API
Lambda has neither dlib nor OpenCV), so an enrolment is a job like any other: the ``faces``
module over the photos with their embeddings kept, then a pipeline step turns the result into
the identity. Locally the job runs inline and the route answers at once; in AWS it is dispatched
and the route answers 202. The same code runs in both.

Owns: the job's kind and modules, checking the sources are the tenant's images, the order
stored on the job (``schemas.galleries.EnrolmentOrder``), and ``apply_enrolment`` (the identity
created or grown from one embedding per image, once even if the step is retried), and deleting
the photos a request uploaded once its job ended (``discard_uploads``). Does not own:
finding the faces (the ``faces`` analyzer), reading the job's result into vectors
(``orchestration.enrolment``) or the HTTP shapes (``api.routers.identities``).
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from framelens.errors import ConflictError, NotFoundError, UnsupportedMediaError, ValidationError
from framelens.schemas.galleries import ENROLMENT_EXTRA, EnrolmentOrder
from framelens.stores import layout

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.jobs.galleries import GalleryService
    from framelens.schemas.identities import IdentityRecord
    from framelens.schemas.jobs import JobRecord
    from framelens.stores import FileStore, Stores

__all__ = [
    "ENROLMENT_KIND",
    "MAX_ENROLMENT_IMAGES",
    "apply_enrolment",
    "discard_uploads",
    "enrolment_modules",
    "enrolment_order",
    "enrolment_summary",
    "image_sources",
]

ENROLMENT_KIND = "enrolment"
MAX_ENROLMENT_IMAGES = 10


def enrolment_modules() -> dict[str, dict[str, Any]]:
    """The job's modules: ``faces`` keeping embeddings (the step reads them, then drops them
    from the job's result)."""
    return {"faces": {"include_embeddings": True}}


def enrolment_order(job: JobRecord) -> EnrolmentOrder | None:
    """The order an enrolment job carries; ``None`` for every other job."""
    if job.kind != ENROLMENT_KIND:
        return None
    return EnrolmentOrder.model_validate(job.extra[ENROLMENT_EXTRA])


def image_sources(files: FileStore, tenant_id: str, refs: Sequence[str]) -> list[str]:
    """The ``storage://`` sources of the tenant's image files ``refs`` (ids, with or without
    the ``storage://`` prefix).

    Raises:
        ValidationError: an unknown id (also another tenant's).
        UnsupportedMediaError: a file is not an image.
    """
    sources = []
    for ref in refs:
        file_id = ref.removeprefix("storage://")
        try:
            record = files.get(tenant_id, file_id)
        except NotFoundError as exc:
            raise ValidationError(
                f"image {ref} does not exist; upload it with POST /v1/media first",
                details={"image": ref},
            ) from exc
        if record.media_type != "image":
            raise UnsupportedMediaError(
                f"{ref} is a {record.media_type}; enrol people from photos (JPEG, PNG, WebP)",
                details={"image": ref, "media_type": record.media_type},
            )
        sources.append(record.url)
    return sources


def apply_enrolment(
    galleries: GalleryService,
    tenant_id: str,
    order: EnrolmentOrder,
    vectors: list[list[float]],
) -> IdentityRecord:
    """Create the ordered identity from ``vectors`` (one per image), or add them to it.

    A retried ``create`` finds the identity its first attempt made (the id is the order's).

    Raises:
        NotFoundError: adding to an identity deleted since the job was created.
        ValidationError: the gallery's rules (name, too many faces, another embedder).
    """
    if order.action == "add":
        return galleries.add_embeddings(tenant_id, order.identity_id, vectors)
    try:
        return galleries.create(
            tenant_id,
            order.gallery,
            order.name or "",
            vectors,
            allowlisted=order.allowlisted,
            identity_id=order.identity_id,
        )
    except ConflictError:
        return galleries.get(tenant_id, order.identity_id)


def enrolment_summary(record: IdentityRecord, faces_added: int) -> list[dict[str, Any]]:
    """The finished job's summary: the identity it made or grew."""
    return [
        {
            "type": "identity",
            "identity_id": record.identity_id,
            "gallery": record.gallery,
            "name": record.name,
            "faces": len(record.embeddings),
            "faces_added": faces_added,
        }
    ]


def discard_uploads(stores: Stores, job: JobRecord) -> None:
    """Delete the photos an enrolment request uploaded (record and bytes): its job has ended,
    and the face they show now lives, as embeddings, only in the identity."""
    order = enrolment_order(job)
    if order is None:
        return
    for file_id in order.uploaded:
        with suppress(NotFoundError):  # a retried end of the job deleted it already
            stores.files.delete(job.tenant_id, file_id)
        stores.blobs.delete(layout.media_key(job.tenant_id, file_id))
