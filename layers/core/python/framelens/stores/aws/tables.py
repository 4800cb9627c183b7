"""The DynamoDB table design: the single source of truth that the adapter and the CDK stack share.

Owns: table keys, indexes, billing mode and TTL attributes (``table_specs``). Does not own
creating tables: ``infra/`` (CDK) and the tests call ``table_specs`` and create exactly these.

Design (all five tables ``PAY_PER_REQUEST``; names come from ``Settings``):

``jobs_table`` (``FRAMELENS_JOBS_TABLE``)
    pk ``job_id`` (S). A job item holds ``tenant_id``, ``time_created`` (fixed-width ISO UTC
    string, so string order is time order), ``state``, ``version`` (N, guards every conditional
    write), ``expires_at`` (TTL, ``job_ttl_days`` after creation) and ``body`` (the
    ``JobRecord`` JSON). A body over ~350 KB (the item limit is 400 KB) moves to S3 at
    ``records/jobs/<id>.v<version>.json`` and the item keeps ``body_ref`` instead; the key carries
    the version so a losing conditional write never overwrites the winner's body.
    Idempotency items live in the same table: pk ``idem#<tenant>#<key>`` with
    ``target_job_id`` and ``request_hash``; they are written in one ``TransactWriteItems`` with
    the job, each conditional on not existing, so concurrent creates make exactly one job.
    GSI ``by_tenant`` (``tenant_id``, ``time_created``), projection ALL: jobs newest first.
    Idempotency items lack ``tenant_id`` and so never appear in the index.
    Jobs by source file (seed 002 serves "the file's latest finished analysis"): one small,
    immutable item per ``storage://`` source of a job, pk ``file#<tenant>#<file>#<job>``, with
    ``file_key`` (``<tenant>#<file>``), ``time_created``, ``file_job_id`` and the job's
    ``expires_at``; written before the job itself (a job never exists unindexed; an index item
    whose job was never written is skipped by readers and expires). GSI ``by_file``
    (``file_key``, ``time_created``), projection KEYS_ONLY + ``file_job_id``: a file's jobs
    newest first in one query, whatever the tenant's other jobs. Index items lack ``tenant_id``
    and ``state``, so they never appear in ``by_tenant`` nor in the active-jobs scan.
    ``list_active`` scans with a filter on ``state``; fine at current volumes. TODO(#2): a sparse
    GSI on an ``active`` attribute once tables grow.

``files_table`` (``FRAMELENS_FILES_TABLE``)
    pk ``file_id`` (S) with ``tenant_id``, ``time_created`` and ``body``; GSI ``by_tenant`` as
    above, and GSI ``by_folder`` (``tenant_folder`` = ``<tenant>#<folder>``, ``time_created``),
    projection ALL: one folder's files newest first (seed 003 storage folders).

``keys_table`` (``FRAMELENS_KEYS_TABLE``)
    pk ``pk`` (S), one table for small auth state:
    ``key#<sha256>`` (lookup by hash, the authorizer's hot path) and ``keyid#<id>`` (lookup by id)
    both hold the ``KeyRecord`` JSON and are written together in one transaction;
    ``tenant#<id>`` holds the ``Tenant`` JSON; ``counter#<name>`` holds ``v`` (N) and optionally
    ``expires_at`` (TTL). DynamoDB deletes expired items lazily (up to days later), so the adapter
    treats an item whose ``expires_at`` has passed as 0 and resets it on the next increment.

``identities_table`` (``FRAMELENS_IDENTITIES_TABLE``)
    pk ``tenant_id`` (S), sk ``identity_id`` (S): gallery identities with their face embeddings
    as binary attributes; no TTL (an identity lives until it is deleted). The item layout is
    ``identities.identity_table_spec``'s.

``webhooks_table`` (``FRAMELENS_WEBHOOKS_TABLE``)
    pk ``tenant_id`` (S), sk ``sk`` (S), so every read names the tenant. ``sub#<id>`` holds a
    subscription's JSON (``body``). Webhook deliveries (``aws.deliveries``, the delivery queue):
    ``out#<delivery id>`` holds one ``Delivery`` (``body``, ``state``, ``version`` guarding every
    update, ``subscription_id``, ``expires_at`` TTL ``job_ttl_days`` after creation). While a
    delivery is to be sent it also carries ``due_shard`` (``"due"``) and ``due_at`` (its next
    attempt, or its lease's end while it is being sent); the sparse GSI ``by_due``
    (``due_shard``, ``due_at``), projection ALL, answers "what is due now" with one query, and
    final deliveries drop out of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from framelens.config import Settings

__all__ = [
    "BY_DUE",
    "BY_FILE",
    "BY_FOLDER",
    "BY_TENANT",
    "TTL_ATTRIBUTE",
    "table_specs",
    "webhooks_table_spec",
]

BY_TENANT = "by_tenant"
BY_FILE = "by_file"
BY_FOLDER = "by_folder"
BY_DUE = "by_due"
TTL_ATTRIBUTE = "expires_at"


def _tenant_table(name: str, pk: str) -> dict[str, Any]:
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": pk, "AttributeType": "S"},
            {"AttributeName": "tenant_id", "AttributeType": "S"},
            {"AttributeName": "time_created", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": BY_TENANT,
                "KeySchema": [
                    {"AttributeName": "tenant_id", "KeyType": "HASH"},
                    {"AttributeName": "time_created", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def _files_table(name: str) -> dict[str, Any]:
    spec = _tenant_table(name, "file_id")
    spec["AttributeDefinitions"].append({"AttributeName": "tenant_folder", "AttributeType": "S"})
    spec["GlobalSecondaryIndexes"].append(
        {
            "IndexName": BY_FOLDER,
            "KeySchema": [
                {"AttributeName": "tenant_folder", "KeyType": "HASH"},
                {"AttributeName": "time_created", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    )
    return spec


def webhooks_table_spec(name: str) -> dict[str, Any]:
    """``create_table`` arguments of the webhooks table named ``name``."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": "tenant_id", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "tenant_id", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "due_shard", "AttributeType": "S"},
            {"AttributeName": "due_at", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": BY_DUE,
                "KeySchema": [
                    {"AttributeName": "due_shard", "KeyType": "HASH"},
                    {"AttributeName": "due_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def table_specs(settings: Settings | None = None) -> list[dict[str, Any]]:
    """Every table the aws adapter needs, as ``create_table`` arguments.

    Args:
        settings: Supplies the table names; defaults to ``Settings()``'s default names.

    Returns:
        One dict per table: ``name`` (``jobs`` | ``files`` | ``keys`` | ``identities`` |
        ``webhooks``),
        ``create_table`` (kwargs
        for ``DynamoDB.Client.create_table``) and ``ttl_attribute`` (for
        ``update_time_to_live``, or ``None``).

    Examples:
        >>> [s["name"] for s in table_specs()]
        ['jobs', 'files', 'keys', 'identities', 'webhooks']
    """
    # identities.py imports records.py, which imports this module: import it here, not on top
    from framelens.stores.aws.identities import identity_table_spec

    if settings is None:
        from framelens.config import Settings

        settings = Settings()
    keys_table: dict[str, Any] = {
        "TableName": settings.keys_table,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    }
    jobs_table = _tenant_table(settings.jobs_table, "job_id")
    jobs_table["AttributeDefinitions"].append({"AttributeName": "file_key", "AttributeType": "S"})
    jobs_table["GlobalSecondaryIndexes"].append(
        {
            "IndexName": BY_FILE,
            "KeySchema": [
                {"AttributeName": "file_key", "KeyType": "HASH"},
                {"AttributeName": "time_created", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["file_job_id"]},
        }
    )
    return [
        {
            "name": "jobs",
            "create_table": jobs_table,
            "ttl_attribute": TTL_ATTRIBUTE,
        },
        {
            "name": "files",
            "create_table": _files_table(settings.files_table),
            "ttl_attribute": None,
        },
        {"name": "keys", "create_table": keys_table, "ttl_attribute": TTL_ATTRIBUTE},
        {
            "name": "identities",
            "create_table": identity_table_spec(settings.identities_table),
            "ttl_attribute": None,
        },
        {
            "name": "webhooks",
            "create_table": webhooks_table_spec(settings.webhooks_table),
            "ttl_attribute": TTL_ATTRIBUTE,
        },
    ]
