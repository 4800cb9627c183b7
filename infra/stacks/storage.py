"""The stateful stack: the media bucket and the tables (RETAIN, pinned logical IDs).

Kept apart from everything else so the service stack can be destroyed and redeployed freely.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import CfnOutput, Stack

from infra.constructs.common import FramelensProps
from infra.constructs.storage import Storage

if TYPE_CHECKING:
    from constructs import Construct


class StorageStack(Stack):
    """Media bucket and DynamoDB tables.

    Attributes:
        storage: The storage construct (bucket, tables).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: FramelensProps | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or FramelensProps()
        self.storage = Storage(
            self,
            "Storage",
            cors_origins=props.cors_origins,
            noncurrent_version_days=props.noncurrent_version_days,
        )
        CfnOutput(self, "MediaBucketName", value=self.storage.bucket.bucket_name)
        for name, table in self.storage.tables.items():
            CfnOutput(self, f"{name.capitalize()}TableName", value=table.table_name)
