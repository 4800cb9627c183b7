"""Newest-first pages of a tenant's items on the ``by_tenant`` / ``by_folder`` GSIs.

Owns: the query, its opaque cursor (bound to the tenant and folder it was issued for) and the
``by_folder`` partition value. Shared by the job and file stores; does not own item layouts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import ValidationError
from framelens.stores.aws._client import decode_cursor, encode_cursor, translate
from framelens.stores.aws.tables import BY_FOLDER, BY_TENANT

if TYPE_CHECKING:
    from framelens.stores.aws._client import AwsClients

__all__ = ["folder_key", "query_page", "string_attr"]


def string_attr(value: str) -> dict[str, str]:
    """A DynamoDB string attribute."""
    return {"S": value}


def folder_key(tenant_id: str, folder: str) -> str:
    """The ``by_folder`` index's partition value of a tenant's folder."""
    return f"{tenant_id}#{folder}"


def query_page(
    clients: AwsClients,
    table: str,
    pk: str,
    tenant_id: str,
    limit: int,
    cursor: str | None,
    folder: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    limit = max(1, limit)
    index, attr, value = BY_TENANT, "tenant_id", tenant_id
    if folder is not None:
        index, attr, value = BY_FOLDER, "tenant_folder", folder_key(tenant_id, folder)
    kwargs: dict[str, Any] = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": f"{attr} = :t",
        "ExpressionAttributeValues": {":t": string_attr(value)},
        "ScanIndexForward": False,
        # One extra item tells whether a next page exists, so the last page has no cursor.
        "Limit": limit + 1,
    }
    keys = {pk, "tenant_id", "time_created", attr}
    if cursor is not None:
        start = decode_cursor(cursor, keys)
        if start["tenant_id"] != tenant_id or start[attr] != value:
            raise ValidationError("The cursor is not valid; pass back a next_cursor value.")
        kwargs["ExclusiveStartKey"] = {k: string_attr(v) for k, v in start.items()}
    try:
        items: list[dict[str, Any]] = clients.dynamodb.query(**kwargs)["Items"]
    except (ClientError, BotoCoreError) as exc:
        translate(exc, f"{table} page")
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], encode_cursor({k: last[k]["S"] for k in keys})
