"""X-Ray tracing for the Lambda handlers, loaded only when it is switched on.

Owns: ``lambda_tracer``, the handlers' tracer: powertools' ``Tracer`` when tracing is on, else a
stand-in with the same decorators that does nothing. Why: creating a ``Tracer`` imports the X-Ray
SDK and patches boto3, about 0.15-0.35 s of every cold start (issue 17), for subsegments nobody
reads unless they asked for them. Lambda's own X-Ray segment (``Tracing: Active``) is there
either way. The switch is powertools' own ``POWERTOOLS_TRACE_DISABLED``, which the CDK app sets
from its ``xray_sdk_tracing`` prop (off by default). Does not own logging or metrics.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["lambda_tracer", "tracing_enabled"]

_OFF = {"1", "true", "yes", "on"}


def tracing_enabled(environ: dict[str, str] | None = None) -> bool:
    """Whether handlers trace: ``POWERTOOLS_TRACE_DISABLED`` is not set to a true value.

    Examples:
        >>> tracing_enabled({"POWERTOOLS_TRACE_DISABLED": "true"}), tracing_enabled({})
        (False, True)
    """
    env = os.environ if environ is None else environ
    return env.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() not in _OFF


class _NoTracer:
    """The decorators of powertools' ``Tracer``, passing everything through."""

    def capture_lambda_handler(
        self, lambda_handler: Callable[..., Any] | None = None, **_: Any
    ) -> Any:
        """``@tracer.capture_lambda_handler`` or ``@tracer.capture_lambda_handler(...)``."""
        if lambda_handler is None:
            return lambda function: function
        return lambda_handler

    def capture_method(self, method: Callable[..., Any] | None = None, **_: Any) -> Any:
        """``@tracer.capture_method`` or ``@tracer.capture_method(...)``."""
        if method is None:
            return lambda function: function
        return method


def lambda_tracer() -> Any:
    """A powertools ``Tracer`` when tracing is on, else a no-op with the same decorators."""
    if not tracing_enabled():
        return _NoTracer()
    from aws_lambda_powertools import Tracer

    return Tracer()
