"""The results viewer: static pages served by the API app itself (no build step, no server).

``GET /`` is the page; ``/viewer/*`` its modules and style. Everything the page shows comes from
the documented API with the key the user enters (kept for the browser session only). Every URL
the page uses is relative to its ``<base>``, the app's root path, so it works behind API
Gateway's stage (``/v1/``) as well as at a local server's ``/``.
"""

from __future__ import annotations

import html
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC", "router", "static_files"]

STATIC = resources.files("framelens.api") / "static"
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def viewer(request: Request) -> HTMLResponse:
    """The viewer's page, its ``<base>`` at the app's root (the stage behind API Gateway)."""
    root = html.escape(str(request.scope.get("root_path", "")).rstrip("/"), quote=True)
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{ROOT}}", root)
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


def static_files() -> StaticFiles:
    """The page's modules and style (mounted at ``/viewer``)."""
    return StaticFiles(directory=str(STATIC))
