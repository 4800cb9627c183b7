"""Ending a job whose pipeline execution ended without it: failed, timed out or aborted.

Owns: reading a Step Functions "Execution Status Change" event (EventBridge) and failing the
job it names with a reason, which releases the tenant's concurrent-job slot. An execution that
fails through ``MarkFailed`` has already ended its job, and a cancelled job stays cancelled:
``JobService.fail`` changes only a queued or running job. Does not own the EventBridge rule
(``infra/constructs/job_events.py``) nor the webhook (the handler notifies afterwards).

Why it exists: an execution timeout, a ``StopExecution`` from outside, ``States.DataLimitExceeded``
or a runtime error skip the state machine's own Catch, and the job would stay ``running`` for
ever, holding its slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framelens.errors import NotFoundError
from framelens.schemas import JobError

if TYPE_CHECKING:
    from framelens.jobs.service import JobService
    from framelens.schemas import JobRecord

__all__ = ["ExecutionEnded", "end_job_for_execution", "parse_execution_event"]

ENDED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
_MESSAGES = {
    "FAILED": "the pipeline failed ({error}) before it could record why",
    "TIMED_OUT": "the pipeline ran past its execution time limit and was stopped",
    "ABORTED": "the pipeline was stopped from outside the job ({error})",
}
_MAX_DETAIL = 200


@dataclass(frozen=True, slots=True)
class ExecutionEnded:
    """One execution that ended without success: its job, status and Step Functions error."""

    job_id: str
    status: str
    error: str | None
    cause: str | None


def parse_execution_event(event: dict[str, Any]) -> ExecutionEnded | None:
    """The ended execution an EventBridge event reports, or ``None`` for any other event.

    The execution is named after its job (``stores.aws.dispatch.execution_name``).

    Examples:
        >>> parse_execution_event({"detail": {"name": "job_1", "status": "ABORTED"}}).job_id
        'job_1'
        >>> parse_execution_event({"detail": {"name": "job_1", "status": "SUCCEEDED"}}) is None
        True
    """
    detail = event.get("detail") or {}
    status, name = detail.get("status"), detail.get("name")
    if status not in ENDED_STATUSES or not isinstance(name, str) or not name:
        return None
    return ExecutionEnded(name, str(status), detail.get("error"), detail.get("cause"))


def end_job_for_execution(jobs: JobService, ended: ExecutionEnded) -> JobRecord | None:
    """Fail the job of an execution that ended without it; releases the job's slot.

    Returns:
        The failed job, or ``None`` when the job had already ended (the usual case: MarkFailed
        ran, or the client cancelled it) or does not exist.
    """
    error = (ended.error or "no error given")[:_MAX_DETAIL]
    reason = JobError(
        code=f"execution_{ended.status.lower()}",
        message=_MESSAGES[ended.status].format(error=error),
    )
    try:
        return jobs.fail(ended.job_id, reason)
    except NotFoundError:  # an execution started by hand, not for a job
        return None
