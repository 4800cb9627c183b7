"""Fixtures for the store contract suite: one ``stores`` fixture per adapter.

``embedded`` runs on ``tmp_path``; ``aws`` runs on moto with tables created from
``table_specs()``; ``localstack`` runs only when ``LOCALSTACK_ENDPOINT`` is set.
"""

from __future__ import annotations

import os
import threading
import uuid
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


def _create_aws_resources(session: Any, settings: Settings) -> None:
    from framelens.stores.aws import table_specs

    ddb = session.client("dynamodb", endpoint_url=settings.aws_endpoint_url)
    for spec in table_specs(settings):
        ddb.create_table(**spec["create_table"])
        name = spec["create_table"]["TableName"]
        ddb.get_waiter("table_exists").wait(TableName=name)
        if spec["ttl_attribute"]:
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["ttl_attribute"]},
            )
    s3 = session.client("s3", endpoint_url=settings.aws_endpoint_url)
    s3.create_bucket(Bucket=settings.media_bucket)


def _delete_aws_resources(session: Any, settings: Settings) -> None:
    ddb = session.client("dynamodb", endpoint_url=settings.aws_endpoint_url)
    for table in (settings.jobs_table, settings.files_table, settings.keys_table):
        ddb.delete_table(TableName=table)
    s3 = session.resource("s3", endpoint_url=settings.aws_endpoint_url)
    bucket = s3.Bucket(settings.media_bucket)
    bucket.objects.all().delete()
    bucket.delete()


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
    backend: str, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stores]:
    """A fresh, empty set of stores on the adapter ``backend`` names."""
    if backend == "embedded":
        from framelens.stores.embedded import build_embedded_stores, close_embedded_stores

        built = build_embedded_stores(tmp_path / "data", clock=clock)
        yield built
        close_embedded_stores(built)
        return

    import boto3

    from framelens.stores.aws import build_aws_stores

    if backend == "aws":
        from moto import mock_aws

        _aws_env(monkeypatch)
        with mock_aws():
            settings = Settings(backend="aws")
            session = boto3.session.Session(region_name="us-east-1")
            _create_aws_resources(session, settings)
            ddb = AtomicRequests(session.client("dynamodb"))
            yield build_aws_stores(settings, session=session, dynamodb=ddb, clock=clock)
        return

    suffix = uuid.uuid4().hex[:10]
    _aws_env(monkeypatch)
    settings = Settings(
        backend="aws",
        jobs_table=f"fl-jobs-{suffix}",
        files_table=f"fl-files-{suffix}",
        keys_table=f"fl-keys-{suffix}",
        media_bucket=f"fl-media-{suffix}",
        aws_endpoint_url=os.environ["LOCALSTACK_ENDPOINT"],
    )
    session = boto3.session.Session(region_name="us-east-1")
    _create_aws_resources(session, settings)
    try:
        yield build_aws_stores(settings, session=session, clock=clock)
    finally:
        _delete_aws_resources(session, settings)
