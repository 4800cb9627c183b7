"""Paging a finished job's detailed results out of its result documents.

Owns: the cursor format (an offset into the concatenated items of the requested modules) and the
errors of a results request. Does not own: writing result documents (``orchestration.merge``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from framelens.errors import JobStateError, NotFoundError, ValidationError
from framelens.schemas import JobState, ResultPage

if TYPE_CHECKING:
    from framelens.schemas import JobRecord
    from framelens.stores import BlobStore

__all__ = ["page_results"]


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
