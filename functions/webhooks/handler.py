"""The delivery function (a doorway): sends due webhook deliveries (``jobs.delivery_worker``) until
none is due or time is nearly up; scheduled every minute, woken when one is queued."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from framelens.jobs.delivery_worker import DeliveryWorker
from framelens.runtime import Services, build_services

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@cache
def _services() -> Services:
    return build_services()


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Send what is due, round after round; returns how many deliveries were attempted."""
    services = _services()
    settings = services.settings
    worker = DeliveryWorker(
        services.deliveries,
        concurrency=settings.webhook_concurrency,
        per_host=settings.webhook_per_host,
    )
    # One more round only while it can finish: an attempt takes at most the webhook timeout.
    margin_ms = (settings.webhook_timeout_s + 5) * 1000
    sent = 0
    while (count := worker.run_now()) and context.get_remaining_time_in_millis() > margin_ms:
        sent += count
    return {"sent": sent + count}
