"""What ``GET /v1/images/{job_id}`` answers, and the OpenAPI body of ``POST /v1/images``.

Owns: each item's status and result from the batch job (its items as kept in ``job.extra``, the
``tags``, ``faces`` and ``ocr`` results of its source) and the request-body document of a route
that reads its JSON itself. Does not own: the routes (``images``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framelens.api.seeds._persons import seed_persons
from framelens.jobs.results import module_results
from framelens.schemas import JobState
from framelens.schemas.results_faces import FacesResult
from framelens.schemas.results_ocr import OcrResult
from framelens.schemas.results_tags import TagsResult
from framelens.schemas.seeds.images import (
    BatchItem,
    ImageBatchStatus,
    ImageItemOut,
    ImageItemResult,
    ImageText,
    ItemError,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from framelens.api.deps import AppServices
    from framelens.schemas import JobRecord

__all__ = ["batch_status", "request_body_doc"]


def batch_status(services: AppServices, job: JobRecord) -> ImageBatchStatus:
    """The batch in seed 001's shape, items in the order they were sent."""
    items = [BatchItem.model_validate(i) for i in job.extra.get("images", [])]
    out = ImageBatchStatus(job_id=job.id, status=job.state, progress=job.progress)
    if job.error is not None:
        out.error = job.error.model_dump(exclude_none=True)
    results: dict[int, ImageItemResult] = {}
    if job.state == JobState.finished:
        results = _results(services, job)
    job_error = ItemError(code=job.error.code, message=job.error.message) if job.error else None
    for item in items:
        if item.source is None:
            out.items.append(
                ImageItemOut(external_id=item.external_id, status=JobState.failed, error=item.error)
            )
        elif job.state == JobState.finished:
            result = results.get(item.source, ImageItemResult())
            out.items.append(
                ImageItemOut(external_id=item.external_id, status=JobState.finished, result=result)
            )
        else:
            out.items.append(
                ImageItemOut(
                    external_id=item.external_id,
                    status=job.state,
                    error=job_error if job.state == JobState.failed else None,
                )
            )
    return out


def _results(services: AppServices, job: JobRecord) -> dict[int, ImageItemResult]:
    """Each source's ``tags``, ``person_ids`` and ``ocr_results`` (reading each module once)."""
    blobs = services.stores.blobs
    tags = module_results(blobs, job, "tags", TagsResult)
    faces = module_results(blobs, job, "faces", FacesResult)
    ocr = module_results(blobs, job, "ocr", OcrResult)
    return {
        index: ImageItemResult(
            tags=tags[index].tags if index in tags else [],
            person_ids=seed_persons(job.id, faces.get(index)),
            ocr_results=[
                ImageText(language_code=s.language_code, full_text=s.full_text)
                for s in (ocr[index].segments if index in ocr else [])
            ],
        )
        for index in range(len(job.sources))
    }


def request_body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a route that parses ``model`` from its JSON itself (to cap
    the body's size before parsing), with the schema's ``$defs`` inlined."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {
        "requestBody": {
            "content": {"application/json": {"schema": inline(schema)}},
            "required": True,
        }
    }
