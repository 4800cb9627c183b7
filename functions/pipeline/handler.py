"""Pipeline stages on Lambda: one dispatching handler for every control and CPU stage.

Owns: reading ``{"stage": name, "payload": {...}}`` (the state machine's task input, see
``infra/constructs/pipeline.py``), resolving the stage's function from
``framelens.orchestration.stages`` and returning its small output. Does not own what a stage
does (``framelens.orchestration.steps``).

Errors propagate on purpose: Lambda reports the exception class name as the error type, which
is what each stage's Retry (``StoreError``, ``TransientError``) and Catch match on.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from framelens.orchestration.stages import stage as find_stage
from framelens.runtime import build_services

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@cache
def _services() -> Any:
    """The composition root, built on the first invocation of this container."""
    return build_services()


@cache
def _step(name: str) -> Callable[[Any, dict[str, Any]], dict[str, Any]]:
    """The function of stage ``name`` (``module:function`` in the stage list)."""
    module_name, _, function_name = find_stage(name).handler.partition(":")
    return getattr(importlib.import_module(module_name), function_name)  # type: ignore[no-any-return]


def parse_event(event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The stage name and payload of a task input.

    Raises:
        ValueError: The event is not ``{"stage": str, "payload": dict}``.
    """
    name, payload = event.get("stage"), event.get("payload")
    if not isinstance(name, str) or not isinstance(payload, dict):
        raise ValueError("pipeline event must be {'stage': str, 'payload': object}")
    return name, payload


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run one stage and return its output (the next state's input)."""
    name, payload = parse_event(event)
    logger.append_keys(stage=name, job_id=payload.get("job_id"))
    output = _step(name)(_services(), payload)
    metrics.add_dimension(name="stage", value=name)
    metrics.add_metric(name="StageCompleted", unit=MetricUnit.Count, value=1)
    return output
