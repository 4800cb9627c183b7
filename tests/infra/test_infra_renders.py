"""The render worker on the template: what it runs, how the API reaches it, what it may touch."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from infra.constructs.renders import READ_PREFIXES, RENDER_HANDLER, RENDER_TIMEOUT_S

SERVICE = "FramelensService"
ROOT = Path(__file__).resolve().parents[2]


def _one(synth: Any, type_: str, prefix: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, v) for k, v in synth.resources(SERVICE, type_).items() if k.startswith(prefix)]
    return found


def _statements(synth: Any, role_prefix: str) -> list[dict[str, Any]]:
    _, policy = _one(synth, "AWS::IAM::Policy", role_prefix)
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _suffix(resource: Any) -> str:
    """The object pattern of a resource ``Fn::Join`` (``/renders/*``), or ``""`` for an ARN."""
    if isinstance(resource, dict) and "Fn::Join" in resource:
        return str(resource["Fn::Join"][1][-1])
    return ""


def test_the_worker_is_the_inference_image_running_the_render_handler(synth):
    # GIVEN the render function
    _, function = _one(synth, "AWS::Lambda::Function", "RenderFunction")
    props = function["Properties"]
    # THEN it is an image function whose command is the render handler, with Lambda's longest
    # timeout and the large /tmp its spooled renders need
    assert props["PackageType"] == "Image"
    assert props["ImageConfig"]["Command"] == [RENDER_HANDLER]
    assert props["Timeout"] == RENDER_TIMEOUT_S == 900
    assert props["EphemeralStorage"]["Size"] == 10_240
    assert props["TracingConfig"]["Mode"] == "Active"
    # AND the image copies functions/render/handler.py where that command looks, defining it
    dockerfile = (ROOT / "containers" / "inference" / "Dockerfile").read_text()
    module, _, name = RENDER_HANDLER.rpartition(".")
    assert f"COPY functions/render/handler.py ./{module}.py" in dockerfile
    tree = ast.parse((ROOT / "functions" / "render" / "handler.py").read_text())
    assert any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)
    assert len((ROOT / "functions" / "render" / "handler.py").read_text().splitlines()) <= 40


def test_lambda_does_not_retry_a_render_on_its_own(synth):
    _, config = _one(synth, "AWS::Lambda::EventInvokeConfig", "RenderFunction")
    assert config["Properties"]["MaximumRetryAttempts"] == 0
    assert config["Properties"]["MaximumEventAgeInSeconds"] == RENDER_TIMEOUT_S


def test_the_api_knows_the_worker_and_may_invoke_only_it_and_the_webhook_sender(synth):
    logical, _ = _one(synth, "AWS::Lambda::Function", "RenderFunction")
    webhooks, _ = _one(synth, "AWS::Lambda::Function", "WebhooksFunction")
    _, api = _one(synth, "AWS::Lambda::Function", "ApiFunction")
    env = api["Properties"]["Environment"]["Variables"]
    assert env["FRAMELENS_RENDER_FUNCTION"] == {"Ref": logical}
    assert env["FRAMELENS_RENDER_WORKER_TIMEOUT_S"] == str(RENDER_TIMEOUT_S)
    invokes = [s for s in _statements(synth, "ApiFunctionServiceRole") if "lambda:" in str(s)]
    assert invokes and all(s["Action"] == "lambda:InvokeFunction" for s in invokes)
    resources = [json.dumps(r) for s in invokes for r in _as_list(s["Resource"])]
    assert any(logical in r for r in resources)
    assert all(logical in r or webhooks in r for r in resources)


def test_the_worker_writes_only_renders_and_reads_only_what_renders_need(synth):
    statements = _statements(synth, "RenderFunctionServiceRole")
    writes = [
        s for s in statements if any(a.startswith(("s3:Put", "s3:Delete")) for a in s["Action"])
    ]
    # THEN every S3 write or delete is under renders/
    assert writes
    for statement in writes:
        assert {_suffix(r) for r in _as_list(statement["Resource"])} == {"/renders/*"}
    # AND reads cover the stored media, drops, results, oversized job bodies and renders only
    reads = [s for s in statements if "s3:GetObject*" in s["Action"]]
    objects = {_suffix(r) for s in reads for r in _as_list(s["Resource"])} - {""}
    assert objects == {f"/{p}*" for p in READ_PREFIXES} | {"/renders/*"}
    # AND DynamoDB is read-only, on the files and jobs tables (never the keys table)
    dynamo = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    actions = {a for s in dynamo for a in s["Action"]}
    assert actions and not {a for a in actions if "Put" in a or "Update" in a or "Delete" in a}
    tables = json.dumps([s["Resource"] for s in dynamo])
    assert "FilesTable" in tables and "JobsTable" in tables and "KeysTable" not in tables
