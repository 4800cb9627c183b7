"""Pipeline stages on Lambda (a doorway): ``{"stage", "payload"}`` → ``Stage.run``, the resolver
the local runner and the GPU worker use too. Errors propagate on purpose: Lambda reports the
exception class name as the error type, which each stage's Retry and Catch match on."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from framelens.orchestration.stages import stage
from framelens.runtime import Services, build_services
from framelens.tracing import lambda_tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger, tracer, metrics = Logger(), lambda_tracer(), Metrics()


@cache
def _services() -> Services:
    return build_services()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run one stage on its payload and return its output (the next state's input)."""
    name, payload = event.get("stage"), event.get("payload")
    if not isinstance(name, str) or not isinstance(payload, dict):
        raise ValueError("pipeline event must be {'stage': str, 'payload': object}")
    logger.append_keys(stage=name, job_id=payload.get("job_id"))
    output = stage(name).run(_services(), payload)
    metrics.add_dimension(name="stage", value=name)
    metrics.add_metric(name="StageCompleted", unit=MetricUnit.Count, value=1)
    return output
