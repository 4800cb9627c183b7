"""Seed 003 (DeepVA) webhooks: ``/api/v1/webhooks/`` — subscribe a URL to job events.

"To avoid spamming the /jobs endpoint you can subscribe to a webhook for several events": a
subscription receives ``job.created``, ``job.started``, ``job.completed``, ``job.failed`` and
``job.cancelled`` (the ones it names) of every job of the tenant, whichever API created the job.
Each delivery POSTs ``{"event", "delivery_id", "time", "job"}`` (the job in this dialect's shape),
signed like job webhooks (``X-Webhook-Signature``: hex HMAC-SHA256 of the body with the secret)
and delivered the same way (durable records, retried for hours: ``/v1/webhooks/deliveries``);
``GET /{id}/deliveries/`` shows how each went.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.seeds._deepva import PREFIX, RESPONSES, both
from framelens.errors import StoreError
from framelens.jobs.fetch import vet_url
from framelens.jobs.subscriptions import SubscriptionService
from framelens.schemas.seeds.deepva import (
    DeepvaWebhook,
    DeepvaWebhookCreate,
    DeepvaWebhookDeliveryList,
    DeepvaWebhookList,
    deepva_delivery,
    deepva_webhook,
)

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, tags=["seed 003: DeepVA"], responses=RESPONSES)


def _service(services: ServicesDep) -> SubscriptionService:
    store = services.stores.webhooks
    if store is None:
        raise StoreError("this deployment has no webhook store")
    guard = partial(vet_url, allow_private=services.settings.allow_private_network)
    return SubscriptionService(store, services.deliveries, guard)


SubscriptionsDep = Annotated[SubscriptionService, Depends(_service)]


@both(
    router, "POST", "/webhooks", status_code=201, response_model=DeepvaWebhook, summary="Subscribe"
)
def create_webhook(
    body: DeepvaWebhookCreate, principal: CurrentPrincipal, subs: SubscriptionsDep
) -> DeepvaWebhook:
    """POST ``events`` of every job to ``url`` (https, public), signed when ``secret`` is set."""
    return deepva_webhook(subs.create(principal.tenant_id, body.url, body.events, body.secret))


@both(router, "GET", "/webhooks", response_model=DeepvaWebhookList, summary="List subscriptions")
def list_webhooks(principal: CurrentPrincipal, subs: SubscriptionsDep) -> DeepvaWebhookList:
    """The tenant's subscriptions, oldest first."""
    return DeepvaWebhookList(data=[deepva_webhook(s) for s in subs.list(principal.tenant_id)])


@both(router, "GET", "/webhooks/{webhook_id}", response_model=DeepvaWebhook, summary="A webhook")
def get_webhook(
    webhook_id: str, principal: CurrentPrincipal, subs: SubscriptionsDep
) -> DeepvaWebhook:
    """One subscription (its secret is never shown)."""
    return deepva_webhook(subs.get(principal.tenant_id, webhook_id))


@both(
    router,
    "DELETE",
    "/webhooks/{webhook_id}",
    status_code=204,
    response_class=Response,
    summary="Unsubscribe",
)
def delete_webhook(
    webhook_id: str, principal: CurrentPrincipal, subs: SubscriptionsDep
) -> Response:
    """Remove the subscription; its deliveries not yet sent are not sent."""
    subs.delete(principal.tenant_id, webhook_id)
    return Response(status_code=204)


@both(
    router,
    "GET",
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeepvaWebhookDeliveryList,
    summary="The latest deliveries of a webhook",
)
def list_deliveries(
    webhook_id: str,
    principal: CurrentPrincipal,
    subs: SubscriptionsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeepvaWebhookDeliveryList:
    """Newest first: the event, its job, and whether and when it was delivered."""
    found = subs.deliveries(principal.tenant_id, webhook_id, limit)
    return DeepvaWebhookDeliveryList(data=[deepva_delivery(d) for d in found])
