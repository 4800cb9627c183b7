"""Fixtures for the store contract suite: one ``stores`` fixture per adapter.

``embedded`` runs on ``tmp_path``; ``aws`` runs on moto with tables created from
``table_specs()``; ``localstack`` runs only when ``LOCALSTACK_ENDPOINT`` is set.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from framelens.config import Settings
from tests.contract.helpers import FakeClock

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from framelens.stores import Stores


class AtomicRequests:
    """A DynamoDB client whose requests run one at a time.

    Real DynamoDB applies each request (a conditional put, a transaction) atomically; moto runs
    requests from several threads without a lock, so its condition checks can interleave. This
    restores the real guarantee, so the race tests exercise the adapter rather than moto.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name.startswith("get_"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return call


@pytest.fixture
def clock() -> FakeClock:
    """The clock counters expire by."""
    return FakeClock()


@dataclass
class AwsRig:
    """Clients made once per module (client creation dominates test time on moto)."""

    endpoint_url: str | None
    dynamodb: Any
    s3: Any

    def settings(self) -> Settings:
        """Settings naming a fresh, uniquely named set of tables and a bucket."""
        suffix = uuid.uuid4().hex[:10]
        return Settings(
            backend="aws",
            jobs_table=f"fl-jobs-{suffix}",
            files_table=f"fl-files-{suffix}",
            keys_table=f"fl-keys-{suffix}",
            identities_table=f"fl-identities-{suffix}",
            webhooks_table=f"fl-webhooks-{suffix}",
            media_bucket=f"fl-media-{suffix}",
            aws_endpoint_url=self.endpoint_url,
        )

    def create(self, settings: Settings) -> None:
        """Create the tables exactly as ``table_specs`` describes them, and the bucket."""
        from framelens.stores.aws import table_specs

        for spec in table_specs(settings):
            self.dynamodb.create_table(**spec["create_table"])
            name = spec["create_table"]["TableName"]
            self.dynamodb.get_waiter("table_exists").wait(TableName=name)
            if spec["ttl_attribute"]:
                self.dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": spec["ttl_attribute"],
                    },
                )
        self.s3.create_bucket(Bucket=settings.media_bucket)

    def delete(self, settings: Settings) -> None:
        """Remove what ``create`` made."""
        tables = (
            settings.jobs_table,
            settings.files_table,
            settings.keys_table,
            settings.identities_table,
            settings.webhooks_table,
        )
        for table in tables:
            self.dynamodb.delete_table(TableName=table)
        listed = self.s3.list_objects_v2(Bucket=settings.media_bucket).get("Contents", [])
        for obj in listed:
            self.s3.delete_object(Bucket=settings.media_bucket, Key=obj["Key"])
        self.s3.delete_bucket(Bucket=settings.media_bucket)


def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fake credentials so nothing can ever reach a real account.
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


def _rig(endpoint_url: str | None) -> AwsRig:
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    return AwsRig(
        endpoint_url=endpoint_url,
        dynamodb=AtomicRequests(session.client("dynamodb", endpoint_url=endpoint_url)),
        s3=session.client("s3", endpoint_url=endpoint_url),
    )


@pytest.fixture(scope="module")
def moto_rig() -> Iterator[AwsRig]:
    """moto's in-process AWS for one test module."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as mp:
        _aws_env(mp)
        with mock_aws():
            yield _rig(None)


@pytest.fixture(scope="module")
def localstack_rig() -> Iterator[AwsRig]:
    """LocalStack at ``LOCALSTACK_ENDPOINT``."""
    with pytest.MonkeyPatch.context() as mp:
        _aws_env(mp)
        yield _rig(os.environ["LOCALSTACK_ENDPOINT"])


@pytest.fixture(
    params=["embedded", "aws", pytest.param("localstack", marks=pytest.mark.localstack)]
)
def backend(request: pytest.FixtureRequest) -> str:
    """Which adapter the test runs against."""
    if request.param == "localstack" and not os.environ.get("LOCALSTACK_ENDPOINT"):
        pytest.skip("set LOCALSTACK_ENDPOINT (e.g. http://localhost:4566) to run on LocalStack")
    return str(request.param)


@pytest.fixture
def stores(
    backend: str, tmp_path: Path, clock: FakeClock, request: pytest.FixtureRequest
) -> Iterator[Stores]:
    """A fresh, empty set of stores on the adapter ``backend`` names."""
    if backend == "embedded":
        from framelens.stores.embedded import build_embedded_stores, close_embedded_stores

        built = build_embedded_stores(tmp_path / "data", clock=clock)
        yield built
        close_embedded_stores(built)
        return

    from framelens.stores.aws import build_aws_stores

    rig: AwsRig = request.getfixturevalue("moto_rig" if backend == "aws" else "localstack_rig")
    settings = rig.settings()
    rig.create(settings)
    try:
        yield build_aws_stores(settings, dynamodb=rig.dynamodb, s3=rig.s3, clock=clock)
    finally:
        rig.delete(settings)
