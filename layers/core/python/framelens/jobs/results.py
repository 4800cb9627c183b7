"""Paging a finished job's detailed results out of its result documents.

Owns: the cursor format (an offset into the concatenated items of the requested modules), the
errors of a results request, the link to a job's results, and reading one module's result of one
source as its typed model (what seed routes answer from). Does not own: writing result documents
(``orchestration.merge``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from framelens.errors import JobStateError, NotFoundError, ValidationError
from framelens.schemas import JobState, ResultPage

if TYPE_CHECKING:
    from framelens.schemas import JobRecord
    from framelens.stores import BlobStore

__all__ = [
    "SourceResult",
    "module_result",
    "module_results",
    "module_source_results",
    "page_results",
    "results_link",
]

ResultT = TypeVar("ResultT", bound=BaseModel)


def results_link(job_id: str, public_base_url: str = "") -> str:
    """The detailed-results URL of a job: absolute when a public base URL is configured."""
    return f"{public_base_url.rstrip('/')}/v1/jobs/{job_id}/results"


def module_result(
    blobs: BlobStore, job: JobRecord, module: str, model: type[ResultT], source_index: int = 0
) -> ResultT | None:
    """The final result of ``module`` for one source of a finished job, as ``model``.

    Returns ``None`` when the job has no such result (module not run, or skipped for the source).
    """
    key = job.result_keys.get(module)
    if key is None:
        return None
    try:
        doc = json.loads(blobs.get(key))
    except NotFoundError:
        return None
    for entry in doc.get("sources", []):
        if entry.get("index") == source_index and "result" in entry:
            return model.model_validate(entry["result"])
    return None


def module_results(
    blobs: BlobStore, job: JobRecord, module: str, model: type[ResultT]
) -> dict[int, ResultT]:
    """Every source's final result of ``module`` (source index → result), reading the document
    once; sources the module skipped are absent."""
    key = job.result_keys.get(module)
    if key is None:
        return {}
    try:
        doc = json.loads(blobs.get(key))
    except NotFoundError:
        return {}
    return {
        int(entry["index"]): model.model_validate(entry["result"])
        for entry in doc.get("sources", [])
        if "result" in entry
    }


@dataclass(frozen=True, slots=True)
class SourceResult(Generic[ResultT]):
    """One source's result of a module: the source as the job named it, and the result."""

    uri: str
    media_type: str
    result: ResultT


def module_source_results(
    blobs: BlobStore, job: JobRecord, module: str, model: type[ResultT]
) -> list[SourceResult[ResultT]]:
    """Every source's final result of ``module`` (sources it skipped are left out)."""
    key = job.result_keys.get(module)
    if key is None:
        return []
    doc = json.loads(blobs.get(key))
    return [
        SourceResult(
            uri=str(entry.get("uri", "")),
            media_type=str(entry.get("media_type", "")),
            result=model.model_validate(entry["result"]),
        )
        for entry in doc.get("sources", [])
        if "result" in entry
    ]


def page_results(
    blobs: BlobStore, job: JobRecord, module: str | None, cursor: str | None, limit: int
) -> ResultPage:
    """Items ``cursor .. cursor+limit`` of ``module``'s results (every module's when ``None``).

    Raises:
        JobStateError: the job has not finished.
        NotFoundError: the job has no results for ``module``.
        ValidationError: a cursor this API did not return, or ``limit`` out of 1..1000.
    """
    job_id = job.id
    if job.state != JobState.finished:
        raise JobStateError(
            f"job {job_id} is {job.state.value}; results exist once it is finished",
            details={"state": job.state.value},
        )
    modules = [module] if module else sorted(job.result_keys)
    for name in modules:
        if name not in job.result_keys:
            raise NotFoundError(
                f"job {job_id} has no results for module {name!r}; "
                f"it has: {', '.join(sorted(job.result_keys)) or 'none'}"
            )
    items: list[Any] = []
    for name in modules:
        doc = json.loads(blobs.get(job.result_keys[name]))
        items.extend({"module": name, **item} for item in doc.get("items", []))
    try:
        start = int(cursor) if cursor else 0
    except ValueError as exc:
        raise ValidationError("cursor is not one this API returned") from exc
    if not 1 <= limit <= 1000:
        raise ValidationError("limit must be between 1 and 1000")
    page = items[start : start + limit]
    nxt = str(start + limit) if start + limit < len(items) else None
    return ResultPage(
        job_id=job_id, module=module or "*", items=page, total=len(items), next_cursor=nxt
    )
