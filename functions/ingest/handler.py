"""S3 drops (a doorway): each upload → ``jobs.drops.DropIngest`` (a job, or a recorded refusal
under ``ingest-errors/``); this module only logs and counts the outcomes."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from framelens.jobs.drops import DropIngest, parse_event
from framelens.runtime import build_services
from framelens.tracing import lambda_tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

__all__ = ["handler", "parse_event"]
logger, tracer, metrics = Logger(), lambda_tracer(), Metrics()


@cache
def _ingest() -> DropIngest:
    return build_services().drops


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[str]]:
    """Create one job per uploaded object; returns the job ids and the refused keys."""
    outcomes = [_ingest().ingest(upload) for upload in parse_event(event)]
    for o in outcomes:
        log = logger.info if o.job_id else logger.error
        log("ingested", extra={"s3_key": o.upload.raw_key, "job_id": o.job_id, "code": o.code})
        metric = "IngestJobCreated" if o.job_id else "IngestFailed"
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    created = [o.job_id for o in outcomes if o.job_id]
    return {"created": created, "refused": [o.upload.raw_key for o in outcomes if not o.job_id]}
