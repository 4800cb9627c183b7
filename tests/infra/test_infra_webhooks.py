"""The webhooks table (seed 003 subscriptions): every process that changes a job may use it."""

from __future__ import annotations

import json

import pytest

from tests.infra.test_infra_hardening import _statements

SERVICE = "FramelensService"


@pytest.mark.parametrize(
    "role",
    [
        "ApiFunctionServiceRole",
        "IngestFunctionServiceRole",
        "JobEventsFunctionServiceRole",
        "PipelineControl",
    ],
)
def test_whoever_changes_jobs_may_write_the_webhooks_table(synth, role):
    # Job events happen where jobs are created (API, S3 drops) and change state (the pipeline's
    # control stages, the ended-execution function): each records deliveries there. Analysis
    # (the inference function, the GPU task) only records progress, which is no event, so it
    # gets no webhooks access at all (infra/constructs/access.py; test_infra_cloud_hardening).
    statements = _statements(synth, role)
    writes = [
        s
        for s in statements
        if "WebhooksTable" in json.dumps(s.get("Resource"))
        and "dynamodb:PutItem" in json.dumps(s["Action"])
    ]
    assert writes, f"{role} cannot write the webhooks table"


def test_every_function_is_told_the_webhooks_table(synth):
    for name, function in synth.resources(SERVICE, "AWS::Lambda::Function").items():
        env = function["Properties"].get("Environment", {}).get("Variables", {})
        if "FRAMELENS_JOBS_TABLE" in env:
            assert "WebhooksTable" in json.dumps(env["FRAMELENS_WEBHOOKS_TABLE"]), name


def test_the_delivery_function_runs_every_minute_one_at_a_time(synth):
    logical, function = _function(synth, "WebhooksFunction")
    assert function["Properties"]["ReservedConcurrentExecutions"] == 1
    rules = synth.resources(SERVICE, "AWS::Events::Rule").values()
    (rule,) = [r for r in rules if "ScheduleExpression" in r["Properties"]]
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    (target,) = rule["Properties"]["Targets"]
    assert logical in json.dumps(target["Arn"])


def test_the_delivery_function_reads_bodies_and_the_key_and_writes_records(synth):
    statements = json.dumps(_statements(synth, "WebhooksFunctionServiceRole"))
    assert "WebhooksTable" in statements and "JobsTable" in statements
    assert "webhooks/*" in statements
    assert "secretsmanager:GetSecretValue" in statements
    assert "s3:PutObject" not in statements  # it only reads bodies


@pytest.mark.parametrize(
    ("role", "reads_key"),
    [
        ("ApiFunctionServiceRole", True),
        ("IngestFunctionServiceRole", True),
        ("JobEventsFunctionServiceRole", False),
        ("PipelineControl", False),
        ("GpuWorkerTaskTaskRole", False),
    ],
)
def test_whoever_queues_deliveries_may_wake_the_sender_and_only_sealers_read_the_key(
    synth, role, reads_key
):
    statements = json.dumps(_statements(synth, role))
    assert "lambda:InvokeFunction" in statements and "WebhooksFunction" in statements
    assert ("secretsmanager:GetSecretValue" in statements) is reads_key


def test_functions_are_told_the_key_by_arn_never_its_value(synth):
    storage = synth.templates["FramelensStorage"]["Resources"]
    (key,) = [k for k, v in storage.items() if v["Type"] == "AWS::SecretsManager::Secret"]
    assert key == "FramelensWebhookSecretKey"
    assert storage[key]["DeletionPolicy"] == "Retain"
    _, api = _function(synth, "ApiFunction")
    env = api["Properties"]["Environment"]["Variables"]
    assert "FRAMELENS_WEBHOOK_SECRET_ARN" in env and "FRAMELENS_WEBHOOK_SECRET_KEY" not in env
    assert "WebhooksFunction" in json.dumps(env["FRAMELENS_WEBHOOK_FUNCTION"])


def _function(synth, prefix):
    found = [
        (k, v)
        for k, v in synth.resources(SERVICE, "AWS::Lambda::Function").items()
        if k.startswith(prefix)
    ]
    (one,) = found
    return one
