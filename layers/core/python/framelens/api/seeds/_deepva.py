"""What seed 003's route modules share: paths with and without the slash, the error table, links.

Owns: ``both`` (a route answers ``/api/v1/jobs/`` and ``/api/v1/jobs`` alike, with no redirect:
the document's curl has no ``-L``), ``ERRORS`` (the document's table: 400 BadRequest for every
client error but auth, not-found, method and rate limits — malformed JSON included —, 401
NotAuthenticated, 404 NotFound, 405 MethodNotAllowed, 500 GeneralError; the name is the body's
``type``, beside Framelens's own ``{"error", "detail"}``) and ``base_url`` (absolute links).
Does not own the routes themselves (``deepva``, ``deepva_storage``, ``deepva_webhooks``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framelens.api.errors import ErrorDialect, error_response
from framelens.schemas.seeds.deepva import ERROR_NAMES, DeepvaError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse

    from framelens.api.deps import AppServices

__all__ = ["ERRORS", "PREFIX", "RESPONSES", "base_url", "both", "deepva_status"]

PREFIX = "/api/v1"
RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": DeepvaError} for code in (400, 401, 404, 405, 429, 500)
}


def deepva_status(status: int) -> int:
    """The document's status for a native one: its table's codes stay, other 4xx are 400."""
    if status >= 500:
        return 500
    return status if status in ERROR_NAMES else 400


def _render(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    out = deepva_status(status)
    return error_response(out, code, message, details, headers, extra={"type": ERROR_NAMES[out]})


ERRORS = ErrorDialect(
    prefixes=tuple(f"{PREFIX}/{name}" for name in ("jobs", "storage", "modules", "webhooks")),
    render=_render,
)


def both(
    router: APIRouter, method: str, path: str, **kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route on ``path + "/"`` (documented) and ``path`` (the same, undocumented)."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(f"{path}/", endpoint, methods=[method], **kwargs)
        router.add_api_route(path, endpoint, methods=[method], include_in_schema=False, **kwargs)
        return endpoint

    return register


def base_url(request: Request, services: AppServices) -> str:
    """The public base URL (``FRAMELENS_PUBLIC_BASE_URL``), else the request's own."""
    return services.settings.public_base_url or str(request.base_url)
