"""Who may do what on each DynamoDB table: the least each function and the GPU task needs.

Owns: the action sets (``READ``, ``WRITE``), the keys-table rules and ``TABLE_ACCESS``, the one
table of grants per principal that ``grant_tables`` applies and ``tests/infra`` asserts. Does not
own the tables (``storage.py``) nor S3 (each construct grants its bucket prefixes itself).

The keys table holds API keys (``key#``/``keyid#``), tenants (``tenant#``) and counters
(``counter#``: rate limits, quotas, latency). Only the key-management path writes keys and
tenants: ``framelens keys create|revoke`` (``runtime.Services.create_key``), run by an operator
with their own credentials, never by a deployed function. The authorizer only reads keys and
tenants. The API, ingest, pipeline and job-events functions count (a conditional ``UpdateItem``,
or a ``PutItem`` that resets an expired counter): their writes are confined to ``counter#*``
items with the ``dynamodb:LeadingKeys`` condition, so a compromised function cannot mint a key.

Why each grant (read from the code paths):

- ``api``: every route family (jobs, files, galleries, webhooks) reads and writes its table;
  keys and tenants are read (``auth``), counters written (rate limits, quotas).
- ``ingest``: an S3 drop creates a file record and a job (jobs, files), counts the tenant's
  quota, and fans the ``created`` event out to webhook subscriptions (webhooks).
- ``job_events``: fails the job of an ended execution, releases its slot (counters), and sends
  the ``failed`` event (webhooks).
- ``control`` (probe, plan, aggregate, notify, finalize, mark_failed): job transitions; reads
  file records (``storage://`` sources) and deletes an enrolment's uploaded photos (files);
  enrolment writes identities; quotas, usage and latency (counters); webhook deliveries.
- ``analysis`` (the inference function and the GPU task: ``analyze`` of one work item): job
  progress (a conditional write on the job), the tenant's critical tags (``tenant#`` read), and
  gallery matching (identities read). No files, no webhooks, no counters.
- ``webhooks`` (the delivery function): delivery records (webhooks) and the job's
  ``webhook_delivery`` mirror (jobs). No keys, files or identities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam

if TYPE_CHECKING:
    from aws_cdk import aws_dynamodb as dynamodb

    from infra.constructs.storage import Storage

READ = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
WRITE = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
# The keys table: point reads only (no function lists keys), counter writes only.
KEYS_READ = ("dynamodb:GetItem", "dynamodb:DescribeTable")
COUNTER_WRITE = ("dynamodb:UpdateItem", "dynamodb:PutItem")
COUNTER_ITEMS = "counter#*"
AUTH_ITEMS = ("key#*", "tenant#*")
TENANT_ITEMS = "tenant#*"

# Access levels: "rw" (READ + WRITE), "r" (READ), and for the keys table "counters" (point
# reads + counter writes), "auth" (point reads of keys and tenants), "tenant" (tenant reads).
TABLE_ACCESS: dict[str, dict[str, str]] = {
    "api": {"jobs": "rw", "files": "rw", "identities": "rw", "webhooks": "rw", "keys": "counters"},
    "authorizer": {"keys": "auth"},
    "ingest": {"jobs": "rw", "files": "rw", "webhooks": "rw", "keys": "counters"},
    "job_events": {"jobs": "rw", "webhooks": "rw", "keys": "counters"},
    "control": {
        "jobs": "rw",
        "files": "rw",
        "identities": "rw",
        "webhooks": "rw",
        "keys": "counters",
    },
    "analysis": {"jobs": "rw", "identities": "r", "keys": "tenant"},
    "webhooks": {"jobs": "rw", "webhooks": "rw"},
}


def _leading_keys(patterns: list[str]) -> dict[str, object]:
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": patterns}}


def _grant(table: dynamodb.ITable, grantee: iam.IGrantable, level: str) -> None:
    arn = table.table_arn
    if level == "rw":
        table.grant(grantee, *READ, *WRITE)
    elif level == "r":
        table.grant(grantee, *READ)
    elif level == "counters":
        table.grant(grantee, *KEYS_READ)
        _statement(grantee, COUNTER_WRITE, arn, [COUNTER_ITEMS])
    elif level == "auth":
        _statement(grantee, ("dynamodb:GetItem",), arn, list(AUTH_ITEMS))
    elif level == "tenant":
        _statement(grantee, ("dynamodb:GetItem",), arn, [TENANT_ITEMS])
    else:
        raise ValueError(f"unknown table access level {level!r}")


def _statement(
    grantee: iam.IGrantable, actions: tuple[str, ...], arn: str, items: list[str]
) -> None:
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=list(actions),
        resource_arns=[arn],
        conditions=_leading_keys(items),
    )


def grant_tables(storage: Storage, grantee: iam.IGrantable, principal: str) -> None:
    """Apply ``TABLE_ACCESS[principal]`` to ``grantee`` (a function or a task role)."""
    for name, level in TABLE_ACCESS[principal].items():
        _grant(storage.tables[name], grantee, level)
