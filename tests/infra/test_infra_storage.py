"""Storage stack: pinned logical IDs, tables as the aws adapter designs them, bucket security."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from framelens.stores.aws.tables import table_specs
from infra.constructs.storage import MEDIA_BUCKET_ID, TABLE_IDS


def test_stateful_logical_ids_are_pinned(synth):
    # GIVEN the synthesized storage stack
    resources = synth.templates["FramelensStorage"]["Resources"]
    # WHEN looking up the pinned ids THEN the bucket and every table are there, retained
    for logical_id in (MEDIA_BUCKET_ID, *TABLE_IDS.values()):
        assert logical_id in resources, logical_id
        assert resources[logical_id]["DeletionPolicy"] == "Retain"
        assert resources[logical_id]["UpdateReplacePolicy"] == "Retain"
    assert MEDIA_BUCKET_ID == "FramelensMediaBucket"
    assert TABLE_IDS == {
        "jobs": "FramelensJobsTable",
        "files": "FramelensFilesTable",
        "keys": "FramelensKeysTable",
        "identities": "FramelensIdentitiesTable",
        "webhooks": "FramelensWebhooksTable",
    }


@pytest.mark.parametrize("spec", table_specs(), ids=lambda s: s["name"])
def test_table_matches_adapter_spec(synth, spec):
    # GIVEN the adapter's create_table arguments for one table
    create = spec["create_table"]
    table = synth.templates["FramelensStorage"]["Resources"][TABLE_IDS[spec["name"]]]
    props = table["Properties"]
    # THEN keys, attribute types and GSIs are identical, billing is on-demand, names generated
    assert props["KeySchema"] == create["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        create["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    assert props.get("GlobalSecondaryIndexes", []) == create.get("GlobalSecondaryIndexes", [])
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "TableName" not in props


@pytest.mark.parametrize("spec", table_specs(), ids=lambda s: s["name"])
def test_table_has_ttl_and_point_in_time_recovery(synth, spec):
    props = synth.templates["FramelensStorage"]["Resources"][TABLE_IDS[spec["name"]]]["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    if spec["ttl_attribute"]:
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": spec["ttl_attribute"],
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in props


@pytest.mark.parametrize("spec", table_specs(), ids=lambda s: s["name"])
def test_table_is_encrypted_at_rest(synth, spec):
    props = synth.templates["FramelensStorage"]["Resources"][TABLE_IDS[spec["name"]]]["Properties"]
    # AWS-managed KMS key (TableEncryption.AWS_MANAGED), never DynamoDB's unmanaged default
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_identities_table_keeps_embeddings_per_tenant_without_expiry(synth):
    # GIVEN the identities table (gallery identities and their face embeddings)
    props = synth.templates["FramelensStorage"]["Resources"]["FramelensIdentitiesTable"][
        "Properties"
    ]
    # THEN every read names the tenant (pk), an identity lives until deleted (no TTL), it is
    # recoverable (PITR) and its name reaches the service stack as an output
    assert props["KeySchema"] == [
        {"AttributeName": "tenant_id", "KeyType": "HASH"},
        {"AttributeName": "identity_id", "KeyType": "RANGE"},
    ]
    assert "TimeToLiveSpecification" not in props
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    outputs = synth.templates["FramelensStorage"]["Outputs"]
    assert outputs["IdentitiesTableName"]["Value"] == {"Ref": "FramelensIdentitiesTable"}


def test_bucket_is_private_and_encrypted(storage_template):
    storage_template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
        },
    )


def test_bucket_policy_denies_requests_without_tls(storage_template):
    storage_template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_lifecycle_rules_expire_uploads_and_abort_multipart(storage_template):
    storage_template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like(
                            {"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
                        ),
                        Match.object_like(
                            {"Prefix": "uploads/", "ExpirationInDays": 30, "Status": "Enabled"}
                        ),
                    ]
                )
            }
        },
    )


def test_every_expiring_prefix_of_the_blob_layout_has_its_lifecycle_rule(storage_template):
    # GIVEN the library's blob layout (the one source of keys and their expiry)
    from framelens.stores.layout import EXPIRIES

    (bucket,) = storage_template.find_resources("AWS::S3::Bucket").values()
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r}
    # THEN the bucket expires exactly those prefixes after exactly those days (fetched copies
    # and ingest errors included), and never media/ or models/
    assert expiring == {e.prefix: e.days for e in EXPIRIES}
    assert {"fetched/", "ingest-errors/"} <= set(expiring)
    assert not {"media/", "models/"} & set(expiring)
