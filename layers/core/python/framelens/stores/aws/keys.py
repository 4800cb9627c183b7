"""Keys, tenants and counters in the DynamoDB keys table: aws ``KeyStore`` and ``CounterStore``.

Owns: the ``key#`` / ``keyid#`` / ``tenant#`` / ``counter#`` items documented in ``tables``,
and counters that are exact under concurrency (a conditional ``ADD``) and treat expired but
not yet deleted items as 0 (DynamoDB TTL deletes lazily). Does not own hashing or limits.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import NotFoundError, StoreError
from framelens.schemas import KeyRecord, Tenant
from framelens.stores.aws._client import error_code, iso, num, scan_all, translate

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.stores.aws._client import AwsClients

__all__ = ["DynamoCounterStore", "DynamoKeyStore"]

_AWS_ERRORS = (ClientError, BotoCoreError)
# Each retry means another writer changed the counter in between; a few always suffice.
_MAX_ATTEMPTS = 20


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class _KeysTable:
    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients = clients
        self.table = table

    def _get(self, pk: str) -> dict[str, Any] | None:
        try:
            out = self.clients.dynamodb.get_item(
                TableName=self.table, Key={"pk": _s(pk)}, ConsistentRead=True
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"item {pk}")
        item: dict[str, Any] | None = out.get("Item")
        return item

    def ping(self) -> None:
        """``DescribeTable``: the table exists and we may use it."""
        try:
            self.clients.dynamodb.describe_table(TableName=self.table)
        except _AWS_ERRORS as exc:
            translate(exc, f"table {self.table}")


class DynamoKeyStore(_KeysTable):
    """``KeyStore`` on the keys table.

    Args:
        clients: The shared lazily built clients.
        table: The keys table (``FRAMELENS_KEYS_TABLE``).
    """

    def put_key(self, key: KeyRecord) -> None:
        """Create or replace a key record (revoking is a put with ``revoked=True``)."""
        common = {
            "body": _s(key.model_dump_json()),
            "tenant_id": _s(key.tenant_id),
            "time_created": _s(iso(key.time_created)),
            "key_id": _s(key.key_id),
        }
        by_hash = {"pk": _s(f"key#{key.key_hash}"), **common}
        by_id = {"pk": _s(f"keyid#{key.key_id}"), **common}
        try:
            # Both lookups change together, so a revoked key is never valid by hash alone.
            self.clients.dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table, "Item": by_hash}},
                    {"Put": {"TableName": self.table, "Item": by_id}},
                ]
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"key {key.key_id}")

    def get_key_by_hash(self, key_hash: str) -> KeyRecord | None:
        """The key whose secret hashes to ``key_hash``, revoked or not; ``None`` if unknown."""
        item = self._get(f"key#{key_hash}")
        return None if item is None else KeyRecord.model_validate_json(item["body"]["S"])

    def get_key(self, key_id: str) -> KeyRecord:
        """A key by id. Raises ``NotFoundError``."""
        item = self._get(f"keyid#{key_id}")
        if item is None:
            raise NotFoundError(f"Key {key_id} not found.")
        return KeyRecord.model_validate_json(item["body"]["S"])

    def list_keys(self, tenant_id: str | None = None) -> list[KeyRecord]:
        """Keys of one tenant, or of all tenants, oldest first (a filtered scan: keys are few)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "begins_with(pk, :p)",
            "ExpressionAttributeValues": {":p": _s("keyid#")},
        }
        if tenant_id is not None:
            kwargs["FilterExpression"] += " AND tenant_id = :t"
            kwargs["ExpressionAttributeValues"][":t"] = _s(tenant_id)
        items = scan_all(self.clients.dynamodb, "keys", **kwargs)
        items.sort(key=lambda i: (i["time_created"]["S"], i["key_id"]["S"]))
        return [KeyRecord.model_validate_json(i["body"]["S"]) for i in items]

    def put_tenant(self, tenant: Tenant) -> None:
        """Create or replace a tenant."""
        item = {"pk": _s(f"tenant#{tenant.tenant_id}"), "body": _s(tenant.model_dump_json())}
        try:
            self.clients.dynamodb.put_item(TableName=self.table, Item=item)
        except _AWS_ERRORS as exc:
            translate(exc, f"tenant {tenant.tenant_id}")

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant, or ``None``."""
        item = self._get(f"tenant#{tenant_id}")
        return None if item is None else Tenant.model_validate_json(item["body"]["S"])


class DynamoCounterStore(_KeysTable):
    """``CounterStore`` on the keys table.

    Args:
        clients: The shared lazily built clients.
        table: The keys table (``FRAMELENS_KEYS_TABLE``).
        clock: Epoch seconds; injected by tests to expire counters without sleeping.
    """

    def __init__(
        self, clients: AwsClients, table: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(clients, table)
        self.clock = clock

    def incr(
        self, name: str, amount: float, *, limit: float | None = None, ttl_s: int | None = None
    ) -> float | None:
        """Add ``amount`` unless the result would exceed ``limit``; ``None`` when refused.

        ``ttl_s`` sets the expiry when the counter is created (or re-created after expiring);
        later increments keep it, so a rate-limit window never slides.

        Raises:
            StoreError: The counter kept changing under us (pathological contention).
        """
        pk = f"counter#{name}"
        for _ in range(_MAX_ATTEMPTS):
            now = self.clock()
            try:
                return self._add(pk, amount, limit, ttl_s, now)
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    translate(exc, f"counter {name}")
            except BotoCoreError as exc:
                translate(exc, f"counter {name}")
            # The condition failed: expired, over the limit, or a racing reset. Find out which.
            item = self._get(pk)
            if item is None:
                if limit is not None and amount > limit:
                    return None
                continue
            expires = item.get("expires_at")
            if expires is not None and float(expires["N"]) <= now:
                if limit is not None and amount > limit:
                    return None
                if self._reset(pk, amount, ttl_s, now, expires["N"]):
                    return amount
                continue
            if limit is not None and float(item["v"]["N"]) + amount > limit:
                return None
        raise StoreError(f"Counter {name} is too contended; retry later.")

    def _add(
        self, pk: str, amount: float, limit: float | None, ttl_s: int | None, now: float
    ) -> float:
        names = {"#v": "v", "#e": "expires_at"}
        values: dict[str, Any] = {":a": {"N": num(amount)}, ":now": {"N": num(now)}}
        conditions = ["(attribute_not_exists(#e) OR #e > :now)"]
        if limit is not None:
            values[":m"] = {"N": num(limit - amount)}
            # A missing counter is 0: allowed only when the amount alone fits the limit.
            allowed_if_new = limit - amount >= 0
            conditions.append(
                "(attribute_not_exists(#v) OR #v <= :m)" if allowed_if_new else "#v <= :m"
            )
        update = "ADD #v :a"
        if ttl_s is not None:
            values[":exp"] = {"N": str(math.ceil(now + ttl_s))}
            update += " SET #e = if_not_exists(#e, :exp)"
        out = self.clients.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": _s(pk)},
            UpdateExpression=update,
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="UPDATED_NEW",
        )
        return float(out["Attributes"]["v"]["N"])

    def _reset(self, pk: str, amount: float, ttl_s: int | None, now: float, old: str) -> bool:
        item: dict[str, Any] = {"pk": _s(pk), "v": {"N": num(amount)}}
        if ttl_s is not None:
            item["expires_at"] = {"N": str(math.ceil(now + ttl_s))}
        try:
            # Only replace the very expired item we saw; a racing reset wins and we retry.
            self.clients.dynamodb.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="expires_at = :old",
                ExpressionAttributeValues={":old": {"N": old}},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            translate(exc, f"counter {pk}")
        except BotoCoreError as exc:
            translate(exc, f"counter {pk}")
        return True

    def get(self, name: str) -> float:
        """The counter's value; 0 when missing or expired."""
        item = self._get(f"counter#{name}")
        if item is None:
            return 0.0
        expires = item.get("expires_at")
        if expires is not None and float(expires["N"]) <= self.clock():
            return 0.0
        return float(item["v"]["N"])
