"""Webhook subscriptions in DynamoDB: the aws ``WebhookStore``.

Owns: the subscription items of the webhooks table (designed in ``tables``: pk ``tenant_id``, sk
``sub#<id>``). Does not own the rules (``jobs.subscriptions``) or deliveries
(``aws.deliveries``, in the same table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import NotFoundError
from framelens.schemas.subscriptions import WebhookSubscription
from framelens.stores.aws._client import error_code, translate

if TYPE_CHECKING:
    import builtins

    from framelens.stores.aws._client import AwsClients

__all__ = ["DynamoWebhookStore"]

_AWS_ERRORS = (ClientError, BotoCoreError)


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _sub_key(tenant_id: str, subscription_id: str) -> dict[str, Any]:
    return {"tenant_id": _s(tenant_id), "sk": _s(f"sub#{subscription_id}")}


class DynamoWebhookStore:
    """``WebhookStore`` on the webhooks table.

    Args:
        clients: The shared lazily built clients.
        table: The webhooks table (``FRAMELENS_WEBHOOKS_TABLE``).
    """

    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients = clients
        self.table = table

    def put_subscription(self, subscription: WebhookSubscription) -> None:
        """Create or replace a subscription."""
        item = {
            **_sub_key(subscription.tenant_id, subscription.subscription_id),
            "body": _s(subscription.model_dump_json()),
        }
        try:
            self.clients.dynamodb.put_item(TableName=self.table, Item=item)
        except _AWS_ERRORS as exc:
            translate(exc, f"webhook {subscription.subscription_id}")

    def get_subscription(self, tenant_id: str, subscription_id: str) -> WebhookSubscription:
        """The tenant's subscription. Raises ``NotFoundError`` for unknown and foreign ids."""
        item = self._get(_sub_key(tenant_id, subscription_id), f"webhook {subscription_id}")
        if item is None:
            raise NotFoundError(f"Webhook {subscription_id} not found.")
        return WebhookSubscription.model_validate_json(item["body"]["S"])

    def list_subscriptions(self, tenant_id: str) -> builtins.list[WebhookSubscription]:
        """The tenant's subscriptions, oldest first."""
        items = self._query(tenant_id, "sub#", forward=True, limit=None)
        subs = [WebhookSubscription.model_validate_json(i["body"]["S"]) for i in items]
        return sorted(subs, key=lambda s: (s.time_created, s.subscription_id))

    def delete_subscription(self, tenant_id: str, subscription_id: str) -> None:
        """Remove the subscription. Raises ``NotFoundError``."""
        try:
            self.clients.dynamodb.delete_item(
                TableName=self.table,
                Key=_sub_key(tenant_id, subscription_id),
                ConditionExpression="attribute_exists(sk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise NotFoundError(f"Webhook {subscription_id} not found.") from exc
            translate(exc, f"webhook {subscription_id}")
        except BotoCoreError as exc:
            translate(exc, f"webhook {subscription_id}")

    def ping(self) -> None:
        """``DescribeTable``: the table exists and we may use it."""
        try:
            self.clients.dynamodb.describe_table(TableName=self.table)
        except _AWS_ERRORS as exc:
            translate(exc, f"table {self.table}")

    def _get(self, key: dict[str, Any], what: str) -> dict[str, Any] | None:
        try:
            out = self.clients.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        except _AWS_ERRORS as exc:
            translate(exc, what)
        item: dict[str, Any] | None = out.get("Item")
        return item

    def _query(
        self, tenant_id: str, prefix: str, *, forward: bool, limit: int | None
    ) -> builtins.list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "tenant_id = :t AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":t": _s(tenant_id), ":p": _s(prefix)},
            "ScanIndexForward": forward,
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(items)
            try:
                out = self.clients.dynamodb.query(**kwargs)
            except _AWS_ERRORS as exc:
                translate(exc, f"webhooks of {tenant_id}")
            items.extend(out.get("Items", []))
            start = out.get("LastEvaluatedKey")
            if start is None or (limit is not None and len(items) >= limit):
                return items
            kwargs["ExclusiveStartKey"] = start
