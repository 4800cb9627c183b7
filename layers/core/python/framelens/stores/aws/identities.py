"""Gallery identities in DynamoDB: the aws ``IdentityStore`` and its table's design.

Owns: ``identity_table_spec`` and the item layout. Table ``identities_table``
(``FRAMELENS_IDENTITIES_TABLE``, ``PAY_PER_REQUEST``): pk ``tenant_id`` (S), sk ``identity_id``
(S), so every read names the tenant and another tenant's id is simply absent. An item holds
``gallery``, ``time_created`` and ``body`` (the record JSON without embeddings) and ``vectors``:
a list of binary attributes, one little-endian float32 vector each (512 bytes for 128-d), so
about 700 vectors fit in DynamoDB's 400 KB item. Appends are ``list_append`` updates; a merge is
one ``TransactWriteItems`` (append to one, delete the other), so it never half-happens.

Every edit rewrites ``body``, so edits are optimistic: an item carries ``rev`` (N, 0 at create,
+1 per edit), and rename, allowlisting, adding embeddings and merging read the item, change the
record and write it back on condition that ``rev`` is still what they read (an item written
before ``rev`` existed counts as 0). A concurrent edit makes the condition fail; the edit then
reads again and redoes its change on the fresh record, so neither edit is lost (a rename and an
allowlisting at once keep both). After ``_MAX_TRIES`` lost races it answers ``ConflictError``.

Does not own the rules (``framelens.jobs.galleries``). ``tables.table_specs`` lists this spec as
the ``identities`` table, so the CDK storage stack and the tests create exactly this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import ConflictError, NotFoundError, ValidationError
from framelens.schemas.common import utcnow
from framelens.schemas.identities import IdentityRecord
from framelens.stores._vectors import pack_vector, unpack_vector
from framelens.stores.aws._client import error_code, iso, translate

if TYPE_CHECKING:
    import builtins
    from collections.abc import Callable

    from framelens.stores.aws._client import AwsClients

__all__ = ["DynamoIdentityStore", "identity_table_spec"]

_AWS_ERRORS = (ClientError, BotoCoreError)
_MAX_ITEM_BYTES = 390_000  # DynamoDB's item limit is 400 KB
_EXISTS = "attribute_exists(identity_id)"
_SAME_REV = f"{_EXISTS} AND (rev = :rev OR attribute_not_exists(rev))"
_MAX_TRIES = 5


class _Stale(Exception):
    """The item changed (or went) since it was read: read again."""


def identity_table_spec(name: str) -> dict[str, Any]:
    """``create_table`` arguments of the identities table named ``name``."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": "tenant_id", "KeyType": "HASH"},
            {"AttributeName": "identity_id", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "tenant_id", "AttributeType": "S"},
            {"AttributeName": "identity_id", "AttributeType": "S"},
        ],
    }


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _vectors(embeddings: builtins.list[builtins.list[float]]) -> dict[str, Any]:
    return {"L": [{"B": pack_vector(v)} for v in embeddings]}


def _body(record: IdentityRecord) -> dict[str, str]:
    return _s(record.model_dump_json(exclude={"embeddings"}))


def _rev(item: dict[str, Any]) -> int:
    return int(item.get("rev", {}).get("N", "0"))


def _revs(rev: int) -> dict[str, Any]:
    """Expression values of a write conditional on ``rev`` that bumps it."""
    return {":rev": {"N": str(rev)}, ":next": {"N": str(rev + 1)}}


def _merged(keep: IdentityRecord, other: IdentityRecord) -> IdentityRecord:
    """``keep`` with ``other``'s embeddings and allowlisting (same gallery only)."""
    if keep.gallery != other.gallery:
        raise ValidationError(
            f"Identities {keep.identity_id} and {other.identity_id} are in different galleries "
            f"({keep.gallery!r}, {other.gallery!r}); only one gallery's can merge."
        )
    return keep.model_copy(
        update={
            "embeddings": [*keep.embeddings, *other.embeddings],
            "allowlisted": keep.allowlisted or other.allowlisted,
            "time_updated": utcnow(),
        }
    )


