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
