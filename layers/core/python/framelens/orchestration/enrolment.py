"""The enrolment step: an enrolment job's ``faces`` result turned into a gallery identity.

Runs inside ``steps.aggregate``, after the parts are merged and before the job is marked
finished, for jobs of kind ``enrolment`` only. So a photo with no face or with several faces
fails the job with a message naming the photo (the inline route answers it as a 400; in AWS it
is the job's error), and a job that finished has made its identity. The same function runs
under the local runner and behind the Step Functions Aggregate state.

Owns: reading exactly one face per source image out of the merged document
(``analyzers.faces.require_single_face``), creating or growing the identity
(``jobs.enrolment.apply_enrolment``, once even if the stage is retried) and removing the
embeddings from the job's own result: they now live only in the identity, so deleting the
identity deletes them. Does not own: the route, the gallery's rules or the analysis.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from framelens.analyzers.faces import ImageFace, require_single_face
from framelens.errors import ValidationError
from framelens.jobs.enrolment import apply_enrolment, enrolment_order, enrolment_summary
from framelens.jobs.galleries import GalleryService
from framelens.schemas.results_faces import FacesResult

if TYPE_CHECKING:
    from framelens.orchestration.contract import PipelineDeps
    from framelens.orchestration.merge import Merged
    from framelens.schemas import JobRecord
    from framelens.schemas.galleries import EnrolmentOrder

__all__ = ["enrol"]

_ENROLLED = "enrolled"  # set on the job's extra once the identity was written


def enrol(deps: PipelineDeps, job: JobRecord, merged: Merged) -> None:
    """If ``job`` is an enrolment, write its identity and rewrite ``merged`` accordingly.

    Raises:
        ValidationError: an image has no face or several (naming it), or could not be read.
        NotFoundError: the identity to add faces to was deleted meanwhile.
    """
    order = enrolment_order(job)
    if order is None:
        return
    store = deps.stores.identities
    if store is None:
        raise ValidationError("this deployment has no identity store for galleries")
    doc = json.loads(merged.documents["faces"])
    vectors, embedder = _one_face_per_image(doc, order)
    galleries = GalleryService(store, embedder=embedder)
    if job.extra.get(_ENROLLED):  # a retried stage: the first attempt wrote the identity
        record = galleries.get(job.tenant_id, order.identity_id)
    else:
        record = apply_enrolment(galleries, job.tenant_id, order, vectors)
        deps.jobs.set_extra(job.id, **{_ENROLLED: True})
    merged.documents["faces"] = json.dumps(_without_embeddings(doc)).encode()
    merged.summary = enrolment_summary(record, len(vectors))


def _one_face_per_image(
    doc: dict[str, Any], order: EnrolmentOrder
) -> tuple[list[list[float]], str]:
    """The embedding of each source's only face, and the embedder that made them."""
    vectors: list[list[float]] = []
    embedder = ""
    for entry in doc["sources"]:
        label = order.label(int(entry["index"]), str(entry["uri"]))
        if "result" not in entry:
            raise ValidationError(
                f"{label} could not be analyzed ({entry.get('skipped', 'no result')})",
                details={"image": label},
            )
        result = FacesResult.model_validate(entry["result"])
        embedder = result.model or embedder
        faces = [
            ImageFace(
                box=(t.representative.bbox.x, t.representative.bbox.y,
                     t.representative.bbox.width, t.representative.bbox.height),
                score=t.representative.confidence,
                embedding=t.face_embedding or [],
                embedder=result.model or "",
            )
            for t in result.traces
        ]  # fmt: skip
        vectors.append(require_single_face(faces, label).embedding)
    return vectors, embedder


def _without_embeddings(value: Any) -> Any:
    """``value`` with every ``face_embedding`` set to ``None`` (a JSON document)."""
    if isinstance(value, dict):
        return {
            k: None if k == "face_embedding" else _without_embeddings(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_embeddings(v) for v in value]
    return value