class DynamoIdentityStore:
    """``IdentityStore`` on the identities table.

    Args:
        clients: The shared lazily built clients.
        table: The identities table (``FRAMELENS_IDENTITIES_TABLE``).
    """

    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients = clients
        self.table = table

    def _key(self, tenant_id: str, identity_id: str) -> dict[str, Any]:
        return {"tenant_id": _s(tenant_id), "identity_id": _s(identity_id)}

    @staticmethod
    def _record(item: dict[str, Any]) -> IdentityRecord:
        record = IdentityRecord.model_validate_json(item["body"]["S"])
        vectors = [unpack_vector(bytes(v["B"])) for v in item.get("vectors", {}).get("L", [])]
        return record.model_copy(update={"embeddings": vectors})

    def _check_size(self, record: IdentityRecord) -> None:
        size = len(record.model_dump_json(exclude={"embeddings"})) + sum(
            4 * len(v) + 8 for v in record.embeddings
        )
        if size > _MAX_ITEM_BYTES:
            raise ValidationError(
                f"Identity {record.identity_id} would hold too many embeddings "
                f"({len(record.embeddings)}); merge or delete some first."
            )

    def create(self, record: IdentityRecord) -> IdentityRecord:
        """Insert ``record``. Raises ``ConflictError`` if its id exists."""
        self._check_size(record)
        item = {
            **self._key(record.tenant_id, record.identity_id),
            "gallery": _s(record.gallery),
            "time_created": _s(iso(record.time_created)),
            "body": _body(record),
            "vectors": _vectors(record.embeddings),
            "rev": {"N": "0"},
        }
        try:
            self.clients.dynamodb.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(identity_id)",
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"Identity {record.identity_id}")
        return record

    def _get_item(self, tenant_id: str, identity_id: str) -> dict[str, Any]:
        try:
            out = self.clients.dynamodb.get_item(
                TableName=self.table, Key=self._key(tenant_id, identity_id), ConsistentRead=True
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"Identity {identity_id}")
        item: dict[str, Any] | None = out.get("Item")
        if item is None:
            raise NotFoundError(f"Identity {identity_id} not found.")
        return item

    def get(self, tenant_id: str, identity_id: str) -> IdentityRecord:
        """The tenant's identity. Raises ``NotFoundError`` for unknown and foreign ids."""
        return self._record(self._get_item(tenant_id, identity_id))

    def list(self, tenant_id: str, gallery: str | None = None) -> builtins.list[IdentityRecord]:
        """The tenant's identities, oldest first (of one ``gallery`` if given)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "tenant_id = :t",
            "ExpressionAttributeValues": {":t": _s(tenant_id)},
            "ConsistentRead": True,
        }
        if gallery is not None:
            kwargs["FilterExpression"] = "gallery = :g"
            kwargs["ExpressionAttributeValues"][":g"] = _s(gallery)
        items: builtins.list[dict[str, Any]] = []
        try:
            while True:
                out = self.clients.dynamodb.query(**kwargs)
                items += out.get("Items", [])
                if "LastEvaluatedKey" not in out:
                    break
                kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        except _AWS_ERRORS as exc:
            translate(exc, f"identities of {tenant_id}")
        items.sort(key=lambda i: (i["time_created"]["S"], i["identity_id"]["S"]))
        return [self._record(i) for i in items]

    def _edit(
        self,
        tenant_id: str,
        identity_id: str,
        change: Callable[[IdentityRecord], IdentityRecord],
        appended: builtins.list[builtins.list[float]] | None = None,
    ) -> IdentityRecord:
        """Read, ``change``, write back if nobody wrote in between; else read again and redo."""
        for _ in range(_MAX_TRIES):
            item = self._get_item(tenant_id, identity_id)  # NotFoundError once it is gone
            try:
                return self._write(item, change(self._record(item)), appended)
            except _Stale:
                continue
        raise ConflictError(f"Identity {identity_id} kept changing while being edited; retry.")

    def _write(
        self,
        item: dict[str, Any],
        record: IdentityRecord,
        appended: builtins.list[builtins.list[float]] | None,
    ) -> IdentityRecord:
        """Write ``record``'s body (and append vectors) on condition ``item``'s rev holds."""
        expression = "SET body = :b, rev = :next"
        values = {":b": _body(record), **_revs(_rev(item))}
        if appended:
            expression += ", vectors = list_append(vectors, :v)"
            values[":v"] = _vectors(appended)
        try:
            out = self.clients.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(record.tenant_id, record.identity_id),
                UpdateExpression=expression,
                ConditionExpression=_SAME_REV,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise _Stale from exc
            translate(exc, f"Identity {record.identity_id}")
        except BotoCoreError as exc:
            translate(exc, f"Identity {record.identity_id}")
        return self._record(out["Attributes"])

    def rename(self, tenant_id: str, identity_id: str, name: str) -> IdentityRecord:
        """Change the name. Raises ``NotFoundError``."""
        return self._edit(
            tenant_id,
            identity_id,
            lambda r: r.model_copy(update={"name": name, "time_updated": utcnow()}),
        )

    def set_allowlisted(
        self, tenant_id: str, identity_id: str, allowlisted: bool
    ) -> IdentityRecord:
        """Set the ``allowlisted`` flag. Raises ``NotFoundError``."""
        return self._edit(
            tenant_id,
            identity_id,
            lambda r: r.model_copy(update={"allowlisted": allowlisted, "time_updated": utcnow()}),
        )

    def add_embeddings(
        self, tenant_id: str, identity_id: str, embeddings: builtins.list[builtins.list[float]]
    ) -> IdentityRecord:
        """Append embeddings (one conditional ``list_append``). Raises ``NotFoundError``."""

        def grow(record: IdentityRecord) -> IdentityRecord:
            grown = record.model_copy(
                update={"embeddings": [*record.embeddings, *embeddings], "time_updated": utcnow()}
            )
            self._check_size(grown)
            return grown

        return self._edit(tenant_id, identity_id, grow, embeddings)

    def merge(self, tenant_id: str, keep_id: str, other_id: str) -> IdentityRecord:
        """Move ``other_id``'s embeddings into ``keep_id`` and delete ``other_id``, in one
        transaction on condition neither changed since read (else read again and redo)."""
        if keep_id == other_id:
            raise ValidationError("An identity cannot be merged with itself.")
        for _ in range(_MAX_TRIES):
            keep_item = self._get_item(tenant_id, keep_id)
            other_item = self._get_item(tenant_id, other_id)
            other = self._record(other_item)
            merged = _merged(self._record(keep_item), other)
            self._check_size(merged)
            try:
                self._transact_merge(keep_item, other_item, merged, other)
            except _Stale:
                continue
            return self.get(tenant_id, keep_id)
        raise ConflictError(f"Identities {keep_id} and {other_id} kept changing; retry.")

    def _transact_merge(
        self,
        keep_item: dict[str, Any],
        other_item: dict[str, Any],
        merged: IdentityRecord,
        other: IdentityRecord,
    ) -> None:
        """Append ``other``'s vectors to ``merged`` and delete ``other``, both conditional on
        the revisions read. Raises ``_Stale`` if either changed or went."""
        update = {
            "TableName": self.table,
            "Key": self._key(merged.tenant_id, merged.identity_id),
            "UpdateExpression": "SET vectors = list_append(vectors, :v), body = :b, rev = :next",
            "ConditionExpression": _SAME_REV,
            "ExpressionAttributeValues": {
                ":v": _vectors(other.embeddings),
                ":b": _body(merged),
                **_revs(_rev(keep_item)),
            },
        }
        delete = {
            "TableName": self.table,
            "Key": self._key(other.tenant_id, other.identity_id),
            "ConditionExpression": _SAME_REV,
            "ExpressionAttributeValues": {":rev": {"N": str(_rev(other_item))}},
        }
        try:
            self.clients.dynamodb.transact_write_items(
                TransactItems=[{"Update": update}, {"Delete": delete}]
            )
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise _Stale from exc
            translate(exc, f"Identity {merged.identity_id}")
        except BotoCoreError as exc:
            translate(exc, f"Identity {merged.identity_id}")

    def delete(self, tenant_id: str, identity_id: str) -> None:
        """Remove the identity (its embeddings live in the same item). Raises ``NotFoundError``."""
        try:
            self.clients.dynamodb.delete_item(
                TableName=self.table,
                Key=self._key(tenant_id, identity_id),
                ConditionExpression=_EXISTS,
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise NotFoundError(f"Identity {identity_id} not found.") from exc
            translate(exc, f"Identity {identity_id}")
        except BotoCoreError as exc:
            translate(exc, f"Identity {identity_id}")

    def ping(self) -> None:
        """``DescribeTable``: the table exists and we may use it."""
        try:
            self.clients.dynamodb.describe_table(TableName=self.table)
        except _AWS_ERRORS as exc:
            translate(exc, f"table {self.table}")
