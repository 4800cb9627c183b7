"""File records in DynamoDB: the aws ``FileStore`` (``body`` JSON plus key and index attributes).

Owns: the files table's item layout and its tenant checks. Does not own file rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import NotFoundError
from framelens.schemas import FileRecord
from framelens.stores.aws._client import error_code, iso, translate
from framelens.stores.aws.pages import folder_key, query_page, string_attr

if TYPE_CHECKING:
    from framelens.stores.aws._client import AwsClients

__all__ = ["DynamoFileStore"]

_AWS_ERRORS = (ClientError, BotoCoreError)


class DynamoFileStore:
    """``FileStore`` on the files table.

    Args:
        clients: The shared lazily built clients.
        table: The files table (``FRAMELENS_FILES_TABLE``).
    """

    def __init__(self, clients: AwsClients, table: str) -> None:
        self.clients = clients
        self.table = table

    def put(self, record: FileRecord) -> None:
        """Create or replace a file record."""
        item = {
            "file_id": string_attr(record.file_id),
            "tenant_id": string_attr(record.tenant_id),
            "time_created": string_attr(iso(record.time_created)),
            "tenant_folder": string_attr(folder_key(record.tenant_id, record.folder)),
            "body": string_attr(record.model_dump_json()),
        }
        try:
            self.clients.dynamodb.put_item(TableName=self.table, Item=item)
        except _AWS_ERRORS as exc:
            translate(exc, f"file {record.file_id}")

    def get(self, tenant_id: str, file_id: str) -> FileRecord:
        """The tenant's file. Raises ``NotFoundError`` for unknown and foreign ids."""
        try:
            out = self.clients.dynamodb.get_item(
                TableName=self.table, Key={"file_id": string_attr(file_id)}, ConsistentRead=True
            )
        except _AWS_ERRORS as exc:
            translate(exc, f"file {file_id}")
        item = out.get("Item")
        if item is None or item["tenant_id"]["S"] != tenant_id:
            raise NotFoundError(f"File {file_id} not found.")
        return FileRecord.model_validate_json(item["body"]["S"])

    def list(
        self,
        tenant_id: str,
        limit: int = 50,
        cursor: str | None = None,
        folder: str | None = None,
    ) -> tuple[list[FileRecord], str | None]:
        """The tenant's files (of ``folder`` when given, on the ``by_folder`` index) newest first
        and the next page's cursor (``None`` on the last)."""
        items, next_cursor = query_page(
            self.clients, self.table, "file_id", tenant_id, limit, cursor, folder
        )
        return [FileRecord.model_validate_json(i["body"]["S"]) for i in items], next_cursor

    def delete(self, tenant_id: str, file_id: str) -> None:
        """Remove the record. Raises ``NotFoundError`` for unknown and foreign ids."""
        try:
            self.clients.dynamodb.delete_item(
                TableName=self.table,
                Key={"file_id": string_attr(file_id)},
                ConditionExpression="tenant_id = :t",
                ExpressionAttributeValues={":t": string_attr(tenant_id)},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise NotFoundError(f"File {file_id} not found.") from exc
            translate(exc, f"file {file_id}")
        except BotoCoreError as exc:
            translate(exc, f"file {file_id}")

    def ping(self) -> None:
        """``DescribeTable``: the table exists and we may use it."""
        try:
            self.clients.dynamodb.describe_table(TableName=self.table)
        except _AWS_ERRORS as exc:
            translate(exc, f"table {self.table}")
