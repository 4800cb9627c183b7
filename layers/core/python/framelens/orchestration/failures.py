"""The failure path of the pipeline: why a job failed, recorded once, in a client-safe form.

Owns: ``mark_failed`` (the failure stage), turning a stage's exception or a Step Functions error
into a ``JobError`` (a failed Distributed Map names no item: the items' own records tell why),
``item_outcome`` (those records, written by ``Stage.run``), and discarding a job's fetched copies
(shared with ``finalize``). Does not own: the happy path (``steps``).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from framelens.errors import DeadlineExceededError, FramelensError, NotFoundError
from framelens.orchestration.contract import JobRef, Probed, WorkItem, WorkItems
from framelens.schemas import JobError, JobRecord, utcnow
from framelens.stores import layout

if TYPE_CHECKING:
    from framelens.orchestration.contract import Failure, PipelineDeps

__all__ = ["discard_copies", "error_from_exception", "item_outcome", "mark_failed"]

log = logging.getLogger(__name__)
PAST_DEADLINE = "the job ran past its Max-Processing-Time and was stopped"


def item_outcome(deps: PipelineDeps, item: WorkItem, error: FramelensError | None) -> None:
    """Record why a work item failed beside its manifest key (``layout.item_error_key``), or
    clear that record when a retry of it succeeded.

    In AWS a failed Distributed Map reports only that items failed; the failure path reads the
    reason from these records (``Stage.run`` calls this for every fan-out item).
    """
    key = layout.item_error_key(item.result_key or item.job_id)
    if error is None:
        deps.stores.blobs.delete(key)
        return
    body = JobError(code=error.code, message=error.message).model_dump_json()
    deps.stores.blobs.put(key, body.encode(), "application/json")


def mark_failed(deps: PipelineDeps, payload: Failure) -> JobRef:
    """The failure path: record why the job failed (a no-op if it already ended, e.g. cancelled).

    ``payload.error`` is a Step Functions error (``{"Error", "Cause"}``) or a JobError dict; a
    failed Distributed Map names no item, so its items' error records give the reason.
    """
    job = deps.stores.jobs.get(payload.job_id)
    error = payload.error
    if error.get("Error") in _MAP_FAILURES:
        error = _item_error(deps, job.id) or error
    deps.jobs.fail(job.id, _job_error(error, job))
    discard_copies(deps, job.id)
    return JobRef(job_id=job.id)


def error_from_exception(exc: BaseException) -> dict[str, str]:
    """The client-safe JobError body for an exception raised by a stage."""
    if isinstance(exc, FramelensError):
        return {"code": exc.code, "message": exc.message}
    log.error("stage failed", exc_info=exc)
    return {
        "code": "internal_error",
        "message": f"analysis failed unexpectedly ({type(exc).__name__}); the error was logged",
    }


def _job_error(error: dict[str, Any], job: JobRecord) -> JobError:
    if "code" in error:
        return JobError(code=str(error["code"]), message=str(error.get("message", "")))
    name = str(error.get("Error", "internal_error"))
    if name == "States.Timeout":
        if job.deadline is not None and utcnow() >= job.deadline:
            return JobError(code=DeadlineExceededError.code, message=PAST_DEADLINE)
        return JobError(
            code="stage_timeout",
            message="a pipeline stage ran past its time limit and was stopped; try again, "
            "or split the media into shorter files",
        )
    import framelens.errors as errors_module

    cls = getattr(errors_module, name, None)
    if isinstance(cls, type) and issubclass(cls, FramelensError):
        cause = _cause(error.get("Cause"))
        return JobError(code=cls.code, message=str(cause.get("errorMessage") or cls.__doc__))
    return JobError(
        code="internal_error", message=f"analysis failed unexpectedly ({name}); it was logged"
    )


_MAP_FAILURES = frozenset({"States.ExceedToleratedFailureThreshold", "States.ItemReaderFailed"})


def _item_error(deps: PipelineDeps, job_id: str) -> dict[str, Any] | None:
    """The error a failed work item of the job recorded (the first in plan order), if any."""
    blobs = deps.stores.blobs
    try:
        items = WorkItems.validate_json(blobs.get(layout.items_key(job_id)))
    except NotFoundError:
        return None
    for item in items:
        try:
            found: dict[str, Any] = json.loads(
                blobs.get(layout.item_error_key(item.result_key or ""))
            )
        except NotFoundError:
            continue
        return found
    return None


def _cause(raw: Any) -> dict[str, Any]:
    try:
        cause = json.loads(raw or "{}")
    except (TypeError, json.JSONDecodeError):
        return {}
    return cause if isinstance(cause, dict) else {}


def discard_copies(deps: PipelineDeps, job_id: str) -> None:
    """Delete the job's copies of fetched sources and its probe output (nothing else needs
    them once the job ended; the layout's expiry is the backstop), and the photos an enrolment
    request uploaded."""
    from framelens.jobs.enrolment import discard_uploads

    discard_uploads(deps.stores, deps.stores.jobs.get(job_id))
    blobs = deps.stores.blobs
    try:
        probed = Probed.model_validate_json(blobs.get(layout.probe_key(job_id)))
    except NotFoundError:
        return
    for src in probed.sources:
        if src.fetched:
            blobs.delete(src.blob_key)
    blobs.delete(layout.probe_key(job_id))
