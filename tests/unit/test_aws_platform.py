"""The aws platform helpers on moto: usage-plan keys and the models-bucket fetcher."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from framelens.auth import hash_key
from framelens.config import Settings
from framelens.errors import ModelMissingError, StoreError
from framelens.stores.aws.platform import models_fetcher, register_usage_plan_key

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def test_a_new_key_joins_the_usage_plan_under_its_hash(aws: None) -> None:
    # GIVEN a deployment's usage plan
    apigw = boto3.client("apigateway")
    plan = apigw.create_usage_plan(name="framelens")
    settings = Settings(backend="aws", usage_plan_id=plan["id"])
    # WHEN a key is registered
    api_key_id = register_usage_plan_key(settings, "k_1", hash_key("fl_secret"), "acme")
    # THEN API Gateway holds the hash (never the secret) as the plan's key value
    keys = apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert [k["id"] for k in keys] == [api_key_id]
    stored = apigw.get_api_key(apiKey=api_key_id, includeValue=True)
    assert stored["value"] == hash_key("fl_secret")
    assert stored["value"] != "fl_secret"


def test_registering_without_a_usage_plan_is_a_clear_error(aws: None) -> None:
    with pytest.raises(StoreError, match="FRAMELENS_USAGE_PLAN_ID"):
        register_usage_plan_key(Settings(backend="aws"), "k_1", "h", "acme")


def test_models_come_from_the_models_prefix_of_the_bucket(aws: None, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="fl-models")
    s3.put_object(Bucket="fl-models", Key="models/m.onnx", Body=b"weights")
    fetch = models_fetcher(Settings(backend="aws", models_bucket="fl-models"))
    fetch("m.onnx", tmp_path / "m.onnx")
    assert (tmp_path / "m.onnx").read_bytes() == b"weights"
    with pytest.raises(ModelMissingError, match="models pull"):
        fetch("absent.onnx", tmp_path / "absent.onnx")
