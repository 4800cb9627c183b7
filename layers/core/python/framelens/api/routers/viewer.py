"""The results viewer: static pages served by the API app itself (no build step, no server).

``GET /`` is the page; ``/viewer/*`` its modules and style. Everything the page shows comes from
the documented API with the key the user enters (kept for the browser session only).
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC", "router", "static_files"]

STATIC = resources.files("framelens.api") / "static"
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def viewer() -> HTMLResponse:
    """The viewer's page."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


def static_files() -> StaticFiles:
    """The page's modules and style (mounted at ``/viewer``)."""
    return StaticFiles(directory=str(STATIC))
