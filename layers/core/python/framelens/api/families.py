"""Route families, loaded on first use: a cold process imports only the routes it is asked for.

Owns: ``FAMILIES`` (the first path segment → the routers serving it, imported by a function) and
``FamilyLoader``, the outermost middleware that includes a family's routers into its place in
the app before the first request under that segment is routed. Does not own the routes, their
order inside a family (as listed) or the app (``api.app``).

Why: importing every router and its models is about a third of the API Lambda's cold start,
and a container usually serves one family (the native API, or one seed dialect). Every route's
first path segment names exactly one family, so routing is the same whichever families are
loaded (``tests/e2e/test_route_families.py`` holds the map against the eager app). The OpenAPI
document and the docs pages load every family first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import APIRouter

from framelens.api.errors import add_error_dialect

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import FastAPI
    from starlette.types import ASGIApp, Receive, Scope, Send

    from framelens.api.errors import ErrorDialect

__all__ = ["FAMILIES", "Family", "FamilyLoader", "load_all", "segment"]


@dataclass(frozen=True)
class Family:
    """The routers under one first path segment, in routing order, and their error dialect."""

    routers: Callable[[], list[APIRouter]]
    dialect: Callable[[], ErrorDialect] | None = None


def _native() -> list[APIRouter]:
    from framelens.api.routers import (
        identities,
        insights,
        job_identities,
        jobs,
        latency,
        media,
        webhooks,
    )
    from framelens.api.seeds import images, videos

    return [
        media.public,
        media.router,
        jobs.router,
        jobs.modules_router,
        latency.router,
        webhooks.router,
        identities.router,
        job_identities.router,
        insights.router,
        insights.links_router,
        videos.router,
        images.router,
    ]


def _deepva_and_streaming() -> list[APIRouter]:
    from framelens.api.seeds import deepva, deepva_storage, deepva_webhooks, streaming

    return [streaming.router, deepva.router, deepva_storage.router, deepva_webhooks.router]


def _deepva_errors() -> ErrorDialect:
    from framelens.api.seeds import deepva

    return deepva.ERRORS


def _best_frame() -> list[APIRouter]:
    from framelens.api.seeds import best_frame

    return [best_frame.health_router, best_frame.router]


def _detection() -> list[APIRouter]:
    from framelens.api.seeds import detection

    return [detection.health_router, detection.router]


def _tracking() -> list[APIRouter]:
    from framelens.api.seeds import tracking

    return [tracking.health_router, tracking.router]


def _ocr() -> list[APIRouter]:
    from framelens.api.seeds import ocr

    return [ocr.health_router, ocr.router]


def _activity() -> list[APIRouter]:
    from framelens.api.seeds import activity

    return [activity.router]


FAMILIES: dict[str, Family] = {
    "v1": Family(_native),
    "api": Family(_deepva_and_streaming, _deepva_errors),
    "best_frame_selection": Family(_best_frame),
    "detection": Family(_detection),
    "tracking": Family(_tracking),
    "ocr": Family(_ocr),
    "human_activity": Family(_activity),
}
# Pages that describe every route.
_EVERYTHING = frozenset({"openapi.json", "docs", "redoc"})


def segment(path: str) -> str:
    """The first segment of ``path`` (``/v1/jobs`` → ``v1``)."""
    return path.lstrip("/").split("/", 1)[0]


@dataclass
class _Slots:
    """Each family's (empty until loaded) router, included in the app in routing order."""

    holders: dict[str, APIRouter]
    loaded: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def install(app: FastAPI) -> None:
    """Give every family its place in ``app`` (an empty router now, filled on first use)."""
    slots = _Slots({name: APIRouter() for name in FAMILIES})
    for holder in slots.holders.values():
        app.include_router(holder)
    app.state.route_families = slots
    app.state.routes_version = 0


def load(app: FastAPI, names: set[str] | frozenset[str]) -> None:
    """Include the routers of the families ``names`` that are not loaded yet (thread-safe)."""
    slots: _Slots = app.state.route_families
    if names <= slots.loaded:
        return
    with slots.lock:
        for name in sorted(names - slots.loaded):
            family = FAMILIES[name]
            for router in family.routers():
                slots.holders[name].include_router(router)
            if family.dialect is not None:
                add_error_dialect(app, family.dialect())
            slots.loaded.add(name)
            app.state.routes_version += 1
            app.openapi_schema = None


def load_all(app: FastAPI) -> None:
    """Every family (the OpenAPI document, the docs pages)."""
    load(app, frozenset(FAMILIES))


class FamilyLoader:
    """ASGI middleware: loads the family a request's path names before anything routes it."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path, root = scope.get("path", ""), scope.get("root_path", "")
            first = segment(path[len(root) :] if root and path.startswith(root) else path)
            if first in FAMILIES:
                load(self.fastapi_app, {first})
            elif first in _EVERYTHING:
                load_all(self.fastapi_app)
        await self.app(scope, receive, send)
