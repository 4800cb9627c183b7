"""Exception handlers: every error leaves the API in one JSON shape (``ErrorEnvelope``).

Owns: mapping ``FramelensError`` (its code and status), request-validation errors (422, as the
seeds' "missing or incorrect request data") and unmatched routes. Internal errors never echo
exception text. A seed whose error table differs registers an ``ErrorDialect`` for its paths
(``add_error_dialect``): errors there are rendered by it instead (seed 003's names and 400s).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from framelens.errors import FramelensError, QuotaExceededError, RateLimitedError, StoreError
from framelens.stores.failures import disk_failure

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import FastAPI, Request

__all__ = [
    "ErrorDialect",
    "add_error_dialect",
    "error_response",
    "install_error_handlers",
    "render_error",
]

log = logging.getLogger(__name__)

_DEFAULT_RETRY_AFTER_S = 10
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """The one error body: ``{"error": {"code", "message", "details"}, "detail": message}``, plus
    ``extra`` fields a seed's error table adds."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    body = {**(extra or {}), "error": error, "detail": message}
    return JSONResponse(body, status_code=status, headers=headers)


class ErrorRenderer(Protocol):
    """Renders one error: ``(status, code, message, details, headers) -> response``."""

    def __call__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> JSONResponse:
        """The response for this error."""
        ...


@dataclass(frozen=True, slots=True)
class ErrorDialect:
    """How errors of the routes under ``prefixes`` are answered (a seed's own error table)."""

    prefixes: tuple[str, ...]
    render: ErrorRenderer

    def matches(self, path: str) -> bool:
        """Whether ``path`` is one of this dialect's routes (or below one)."""
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.prefixes)


def add_error_dialect(app: FastAPI, dialect: ErrorDialect) -> None:
    """Answer errors under ``dialect.prefixes`` with ``dialect.render``."""
    app.state.error_dialects = [*getattr(app.state, "error_dialects", []), dialect]


def _respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    dialects: list[ErrorDialect] = getattr(request.app.state, "error_dialects", [])
    for dialect in dialects:
        if dialect.matches(path):
            return dialect.render(status, code, message, details, headers)
    return error_response(status, code, message, details, headers)


async def _framelens_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FramelensError)
    headers: dict[str, str] = {}
    if isinstance(exc, StoreError):  # storage outages pass: say when to try again
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, QuotaExceededError) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    if exc.http_status == 429 and "Retry-After" not in headers:  # every 429 says when to retry
        headers["Retry-After"] = str(_DEFAULT_RETRY_AFTER_S)
    if exc.http_status >= 500:
        log.error("request failed: %s: %s", type(exc).__name__, exc.message)
    return _respond(request, exc.http_status, exc.code, exc.message, exc.details, headers)


async def render_error(request: Request, exc: FramelensError) -> JSONResponse:
    """``exc`` as the route's dialect answers it (for middleware, outside the handlers)."""
    return await _framelens_error(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
    return _respond(
        request,
        422,
        "validation_error",
        f"the request is missing or has incorrect data ({summary})",
        {"errors": problems},
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404 and message == "Not Found":
        message = "no such route; see /docs for the API"
    return _respond(request, exc.status_code, code, message, headers=exc.headers)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    reason = disk_failure(exc)
    if reason is not None:  # a temporary file on a full disk: the server's storage, not a bug
        message = f"the server cannot write to its disk ({reason}); retry later"
        return await _framelens_error(request, StoreError(message))
    log.exception("unhandled error", exc_info=exc)
    return _respond(
        request,
        500,
        "internal_error",
        "the server failed unexpectedly; retry, or contact the operator",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers once on ``app``."""
    app.add_exception_handler(FramelensError, _framelens_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
