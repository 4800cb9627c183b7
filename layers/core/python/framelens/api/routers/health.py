"""``GET /health``: liveness and readiness, no auth (seed 000: for load balancers).

Readiness includes storage: when the stores cannot be read or (embedded backend) written — a
full disk, a read-only database — the answer is 503 ``degraded`` with the reasons, so a load
balancer stops sending work; reads of finished jobs may still succeed meanwhile. Missing models
are reported as ``degraded`` with 200 (the server still serves stored results).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from framelens import __version__
from framelens.api.deps import AppServices, ServicesDep
from framelens.models.manifests import DEFAULT_DETECTOR
from framelens.schemas.health import Health, StorageDown

router = APIRouter(tags=["health"])


def health_body(services: AppServices) -> dict[str, Any]:
    """The state of stores and models; ``degraded`` with ``reasons`` when something is wrong."""
    storage = services.storage.check()
    reasons = list(storage.reasons)
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
        "stores": storage.stores,
        "models": models,
    }
    if reasons:
        body["reasons"] = reasons
    return body


# The seed health routes' 503 (their ``ok`` bodies are the seeds'; this one is ours).
STORAGE_DOWN: dict[int | str, dict[str, Any]] = {
    503: {
        "model": StorageDown,
        "description": "Storage cannot be used (a full disk, a read-only database); "
        "`reasons` say why; retry after `Retry-After` seconds.",
    }
}
_RETRY_AFTER_S = "30"


def storage_unavailable(services: AppServices) -> JSONResponse | None:
    """A 503 ``degraded`` answer naming why storage cannot be used, or ``None`` when it can
    (for seed health routes, whose ``ok`` bodies differ)."""
    storage = services.storage.check()
    if storage.ok:
        return None
    body = StorageDown(stores=storage.stores, reasons=storage.reasons)
    return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": _RETRY_AFTER_S})


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


@router.get(
    "/health",
    summary="Liveness and readiness (no auth)",
    response_model=Health,
    response_model_exclude_none=True,
    responses={
        503: {
            "model": Health,
            "description": "Storage cannot be used (a full disk, a read-only database): "
            "`status` is `degraded` and `reasons` say why; retry after `Retry-After` seconds.",
        }
    },
)
def health(services: ServicesDep) -> dict[str, Any] | JSONResponse:
    """``{"status": "ok", ...}`` with the state of each store and which models are installed."""
    body = health_body(services)
    if any(state != "ok" for state in body["stores"].values()):
        return JSONResponse(body, status_code=503, headers={"Retry-After": _RETRY_AFTER_S})
    return body
