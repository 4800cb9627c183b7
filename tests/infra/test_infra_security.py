"""Least privilege, tracing, log retention and alarms across the whole app."""

from __future__ import annotations

import pytest


def _statements(synth):
    for stack, template in synth.templates.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::IAM::Policy":
                for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                    yield stack, logical_id, statement


def _is_cdk_helper(logical_id: str) -> bool:
    return "BucketNotificationsHandler" in logical_id or "DrainECSHook" in logical_id


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_no_statement_allows_every_action_on_every_resource(synth):
    offenders = [
        (stack, logical_id)
        for stack, logical_id, st in _statements(synth)
        if st["Effect"] == "Allow"
        and "*" in _as_list(st["Action"])
        and "*" in _as_list(st.get("Resource"))
    ]
    assert offenders == []


def test_no_statement_allows_every_action(synth):
    offenders = [
        (stack, logical_id)
        for stack, logical_id, st in _statements(synth)
        if st["Effect"] == "Allow" and "*" in _as_list(st["Action"])
    ]
    assert offenders == []


def test_every_function_traces_with_xray(synth):
    functions = synth.resources("FramelensService", "AWS::Lambda::Function")
    # CDK's own helpers (bucket notifications, ECS drain hook) are inline code, not ours.
    ours = {k: f for k, f in functions.items() if not _is_cdk_helper(k)}
    assert ours
    assert all(f["Properties"]["TracingConfig"] == {"Mode": "Active"} for f in ours.values())


def test_every_log_group_has_retention(synth):
    groups = synth.resources("FramelensService", "AWS::Logs::LogGroup")
    assert groups
    assert all(g["Properties"]["RetentionInDays"] == 30 for g in groups.values())


def test_api_stage_traces_with_xray(service_template):
    service_template.has_resource_properties("AWS::ApiGateway::Stage", {"TracingEnabled": True})


def test_state_machine_traces_and_logs(service_template):
    service_template.has_resource_properties(
        "AWS::StepFunctions::StateMachine", {"TracingConfiguration": {"Enabled": True}}
    )


@pytest.mark.parametrize(
    ("metric", "namespace"),
    [("ExecutionsFailed", "AWS/States"), ("ApproximateNumberOfMessagesVisible", "AWS/SQS")],
)
def test_alarms_watch_failed_executions_and_dlq_depth(synth, metric, namespace):
    alarms = synth.resources("FramelensService", "AWS::CloudWatch::Alarm").values()
    matching = [
        a["Properties"]
        for a in alarms
        if a["Properties"]["MetricName"] == metric and a["Properties"]["Namespace"] == namespace
    ]
    assert len(matching) == 1
    assert matching[0]["Threshold"] == 1
    assert matching[0]["AlarmActions"]


def test_functions_get_generated_names_through_settings_env(synth):
    functions = synth.resources("FramelensService", "AWS::Lambda::Function")
    api = next(f for k, f in functions.items() if k.startswith("ApiFunction"))
    env = api["Properties"]["Environment"]["Variables"]
    for name in ("FRAMELENS_JOBS_TABLE", "FRAMELENS_FILES_TABLE", "FRAMELENS_KEYS_TABLE",
                 "FRAMELENS_WEBHOOKS_TABLE", "FRAMELENS_MEDIA_BUCKET",
                 "FRAMELENS_STATE_MACHINE_ARN"):  # fmt: skip
        assert not isinstance(env[name], str), f"{name} must be generated, not hard-coded"
    assert env["FRAMELENS_BACKEND"] == "aws"


def test_synthesis_is_fast_enough(synth):
    # Two shared cores here; a regression past a minute means something copies too much.
    assert synth.seconds < 90
