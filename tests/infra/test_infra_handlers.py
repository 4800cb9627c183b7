"""Thin handlers: cold imports stay light, events parse, the authorizer answers API Gateway."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("onnxruntime", "cv2", "av", "numpy")
_PROBE = """
import json, sys, time
sys.path.insert(0, {path!r})
started = time.perf_counter()
import handler
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "modules": sorted(sys.modules)}}))
"""


def cold_import(name: str, tracing: bool = False) -> dict:
    """Import ``functions/<name>/handler.py`` in a fresh interpreter, with the powertools
    environment the CDK app gives the function (as in Lambda); seconds and modules."""
    from infra.constructs.common import powertools_env

    env = {
        **os.environ,
        **powertools_env(f"framelens-{name}", xray_sdk_tracing=tracing),
        "AWS_LAMBDA_FUNCTION_NAME": f"framelens-{name}",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    code = _PROBE.format(path=str(ROOT / "functions" / name))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def imports() -> dict[str, dict]:
    pytest.importorskip("framelens.runtime")
    pytest.importorskip("framelens.api.app")
    return {name: cold_import(name) for name in ("api", "authorizer", "ingest")}


@pytest.mark.parametrize("name", ["api", "authorizer", "ingest"])
def test_cold_path_never_imports_media_or_model_code(imports, name):
    loaded = set(imports[name]["modules"])
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_authorizer_does_not_import_fastapi_or_xray(imports):
    loaded = set(imports["authorizer"]["modules"])
    assert "fastapi" not in loaded
    assert "aws_xray_sdk" not in loaded


def test_authorizer_cold_path_loads_no_job_api_or_web_code(imports):
    # It checks keys only: jobs, routes, FastAPI and Mangum are other functions' cold starts.
    loaded = set(imports["authorizer"]["modules"])
    heavy = {"framelens.jobs", "framelens.api", "framelens.orchestration", "fastapi", "mangum"}
    assert not loaded & heavy, sorted(loaded & heavy)


@pytest.mark.parametrize("name", ["api", "authorizer", "ingest"])
def test_no_handler_loads_the_xray_sdk_while_tracing_is_off(imports, name):
    # As deployed (xray_sdk_tracing off): Lambda's own segment only, no SDK import cost.
    assert "aws_xray_sdk" not in set(imports[name]["modules"])


def test_turning_tracing_on_brings_the_tracer_back():
    pytest.importorskip("framelens.api.app")
    assert "aws_xray_sdk" in set(cold_import("api", tracing=True)["modules"])


# -- authorizer behaviour on moto ------------------------------------------------------------


@dataclass
class FakeContext:
    """The attributes powertools reads from a Lambda context."""

    function_name: str = "authorizer"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    aws_request_id: str = "req-1"


METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/v1/jobs/job_1"


@pytest.fixture
def authorizer(monkeypatch):
    pytest.importorskip("framelens.runtime")
    moto = pytest.importorskip("moto")
    import boto3

    from framelens.config import get_settings
    from framelens.stores.aws.tables import table_specs

    monkeypatch.setenv("FRAMELENS_BACKEND", "aws")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "testing")
    monkeypatch.syspath_prepend(str(ROOT / "functions" / "authorizer"))
    with moto.mock_aws():
        client = boto3.client("dynamodb")
        for spec in table_specs():
            client.create_table(**spec["create_table"])
        get_settings.cache_clear()
        sys.modules.pop("handler", None)
        import handler

        yield handler
        sys.modules.pop("handler", None)
        get_settings.cache_clear()


def test_valid_key_is_allowed_with_tenant_context_and_usage_key(authorizer):
    # GIVEN a key created for tenant acme
    from framelens.auth import hash_key
    from framelens.runtime import build_services

    secret, record = build_services().keys.create("acme")
    event = {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {"x-api-key": secret}}
    # WHEN API Gateway asks the authorizer
    answer = authorizer.handler(event, FakeContext())
    # THEN the whole stage is allowed, the tenant travels in the context, the plan applies
    (statement,) = answer["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/*"
    assert answer["context"] == {"tenant_id": "acme", "key_id": record.key_id, "plan": "default"}
    assert answer["usageIdentifierKey"] == hash_key(secret)


@pytest.mark.parametrize("header", ["Authorization: Bearer {}", "Authorization: Key {}"])
def test_authorization_header_forms_are_accepted(authorizer, header):
    from framelens.runtime import build_services

    secret, _ = build_services().keys.create("acme")
    name, _, value = header.partition(": ")
    event = {"methodArn": METHOD_ARN, "headers": {name: value.format(secret)}}
    assert authorizer.handler(event, FakeContext())["context"]["tenant_id"] == "acme"


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "fl_unknown"}], ids=["none", "unknown"])
def test_missing_or_unknown_key_is_unauthorized(authorizer, headers):
    event = {"methodArn": METHOD_ARN, "headers": headers}
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(event, FakeContext())


def test_stage_arn_covers_every_route():
    sys.path.insert(0, str(ROOT / "functions" / "authorizer"))
    try:
        pytest.importorskip("framelens.runtime")
        import importlib

        module = importlib.import_module("handler")
        assert module.stage_arn(METHOD_ARN).endswith("abc123/v1/*")
    finally:
        sys.path.remove(str(ROOT / "functions" / "authorizer"))
        sys.modules.pop("handler", None)


# -- ingest event parsing --------------------------------------------------------------------


def _ingest():
    pytest.importorskip("framelens.runtime")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "ingest_handler", ROOT / "functions" / "ingest" / "handler.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def _event(*keys: str) -> dict:
    return {"Records": [{"s3": {"object": {"key": k, "size": 3, "eTag": "e"}}} for k in keys]}


def test_ingest_decodes_url_encoded_keys():
    uploads = _ingest().parse_event(_event("uploads/my+clip%281%29.mp4"))
    assert [u.key for u in uploads] == ["uploads/my clip(1).mp4"]


def test_ingest_skips_sidecars():
    assert _ingest().parse_event(_event("uploads/a.mp4.json")) == []


def test_ingest_flags_keys_that_are_not_utf8():
    (upload,) = _ingest().parse_event(_event("uploads/%FF%FE.mp4"))
    assert upload.key is None
    assert "UTF-8" in upload.error


def test_cold_import_timing_is_recorded(imports, capsys):
    # Not an assertion on speed: prints the numbers the resolution reports.
    with capsys.disabled():
        for name, data in imports.items():
            sys.stdout.write(f"\ncold import {name}: {data['seconds']:.3f}s")
    assert all(data["seconds"] > 0 for data in imports.values())


def test_timer_resolution_is_sane():
    started = time.perf_counter()
    assert time.perf_counter() >= started
