"""Stateful storage: the media bucket and the DynamoDB tables.

Owns: bucket security (private, encrypted, TLS only), lifecycle rules per prefix, and tables
created from ``framelens.stores.aws.table_specs`` (the adapter's own design, so keys, GSIs and
TTL cannot drift). Does not own who may use them: consumers call ``grant_*``.

Logical IDs of every stateful resource are pinned (``override_logical_id``): renaming or moving
a construct must never replace a table or the bucket. ``tests/infra`` asserts the pinned IDs.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from framelens.config import Settings
from framelens.stores.aws.tables import table_specs
from framelens.stores.layout import EXPIRIES, FETCHED_PREFIX, MEDIA_PREFIX, WORK_PREFIX

# Pinned CloudFormation logical IDs. Never change these: a new ID means a new, empty resource.
MEDIA_BUCKET_ID = "FramelensMediaBucket"
TABLE_IDS = {
    "jobs": "FramelensJobsTable",
    "files": "FramelensFilesTable",
    "keys": "FramelensKeysTable",
    "identities": "FramelensIdentitiesTable",
    "webhooks": "FramelensWebhooksTable",
}
# The key that seals webhook secrets at rest: lost, every stored secret is unreadable.
WEBHOOK_KEY_ID = "FramelensWebhookSecretKey"
# Gallery identities (face embeddings): granted only to what reads or writes them.
IDENTITIES = "identities"

# Prefixes whose deleted objects must not linger: parts hold unmatched face embeddings.
SHORT_NONCURRENT_PREFIXES = (WORK_PREFIX, FETCHED_PREFIX)

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}


def _key(spec: dict[str, Any], key_schema: list[dict[str, str]], kind: str) -> Any:
    """The ``dynamodb.Attribute`` of the HASH or RANGE key in ``key_schema``, or ``None``."""
    types = {a["AttributeName"]: a["AttributeType"] for a in spec["AttributeDefinitions"]}
    for element in key_schema:
        if element["KeyType"] == kind:
            name = element["AttributeName"]
            return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[types[name]])
    return None


def cors_rules(origins: tuple[str, ...]) -> list[s3.CorsRule] | None:
    """The bucket's CORS: presigned ``PUT``/``GET`` from exactly ``origins``; none when empty."""
    if not origins:
        return None
    if "*" in origins:
        raise ValueError("cors_origins: list the origins (https://app.example.com), not '*'")
    return [
        s3.CorsRule(
            allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET],
            allowed_origins=list(origins),
            allowed_headers=["Content-Type", "Content-Length", "Range"],
            exposed_headers=["ETag", "Content-Range", "Accept-Ranges"],
            max_age=3600,
        )
    ]


def noncurrent_rules(days: int) -> list[s3.LifecycleRule]:
    """Old versions expire after ``days``; under the short-lived prefixes that may carry face
    embeddings (pipeline parts, fetched copies), after one day (overlapping rules: the shorter
    wins). Delete markers left alone by expiry are removed too."""
    rules = [
        s3.LifecycleRule(
            id="noncurrent-versions",
            noncurrent_version_expiration=Duration.days(days),
            expired_object_delete_marker=True,
        )
    ]
    rules += [
        s3.LifecycleRule(
            id=f"noncurrent-{prefix.rstrip('/')}",
            prefix=prefix,
            noncurrent_version_expiration=Duration.days(1),
        )
        for prefix in SHORT_NONCURRENT_PREFIXES
    ]
    return rules


class Storage(Construct):
    """The media bucket and the jobs/files/keys/identities/webhooks tables.

    Attributes:
        bucket: The media bucket (uploads/, media/, artifacts/, results/, work/, models/).
        tables: ``jobs``, ``files``, ``keys``, ``identities``, ``webhooks`` → table.
        webhook_key: The Secrets Manager secret that seals webhook secrets.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cors_origins: tuple[str, ...] = (),
        noncurrent_version_days: int = 7,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "MediaBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            # Versioned: an overwrite or a delete (by a bug, a person, a compromised function)
            # keeps the old version for noncurrent_version_days, then it expires.
            versioned=True,
            # Browsers may use presigned URLs with fetch() only from the configured origins
            # (none by default); see FramelensProps.cors_origins.
            cors=cors_rules(cors_origins),
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-multipart",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                # One rule per prefix of the library's blob layout (media/ and models/ are kept).
                *(
                    s3.LifecycleRule(
                        id=f"expire-{e.prefix.rstrip('/')}",
                        prefix=e.prefix,
                        expiration=Duration.days(e.days),
                    )
                    for e in EXPIRIES
                ),
                *noncurrent_rules(noncurrent_version_days),
                s3.LifecycleRule(
                    id="media-infrequent-access",
                    prefix=MEDIA_PREFIX,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(30),
                        )
                    ],
                ),
            ],
        )
        self._pin(self.bucket, MEDIA_BUCKET_ID)

        self.tables: dict[str, dynamodb.Table] = {}
        # Settings() only supplies default names here; CDK generates the real names (no
        # physical names), so the spec's TableName is deliberately ignored.
        for spec in table_specs(Settings(backend="aws")):
            self.tables[spec["name"]] = self._table(spec)
        # Webhook secrets are stored sealed (Fernet) under this generated key; the functions
        # that seal (API, ingest) or open (the delivery function) read it by ARN at first use.
        self.webhook_key = secretsmanager.Secret(
            self,
            "WebhookSecretKey",
            description="Framelens: the key that seals webhook secrets stored in DynamoDB",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._pin(self.webhook_key, WEBHOOK_KEY_ID)

    @property
    def identities(self) -> dynamodb.Table:
        """The gallery identities table (face embeddings of enrolled people)."""
        return self.tables[IDENTITIES]

    @property
    def job_tables(self) -> dict[str, dynamodb.Table]:
        """Every table but the identities: what the pipeline's bookkeeping writes."""
        return {name: t for name, t in self.tables.items() if name != IDENTITIES}

    def _table(self, spec: dict[str, Any]) -> dynamodb.Table:
        create = spec["create_table"]
        name = spec["name"]
        table = dynamodb.Table(
            self,
            f"{name.capitalize()}Table",
            partition_key=_key(create, create["KeySchema"], "HASH"),
            sort_key=_key(create, create["KeySchema"], "RANGE"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=spec["ttl_attribute"],
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in create.get("GlobalSecondaryIndexes", []):
            projection = index["Projection"]
            table.add_global_secondary_index(
                index_name=index["IndexName"],
                partition_key=_key(create, index["KeySchema"], "HASH"),
                sort_key=_key(create, index["KeySchema"], "RANGE"),
                projection_type=_PROJECTIONS[projection["ProjectionType"]],
                non_key_attributes=projection.get("NonKeyAttributes"),
            )
        self._pin(table, TABLE_IDS[name])
        return table

    @staticmethod
    def _pin(resource: s3.Bucket | dynamodb.Table | secretsmanager.Secret, logical_id: str) -> None:
        cfn = resource.node.default_child
        cfn.override_logical_id(logical_id)  # type: ignore[union-attr]
