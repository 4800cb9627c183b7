"""Opt-in: the S3 → job path against a real LocalStack (``LOCALSTACK_ENDPOINT=http://...:4566``).

Creates uniquely named tables (``table_specs``) and a bucket, drops a generated clip under
``uploads/`` with tenant metadata and runs the ingest handler on the S3 event LocalStack's object
describes; checks the file record and the queued job in LocalStack's DynamoDB. The pipeline itself
is not deployed there (no state machine ARN: the job stays queued). Skipped without the variable.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

import pytest

from tests.e2e.cloud import LambdaContext, handler_module, reset_handler_caches

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.media import Generated

ENDPOINT = os.environ.get("LOCALSTACK_ENDPOINT")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not ENDPOINT,
        reason="set LOCALSTACK_ENDPOINT (e.g. http://localhost:4566) to run against LocalStack",
    ),
]


@pytest.fixture
def localstack(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    import boto3

    from framelens.config import Settings
    from framelens.stores.aws import table_specs

    suffix = uuid.uuid4().hex[:8]
    names = {
        "FRAMELENS_BACKEND": "aws",
        "FRAMELENS_JOBS_TABLE": f"framelens-jobs-{suffix}",
        "FRAMELENS_FILES_TABLE": f"framelens-files-{suffix}",
        "FRAMELENS_KEYS_TABLE": f"framelens-keys-{suffix}",
        "FRAMELENS_IDENTITIES_TABLE": f"framelens-identities-{suffix}",
        "FRAMELENS_WEBHOOKS_TABLE": f"framelens-webhooks-{suffix}",
        "FRAMELENS_MEDIA_BUCKET": f"framelens-media-{suffix}",
        "AWS_ENDPOINT_URL": str(ENDPOINT),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Framelens",
    }
    for key, value in names.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("FRAMELENS_STATE_MACHINE_ARN", raising=False)
    reset_handler_caches()
    ddb = boto3.client("dynamodb", endpoint_url=ENDPOINT)
    s3 = boto3.client("s3", endpoint_url=ENDPOINT)
    specs = table_specs(Settings())
    for spec in specs:
        ddb.create_table(**spec["create_table"])
        ddb.get_waiter("table_exists").wait(TableName=spec["create_table"]["TableName"])
    s3.create_bucket(Bucket=names["FRAMELENS_MEDIA_BUCKET"])
    yield names
    for spec in specs:
        ddb.delete_table(TableName=spec["create_table"]["TableName"])
    objects = s3.list_objects_v2(Bucket=names["FRAMELENS_MEDIA_BUCKET"]).get("Contents", [])
    for obj in objects:
        s3.delete_object(Bucket=names["FRAMELENS_MEDIA_BUCKET"], Key=obj["Key"])
    s3.delete_bucket(Bucket=names["FRAMELENS_MEDIA_BUCKET"])
    reset_handler_caches()


def test_s3_drop_becomes_a_job_on_localstack(localstack: dict[str, str], cuts_clip: Generated):
    import boto3

    from framelens.config import Settings
    from framelens.runtime import build_services

    # GIVEN a tenant and a clip dropped under uploads/ with its tenant as object metadata
    services = build_services(Settings())
    services.keys.create("acme")
    bucket = localstack["FRAMELENS_MEDIA_BUCKET"]
    s3 = boto3.client("s3", endpoint_url=ENDPOINT)
    key = "uploads/ls clip.mp4"
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=cuts_clip.path.read_bytes(),
        Metadata={"tenant": "acme", "modules": "scenes"},
    )
    head = s3.head_object(Bucket=bucket, Key=key)
    event = {
        "Records": [
            {
                "s3": {
                    "bucket": {"name": bucket},
                    "object": {
                        "key": "uploads/ls+clip.mp4",
                        "size": head["ContentLength"],
                        "eTag": head["ETag"].strip('"'),
                    },
                }
            }
        ]
    }

    # WHEN the ingest handler gets the S3 event
    result = handler_module("ingest").handler(event, LambdaContext("ingest", "ingest"))

    # THEN a queued job of the tenant names a file record of the dropped object
    (job_id,) = result["created"]
    job = services.stores.jobs.get(job_id)
    assert job.tenant_id == "acme"
    assert job.state.value == "queued"
    file_id = job.sources[0].removeprefix("storage://")
    record = services.stores.files.get("acme", file_id)
    assert record.blob_key == key
    assert record.media_type is not None
    assert record.media_type.value == "video"
