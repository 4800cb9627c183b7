"""The app factory: assembles routers, error handlers and the OpenAPI document. Nothing else.

Health and the viewer are included at once; every other route family (the native API, each seed
dialect) takes its place now and is imported on first use (``api.families``).

Examples:
    >>> from framelens.runtime import build_services
    >>> app = create_app(build_services())  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from framelens import __version__
from framelens.api import families
from framelens.api.errors import install_error_handlers
from framelens.api.guard import RequestGuard
from framelens.api.openapi_statuses import document_guard_statuses
from framelens.api.routers import health, viewer

if TYPE_CHECKING:
    from framelens.api.deps import AppServices

__all__ = ["create_app"]

_DESCRIPTION = """
Framelens sees what is in images and videos. Authenticate with `X-API-Key: <key>`,
`Authorization: Key <key>` or `Authorization: Bearer <key>`. Every error has the shape
`{"error": {"code", "message", "details"}, "detail": "..."}`.
"""


def create_app(services: AppServices, *, body_timeout_s: float = 20.0) -> FastAPI:
    """The FastAPI app over ``services`` (the local server and the API Lambda share it).

    ``body_timeout_s``: a request body that stops arriving for this long is a 408.
    """
    app = FastAPI(
        title="Framelens",
        version=__version__,
        description=_DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(RequestGuard, body_timeout_s=body_timeout_s)
    app.add_middleware(families.FamilyLoader, fastapi_app=app)
    app.include_router(health.router)
    families.install(app)
    app.include_router(viewer.router)
    app.mount("/viewer", viewer.static_files(), name="viewer")
    document_guard_statuses(app)
    _describe_everything(app)
    return app


def _describe_everything(app: FastAPI) -> None:
    """``app.openapi()`` loads every family first, however it is called."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        families.load_all(app)
        return generate()

    app.openapi = openapi  # type: ignore[method-assign]
