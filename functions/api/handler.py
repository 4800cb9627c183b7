"""The API on Lambda: the FastAPI app behind API Gateway, through Mangum.

Owns: nothing but the adapter. The app (``framelens.api``, wired by ``framelens.runtime``) is built
on the first invocation, once per container, so importing this module stays cheap.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from framelens.api.app import create_app
from framelens.api.gateway import StagePrefix
from framelens.runtime import build_services
from framelens.tracing import lambda_tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = lambda_tracer()
metrics = Metrics()


@cache
def _adapter() -> Mangum:
    # No server lifespan on Lambda; StagePrefix keeps the stage (/v1) in links and Location.
    return Mangum(StagePrefix(create_app(build_services())), lifespan="off")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway proxy event in, proxy response out."""
    return _adapter()(event, context)
