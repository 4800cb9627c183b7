"""Waking the delivery function when a webhook delivery is queued (AWS).

Owns: one asynchronous invoke (``InvocationType=Event``) of the delivery function, so a queued
delivery is sent within seconds instead of at the next scheduled run. Never raises: the record
is already durable, and the schedule (every minute) sends it anyway. Does not own sending
(``functions/webhooks``, ``jobs.delivery_worker``).
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

__all__ = ["DeliveryKick"]

log = logging.getLogger(__name__)


class DeliveryKick:
    """Invokes the delivery function with an empty event.

    Args:
        function_name: The function (``FRAMELENS_WEBHOOK_FUNCTION``, set by the stack).
        client: An injected ``lambda`` client (tests); created on first use otherwise.
    """

    def __init__(self, function_name: str, client: Any | None = None) -> None:
        self._function = function_name
        self._client = client

    def __call__(self) -> None:
        """Ask the function to run now (best effort)."""
        try:
            if self._client is None:
                import boto3  # lazy: processes that queue nothing never pay for it

                self._client = boto3.client("lambda")
            self._client.invoke(FunctionName=self._function, InvocationType="Event", Payload=b"{}")
        except (ClientError, BotoCoreError) as exc:
            log.warning("the delivery function could not be woken (%s)", type(exc).__name__)
