"""The aws adapter: every store port on DynamoDB and S3 through boto3.

Owns: building ``Stores`` from ``Settings`` (table and bucket names, ``AWS_ENDPOINT_URL``) with
clients created lazily, once. The table design lives in ``tables`` (``table_specs``), the single
source of truth the CDK stack and the tests create tables from. Only this package imports boto3.

Examples:
    >>> from framelens.config import Settings
    >>> stores = build_aws_stores(Settings(backend="aws"))  # no AWS call until first use
"""

from __future__ import annotations

import importlib
import time
from typing import TYPE_CHECKING, Any

from framelens.stores.aws._client import AwsClients

if TYPE_CHECKING:
    from collections.abc import Callable

    import boto3

    from framelens.config import Settings
    from framelens.stores.aws.deliveries import DynamoDeliveryStore
    from framelens.stores.aws.files import DynamoFileStore
    from framelens.stores.aws.identities import DynamoIdentityStore, identity_table_spec
    from framelens.stores.aws.keys import DynamoCounterStore, DynamoKeyStore
    from framelens.stores.aws.records import DynamoJobStore
    from framelens.stores.aws.s3 import S3BlobStore
    from framelens.stores.aws.tables import table_specs
    from framelens.stores.aws.webhooks import DynamoWebhookStore
    from framelens.stores.ports import Stores

# Each adapter module is imported when first named (PEP 562), so a process that needs one store
# (the authorizer: keys) does not import the others.
_LAZY = {
    "DynamoCounterStore": "keys",
    "DynamoDeliveryStore": "deliveries",
    "DynamoFileStore": "files",
    "DynamoIdentityStore": "identities",
    "DynamoJobStore": "records",
    "DynamoKeyStore": "keys",
    "DynamoWebhookStore": "webhooks",
    "S3BlobStore": "s3",
    "identity_table_spec": "identities",
    "table_specs": "tables",
}

__all__ = [
    "AwsClients",
    "DynamoCounterStore",
    "DynamoDeliveryStore",
    "DynamoFileStore",
    "DynamoIdentityStore",
    "DynamoJobStore",
    "DynamoKeyStore",
    "DynamoWebhookStore",
    "S3BlobStore",
    "build_aws_key_store",
    "build_aws_stores",
    "identity_table_spec",
    "table_specs",
]


def build_aws_stores(
    settings: Settings,
    *,
    session: boto3.session.Session | None = None,
    dynamodb: Any = None,
    s3: Any = None,
    clock: Callable[[], float] = time.time,
) -> Stores:
    """Every store on the tables and bucket ``settings`` names; no AWS call happens here.

    Args:
        settings: Table and bucket names, ``aws_endpoint_url`` and ``job_ttl_days``.
        session: A boto3 session (credentials, region); the default session when omitted.
        dynamodb: An injected DynamoDB client (tests); built lazily otherwise.
        s3: An injected S3 client (tests); built lazily otherwise.
        clock: Epoch seconds for counter expiry; tests inject a fake one.

    Returns:
        The stores, sharing one set of clients.
    """
    from framelens.stores.aws.deliveries import DynamoDeliveryStore
    from framelens.stores.aws.files import DynamoFileStore
    from framelens.stores.aws.identities import DynamoIdentityStore
    from framelens.stores.aws.keys import DynamoCounterStore, DynamoKeyStore
    from framelens.stores.aws.records import DynamoJobStore
    from framelens.stores.aws.s3 import S3BlobStore
    from framelens.stores.aws.webhooks import DynamoWebhookStore
    from framelens.stores.ports import Stores

    clients = AwsClients(session, endpoint_url=settings.aws_endpoint_url, dynamodb=dynamodb, s3=s3)
    return Stores(
        blobs=S3BlobStore(clients, settings.media_bucket),
        files=DynamoFileStore(clients, settings.files_table),
        jobs=DynamoJobStore(
            clients, settings.jobs_table, settings.media_bucket, settings.job_ttl_days
        ),
        keys=DynamoKeyStore(clients, settings.keys_table),
        counters=DynamoCounterStore(clients, settings.keys_table, clock=clock),
        identities=DynamoIdentityStore(clients, settings.identities_table),
        webhooks=DynamoWebhookStore(clients, settings.webhooks_table),
        deliveries=DynamoDeliveryStore(clients, settings.webhooks_table, settings.job_ttl_days),
    )


def build_aws_key_store(settings: Settings) -> DynamoKeyStore:
    """The key store alone (the authorizer's one need), importing no other adapter."""
    from framelens.stores.aws.keys import DynamoKeyStore

    return DynamoKeyStore(
        AwsClients(None, endpoint_url=settings.aws_endpoint_url), settings.keys_table
    )


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
    return getattr(module, name)
