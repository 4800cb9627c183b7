"""The app factory: assembles routers, error handlers and the OpenAPI document. Nothing else.

Examples:
    >>> from framelens.runtime import build_services
    >>> app = create_app(build_services())  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from framelens import __version__
from framelens.api.errors import add_error_dialect, install_error_handlers
from framelens.api.guard import RequestGuard
from framelens.api.openapi_statuses import document_guard_statuses
from framelens.api.routers import (
    health,
    identities,
    insights,
    job_identities,
    jobs,
    latency,
    media,
    viewer,
    webhooks,
)
from framelens.api.seeds import (
    activity,
    best_frame,
    deepva,
    deepva_storage,
    deepva_webhooks,
    detection,
    images,
    ocr,
    streaming,
    tracking,
    videos,
)

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
    app.include_router(health.router)
    app.include_router(media.public)
    app.include_router(media.router)
    app.include_router(jobs.router)
    app.include_router(jobs.modules_router)
    app.include_router(latency.router)
    app.include_router(webhooks.router)
    app.include_router(identities.router)
    app.include_router(job_identities.router)
    app.include_router(insights.router)
    app.include_router(insights.links_router)
    app.include_router(viewer.router)
    app.mount("/viewer", viewer.static_files(), name="viewer")
    seed_routers = (
        best_frame.health_router,
        best_frame.router,
        videos.router,
        detection.health_router,
        detection.router,
        tracking.health_router,
        tracking.router,
        ocr.health_router,
        ocr.router,
        activity.router,
        images.router,
        streaming.router,
        deepva.router,
        deepva_storage.router,
        deepva_webhooks.router,
    )
    for router in seed_routers:
        app.include_router(router)
    add_error_dialect(app, deepva.ERRORS)
    document_guard_statuses(app)
    return app
