"""``GET /v1/latency`` (seed 001): observed processing latency per media unit."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.schemas import ErrorEnvelope
from framelens.schemas.seeds.videos import Latency

router = APIRouter(prefix="/v1", tags=["latency"])


@router.get(
    "/latency",
    response_model=Latency,
    responses={code: {"model": ErrorEnvelope} for code in (401, 422, 429)},
    summary="Observed latency per media unit, from finished jobs",
)
def latency(
    media_type: Literal["video", "image"], _: CurrentPrincipal, services: ServicesDep
) -> Any:
    """``latency_ms_per_unit`` is null until a job of that media type has finished."""
    return services.latency.get(media_type)
