"""Route families load on first use: a request imports only its family, and routing, errors and
the OpenAPI document are what they would be with every family loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.routing import iter_route_contexts

from framelens.api.families import FAMILIES, segment

if TYPE_CHECKING:
    from tests.e2e.conftest import Env

# Included at once, not a family: health, the viewer page and its files, FastAPI's own pages.
EAGER_SEGMENTS = {"health", "", "viewer", "docs", "openapi.json", "redoc"}


def _loaded(env: Env) -> set[str]:
    return set(env.client.app.state.route_families.loaded)  # type: ignore[attr-defined]


def test_a_request_loads_only_the_family_its_path_names(env: Env) -> None:
    # GIVEN a fresh app: no family loaded
    assert _loaded(env) == set()
    # WHEN a native route is asked for (without a key)
    resp = env.client.get("/v1/jobs")
    # THEN it answers as ever (401) and only the native family was loaded
    assert resp.status_code == 401
    assert _loaded(env) == {"v1"}
    # AND a seed 003 path loads its family, whose error dialect answers at once
    resp = env.client.get("/api/v1/jobs/")
    assert resp.status_code == 401
    assert resp.json()["type"] == "NotAuthenticated"  # DeepVA's error table, not the native one
    assert _loaded(env) == {"v1", "api"}


def test_an_unknown_path_is_a_404_and_loads_nothing(env: Env) -> None:
    resp = env.client.get("/nothing/here")
    assert resp.status_code == 404
    assert _loaded(env) == set()


def test_the_openapi_document_loads_every_family(env: Env) -> None:
    # WHEN the document is read first thing
    doc = env.client.get("/openapi.json").json()
    # THEN every family is loaded and each family's routes are documented
    assert _loaded(env) == set(FAMILIES)
    for path in ("/v1/jobs", "/api/v1/jobs/", "/detection/detect/media", "/ocr/api/ocr"):
        assert path in doc["paths"], path


def test_every_route_belongs_to_the_family_its_first_segment_names(env: Env) -> None:
    # GIVEN every family loaded
    env.client.get("/openapi.json")
    app = env.client.app
    holders = app.state.route_families.holders  # type: ignore[attr-defined]
    in_family = {
        name: {rc.path_format for rc in iter_route_contexts(holder.routes)}
        for name, holder in holders.items()
    }
    # THEN each route's first segment is its family's (or one served at once), so routing a path
    # never depends on which families happen to be loaded
    for rc in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        first = segment(rc.path_format)
        if first in EAGER_SEGMENTS:
            assert all(rc.path_format not in paths for paths in in_family.values())
        else:
            assert rc.path_format in in_family[first], rc.path_format
