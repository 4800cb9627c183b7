"""``GET /health``: liveness and readiness, no auth (seed 000: for load balancers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from framelens import __version__
from framelens.api.deps import ServicesDep

router = APIRouter(tags=["health"])


def health_body(services: Any) -> dict[str, Any]:
    """The state of stores and models, shared by the native and the seed health routes."""
    stores = services.stores.health()
    try:
        loaded = services.models.loaded()
        models: dict[str, Any] = {
            m.name: {"installed": m.installed, "verified": m.verified, "loaded": loaded.get(m.name)}
            for m in services.models.list()
        }
    except Exception as exc:  # noqa: BLE001 - health reports problems, never raises
        models = {"error": type(exc).__name__}
    healthy = all(v == "ok" for v in stores.values())
    return {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "backend": services.settings.backend,
        "stores": stores,
        "models": models,
    }


@router.get("/health", summary="Liveness and readiness (no auth)")
def health(services: ServicesDep) -> dict[str, Any]:
    """``{"status": "ok", ...}`` with the state of each store and which models are installed."""
    return health_body(services)
