"""Exception handlers: every error leaves the API in one JSON shape (``ErrorEnvelope``).

Owns: mapping ``FramelensError`` (its code and status), request-validation errors (422, as the
seeds' "missing or incorrect request data") and unmatched routes. Internal errors never echo
exception text.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from framelens.errors import FramelensError, QuotaExceededError, RateLimitedError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import FastAPI, Request

__all__ = ["error_response", "install_error_handlers"]

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
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
) -> JSONResponse:
    """The one error body: ``{"error": {"code", "message", "details"}, "detail": message}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return JSONResponse({"error": error, "detail": message}, status_code=status, headers=headers)


async def _framelens_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FramelensError)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, QuotaExceededError) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    if exc.http_status >= 500:
        log.error("request failed: %s: %s", type(exc).__name__, exc.message)
    return error_response(exc.http_status, exc.code, exc.message, exc.details, headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
    return error_response(
        422,
        "validation_error",
        f"the request is missing or has incorrect data ({summary})",
        {"errors": problems},
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404 and message == "Not Found":
        message = "no such route; see /docs for the API"
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(
        500, "internal_error", "the server failed unexpectedly; retry, or contact the operator"
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers once on ``app``."""
    app.add_exception_handler(FramelensError, _framelens_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
