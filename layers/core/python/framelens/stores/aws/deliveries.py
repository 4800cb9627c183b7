"""Webhook deliveries in DynamoDB: the aws ``DeliveryStore`` (the delivery queue in AWS).

Owns: the delivery items of the webhooks table (designed in ``tables``: pk ``tenant_id``, sk
``out#<delivery id>``; ``due_shard``/``due_at`` present only while the delivery is to be sent,
so the sparse GSI ``by_due`` lists exactly what is due) and the conditional writes on
``version``. Does not own sending or retry rules (``jobs.deliveries``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import ConflictError, NotFoundError, ValidationError
from framelens.schemas.deliveries import Delivery
from framelens.stores.aws._client import decode_cursor, encode_cursor, error_code, iso, translate
from framelens.stores.aws.tables import BY_DUE, TTL_ATTRIBUTE

if TYPE_CHECKING:
    import builtins
    from datetime import datetime

    from framelens.stores.aws._client import AwsClients

__all__ = ["DynamoDeliveryStore"]

_AWS_ERRORS = (ClientError, BotoCoreError)
_PREFIX = "out#"
_SHARD = "due"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class DynamoDeliveryStore:
    """``DeliveryStore`` on the webhooks table.

    Args:
        clients: The shared lazily built clients.
        table: The webhooks table (``FRAMELENS_WEBHOOKS_TABLE``).
        ttl_days: Days after creation when DynamoDB may expire a delivery record.
    """

    def __init__(self, clients: AwsClients, table: str, ttl_days: int = 30) -> None:
        self.clients = clients
        self.table = table
        self.ttl_days = ttl_days

    def _item(self, delivery: Delivery) -> dict[str, Any]:
        expires = delivery.time_created + timedelta(days=self.ttl_days)
        item: dict[str, Any] = {
            "tenant_id": _s(delivery.tenant_id),
            "sk": _s(_PREFIX + delivery.delivery_id),
            "state": _s(delivery.state),
            "version": {"N": str(delivery.version)},
            "body": _s(delivery.model_dump_json()),
            TTL_ATTRIBUTE: {"N": str(int(expires.timestamp()))},
        }
        if delivery.subscription_id is not None:
            item["subscription_id"] = _s(delivery.subscription_id)
        due = delivery.due_at
        if due is not None:
            item["due_shard"] = _s(_SHARD)
            item["due_at"] = _s(iso(due))
        return item

    def create(self, delivery: Delivery) -> bool:
        """Store a new record; False when its id exists already (nothing is written)."""
        try:
            self.clients.dynamodb.put_item(
                TableName=self.table,
                Item=self._item(delivery),
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            translate(exc, f"delivery {delivery.delivery_id}")
        except BotoCoreError as exc:
            translate(exc, f"delivery {delivery.delivery_id}")
        return True

    def get(self, tenant_id: str, delivery_id: str) -> Delivery:
        """The tenant's delivery. Raises ``NotFoundError`` for unknown and foreign ids."""
        key = {"tenant_id": _s(tenant_id), "sk": _s(_PREFIX + delivery_id)}
        try:
            out = self.clients.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        except _AWS_ERRORS as exc:
            translate(exc, f"delivery {delivery_id}")
        if "Item" not in out:
            raise NotFoundError(f"Delivery {delivery_id} not found.")
        return Delivery.model_validate_json(out["Item"]["body"]["S"])

    def update(self, delivery: Delivery) -> Delivery:
        """Write it if the stored version is ``delivery.version``; the version goes up by one.

        Raises:
            ConflictError: another writer changed the record first.
            NotFoundError: no such record.
        """
        new = delivery.model_copy(update={"version": delivery.version + 1})
        try:
            self.clients.dynamodb.put_item(
                TableName=self.table,
                Item=self._item(new),
                ConditionExpression="attribute_exists(sk) AND version = :v",
                ExpressionAttributeValues={":v": {"N": str(delivery.version)}},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                translate(exc, f"delivery {delivery.delivery_id}")
            self.get(delivery.tenant_id, delivery.delivery_id)  # NotFoundError when it is gone
            raise ConflictError(f"delivery {delivery.delivery_id} changed meanwhile") from exc
        except BotoCoreError as exc:
            translate(exc, f"delivery {delivery.delivery_id}")
        return new

    def due(self, now: datetime, limit: int = 100) -> builtins.list[Delivery]:
        """Records (every tenant) whose ``due_at`` is at or before ``now``, earliest first."""
        try:
            out = self.clients.dynamodb.query(
                TableName=self.table,
                IndexName=BY_DUE,
                KeyConditionExpression="due_shard = :d AND due_at <= :now",
                ExpressionAttributeValues={":d": _s(_SHARD), ":now": _s(iso(now))},
                Limit=max(1, limit),
            )
        except _AWS_ERRORS as exc:
            translate(exc, "due deliveries")
        return [Delivery.model_validate_json(i["body"]["S"]) for i in out.get("Items", [])]

    def list(
        self,
        tenant_id: str,
        *,
        state: str | None = None,
        subscription_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[builtins.list[Delivery], str | None]:
        """The tenant's deliveries newest first, filtered, and the next page's cursor."""
        values: dict[str, Any] = {":t": _s(tenant_id), ":p": _s(_PREFIX)}
        filters: list[str] = []
        names: dict[str, str] = {}
        if state is not None:
            filters.append("#st = :s")
            names["#st"] = "state"
            values[":s"] = _s(state)
        if subscription_id is not None:
            filters.append("subscription_id = :sub")
            values[":sub"] = _s(subscription_id)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "tenant_id = :t AND begins_with(sk, :p)",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if cursor is not None:
            start = decode_cursor(cursor, {"tenant_id", "sk"})
            if start["tenant_id"] != tenant_id or not start["sk"].startswith(_PREFIX):
                raise ValidationError("The cursor is not valid; pass back a next_cursor value.")
            kwargs["ExclusiveStartKey"] = {k: _s(v) for k, v in start.items()}
        want = max(1, limit)
        items: list[dict[str, Any]] = []
        while True:  # a filter may leave pages short: read on until the page is full
            kwargs["Limit"] = want + 1 - len(items)
            try:
                out = self.clients.dynamodb.query(**kwargs)
            except _AWS_ERRORS as exc:
                translate(exc, f"deliveries of {tenant_id}")
            items.extend(out.get("Items", []))
            if len(items) > want or "LastEvaluatedKey" not in out:
                break
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        page = items[:want]
        found = [Delivery.model_validate_json(i["body"]["S"]) for i in page]
        if len(items) <= want:
            return found, None
        last = page[-1]
        return found, encode_cursor({"tenant_id": tenant_id, "sk": last["sk"]["S"]})

    def ping(self) -> None:
        """``DescribeTable``: the table exists and we may use it."""
        try:
            self.clients.dynamodb.describe_table(TableName=self.table)
        except _AWS_ERRORS as exc:
            translate(exc, f"table {self.table}")
