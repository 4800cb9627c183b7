"""EventBridge (a doorway): a pipeline execution that failed, timed out or was aborted ends its
job with a reason (``jobs.execution_events``) and its webhook fires; the rule is
``infra/constructs/job_events.py``. Errors propagate: EventBridge retries the invocation."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from framelens.jobs.execution_events import end_job_for_execution, parse_execution_event
from framelens.orchestration.stages import stage
from framelens.runtime import Services, build_services

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@cache
def _services() -> Services:
    return build_services()


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """End the event's job if it is still queued or running; returns what was done."""
    ended = parse_execution_event(event)
    if ended is None:
        return {"ended": None}
    services = _services()
    job = end_job_for_execution(services.jobs, ended)
    logger.info("execution ended", extra={"job_id": ended.job_id, "status": ended.status})
    # Such an execution never reached its Notify states (a cancel included): the claim on the
    # delivery makes this a no-op when the webhook was already sent.
    stage("notify_failure").run(services, {"job_id": ended.job_id})
    return {"ended": job.id if job is not None else None, "status": ended.status}
