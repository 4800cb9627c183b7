"""``/v1/webhooks/deliveries``: a tenant's webhook deliveries, and sending one again.

Every webhook — a job's own (``webhook`` on ``POST /v1/jobs``, seed 001's ``webhook_url``) and
each event for a seed 003 subscription — is a delivery record, retried on a schedule of hours;
these routes show how each went and redeliver one that failed (or that a receiver lost). Bodies
and secrets are never returned.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.schemas import ErrorEnvelope
from framelens.schemas.deliveries import DeliveryList, DeliveryPublic, DeliveryState

__all__ = ["router"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422, 429)
}
router = APIRouter(prefix="/v1/webhooks/deliveries", tags=["webhooks"], responses=_ERRORS)


@router.get("", response_model=DeliveryList, summary="List webhook deliveries, newest first")
def list_deliveries(
    principal: CurrentPrincipal,
    services: ServicesDep,
    state: Annotated[
        DeliveryState | None, Query(description="Only deliveries in this state.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DeliveryList:
    """A page of the caller's deliveries (``state=failed``: the ones given up); pass
    ``next_cursor`` back as ``cursor`` for the next."""
    found, nxt = services.deliveries.list(
        principal.tenant_id, state=state, limit=limit, cursor=cursor
    )
    return DeliveryList(data=[DeliveryPublic.from_record(d) for d in found], next_cursor=nxt)


@router.get("/{delivery_id}", response_model=DeliveryPublic, summary="A webhook delivery")
def get_delivery(
    delivery_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> DeliveryPublic:
    """One delivery; unknown and other tenants' ids are both 404."""
    return DeliveryPublic.from_record(services.deliveries.get(principal.tenant_id, delivery_id))


@router.post(
    "/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryPublic,
    responses={409: {"model": ErrorEnvelope, "description": "Still pending or being sent."}},
    summary="Send a delivery again",
)
def redeliver(
    delivery_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> DeliveryPublic:
    """Queue a ``delivered`` or ``failed`` delivery again, the same body on a fresh retry
    schedule (202; 409 while it is still ``pending`` or ``sending``)."""
    queued = services.deliveries.redeliver(principal.tenant_id, delivery_id)
    return DeliveryPublic.from_record(queued)
