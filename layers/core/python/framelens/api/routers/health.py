"""``GET /health``: liveness and readiness, no auth (seed 000: for load balancers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from framelens import __version__
from framelens.api.deps import AppServices, ServicesDep
from framelens.models.manifests import DEFAULT_DETECTOR

router = APIRouter(tags=["health"])


def health_body(services: AppServices) -> dict[str, Any]:
    """The state of stores and models; ``degraded`` with ``reasons`` when something is wrong."""
    stores = services.stores.health()
    reasons = [f"store {name}: {state}" for name, state in stores.items() if state != "ok"]
    try:
        loaded = services.models.loaded()
        listed = services.models.list()
        models: dict[str, Any] = {
            m.name: {"installed": m.installed, "verified": m.verified, "loaded": loaded.get(m.name)}
            for m in listed
        }
        if not any(m.installed for m in listed if m.name == DEFAULT_DETECTOR):
            reasons.append(_no_models(services.settings.model_dir))
    except Exception as exc:  # noqa: BLE001 - health reports problems, never raises
        models = {"error": type(exc).__name__}
        reasons.append(f"the model registry failed ({type(exc).__name__})")
    body: dict[str, Any] = {
        "status": "degraded" if reasons else "ok",
        "version": __version__,
        "backend": services.settings.backend,
        "stores": stores,
        "models": models,
    }
    if reasons:
        body["reasons"] = reasons
    return body


def _no_models(model_dir: Path | None) -> str:
    where = (
        f"FRAMELENS_MODEL_DIR={model_dir} does not exist"
        if model_dir is not None and not model_dir.is_dir()
        else "no model directory holds it"
    )
    return (
        f"the default detector {DEFAULT_DETECTOR} is not installed ({where}): put ../shared "
        "beside the checkout and set "
        "FRAMELENS_MODEL_DIR=../shared/models (make run does), or `framelens models pull NAME`"
    )


@router.get("/health", summary="Liveness and readiness (no auth)")
def health(services: ServicesDep) -> dict[str, Any]:
    """``{"status": "ok", ...}`` with the state of each store and which models are installed."""
    return health_body(services)
