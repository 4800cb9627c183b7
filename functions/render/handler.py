"""The render worker (a doorway): one ``RenderTask`` in, the render in the cache, on the inference
image (PyAV, OpenCV, numpy, supervision), invoked asynchronously by the API
(``InvocationType=Event``) for what API Gateway's 29 s and 10 MB cannot carry. The library's
``FileMedia.render`` does the work; a client-caused failure is recorded beside the render, any
other propagates (the API asks again when a client polls after this function's timeout)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

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
    """Render the task's media into the render cache; returns its key (or the error code)."""
    logger.append_keys(file_id=event.get("file_id"), kind=event.get("render", {}).get("kind"))
    result = _services().file_media.render(event)
    outcome = "RenderRefused" if "error" in result else "RenderCompleted"
    metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)
    return result
