"""Issue 9's AWS fixes, each asserted on the synthesized template (one concern per test)."""

from __future__ import annotations

import json
import math

import pytest

from framelens.config import Settings
from framelens.orchestration.stages import FAILURE_STAGES, stage
from infra.artifacts import ARCHITECTURE, LAMBDA_PYTHON
from infra.constructs import pipeline
from infra.constructs.api import LAMBDA_DIRECT_UPLOAD_BYTES, OPEN_PATHS
from infra.constructs.common import MAX_EPHEMERAL_MB, FramelensProps, ephemeral_mb_for
from infra.constructs.gpu import ROOT_DEVICE, ROOT_VOLUME_GIB
from infra.constructs.job_events import ENDED_STATUSES

SERVICE = "FramelensService"
INVOKE_PAYLOAD = 6 * 1024 * 1024


def _ours(synth) -> dict[str, dict]:
    """Our functions (zip and image), not CDK's helpers, by logical id."""
    return {
        k: v
        for k, v in synth.resources(SERVICE, "AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == "handler.handler"
        or v["Properties"].get("PackageType") == "Image"
    }


def _function(synth, prefix: str) -> dict:
    (found,) = [v for k, v in _ours(synth).items() if k.startswith(prefix)]
    return dict(found["Properties"])


def _ephemeral(props: dict) -> int:
    return int(props.get("EphemeralStorage", {}).get("Size", 512))


def test_every_zip_function_runs_the_python_of_the_locks(synth):
    zips = [v["Properties"] for v in _ours(synth).values() if "Runtime" in v["Properties"]]
    assert len(zips) == 5  # api, authorizer, ingest, job_events, webhooks
    assert {p["Runtime"] for p in zips} == {f"python{LAMBDA_PYTHON}"}
    assert {tuple(p["Architectures"]) for p in zips} == {(ARCHITECTURE,)}


def test_layers_declare_the_same_runtime(synth):
    for layer in synth.resources(SERVICE, "AWS::Lambda::LayerVersion").values():
        assert layer["Properties"]["CompatibleRuntimes"] == [f"python{LAMBDA_PYTHON}"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("ApiFunction", ephemeral_mb_for(Settings().max_presigned_upload_bytes)),
        ("IngestFunction", MAX_EPHEMERAL_MB),
        ("PipelineControl", MAX_EPHEMERAL_MB),
        ("PipelineInference", MAX_EPHEMERAL_MB),
        ("ApiAuthorizerFunction", 512),
    ],
)
def test_tmp_is_sized_for_what_each_function_downloads(synth, prefix, expected):
    assert _ephemeral(_function(synth, prefix)) == expected


def test_api_tmp_holds_the_largest_presigned_upload(synth):
    size_mb = _ephemeral(_function(synth, "ApiFunction"))
    assert size_mb * 2**20 >= Settings().max_presigned_upload_bytes


def test_direct_upload_limit_fits_lambdas_invoke_payload_after_base64(synth):
    env = _function(synth, "ApiFunction")["Environment"]["Variables"]
    limit = int(env["FRAMELENS_MAX_UPLOAD_BYTES"])
    assert limit == LAMBDA_DIRECT_UPLOAD_BYTES
    # base64 (4/3), multipart framing and the event's headers (64 KiB) stay under 6 MB
    assert math.ceil(limit * 4 / 3) + 64 * 1024 <= INVOKE_PAYLOAD


def test_inline_artifacts_fit_a_lambda_response():
    assert math.ceil(Settings().max_inline_response_bytes * 4 / 3) + 64 * 1024 <= INVOKE_PAYLOAD


def test_curl_accept_any_gets_binary(service_template):
    (api,) = service_template.find_resources("AWS::ApiGateway::RestApi").values()
    assert "*/*" in api["Properties"]["BinaryMediaTypes"]


def test_open_paths_are_the_apps_health_routes_that_answer_without_a_key(tmp_path):
    # GIVEN the app the API function serves, asked without a key (as the local server is)
    from fastapi.testclient import TestClient

    from framelens.api import create_app
    from framelens.runtime import build_services

    app = create_app(build_services(Settings(data_dir=tmp_path), start_runner=False))
    client = TestClient(app)
    gets = [p for p, ops in app.openapi()["paths"].items() if "get" in ops and "{" not in p]
    open_gets = {p.strip("/") for p in gets if client.get(p).status_code == 200}
    # THEN API Gateway leaves exactly those open: the seeds' health routes need no key
    assert open_gets == set(OPEN_PATHS)


def _statements(synth, role_fragment: str) -> list[dict]:
    out = []
    for policy in synth.resources(SERVICE, "AWS::IAM::Policy").values():
        roles = json.dumps(policy["Properties"].get("Roles", []))
        if role_fragment in roles:
            out += policy["Properties"]["PolicyDocument"]["Statement"]
    return out


def test_api_may_stop_executions(synth):
    actions = [s["Action"] for s in _statements(synth, "ApiFunctionServiceRole")]
    flat = {a for action in actions for a in ([action] if isinstance(action, str) else action)}
    assert "states:StopExecution" in flat


def test_an_ended_execution_rule_targets_the_job_events_function(synth):
    # (the other rule is the webhook delivery schedule: tests/infra/test_infra_webhooks.py)
    rules = synth.resources(SERVICE, "AWS::Events::Rule").values()
    (rule,) = [r for r in rules if "EventPattern" in r["Properties"]]
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.states"]
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    assert sorted(pattern["detail"]["status"]) == sorted(ENDED_STATUSES)
    assert set(ENDED_STATUSES) == {"FAILED", "TIMED_OUT", "ABORTED"}
    assert "StateMachine" in json.dumps(pattern["detail"]["stateMachineArn"])
    (target,) = rule["Properties"]["Targets"]
    assert "JobEventsFunction" in json.dumps(target["Arn"])


def test_job_events_function_may_write_jobs_and_slot_counters(synth):
    statements = _statements(synth, "JobEventsFunctionServiceRole")
    resources = json.dumps([s.get("Resource") for s in statements])
    assert "JobsTable" in resources and "KeysTable" in resources


@pytest.mark.parametrize("name", ["Notify", *[pipeline.state_name(s) for s in FAILURE_STAGES]])
def test_notify_states_retry_lambda_throttling(definition, name):
    retries = definition["States"][name]["Retry"]
    assert any("Lambda.TooManyRequestsException" in r["ErrorEquals"] for r in retries)


def _gpu_state(definition) -> dict:
    (fan_out,) = [s for s in definition["States"].values() if s["Type"] == "Map"]
    processor = fan_out.get("ItemProcessor") or fan_out["Iterator"]
    return dict(processor["States"][pipeline.GPU_TASK_STATE])


def test_gpu_timeout_covers_provisioning_and_queueing(definition):
    props = FramelensProps()
    timeout = _gpu_state(definition)["TimeoutSeconds"]
    assert timeout == pipeline.gpu_task_timeout_s(stage("analyze"), props)
    waves = math.ceil(props.map_max_concurrency / props.gpu_max_instances)
    assert timeout >= pipeline.GPU_PROVISIONING_S + waves * stage("analyze").timeout_s


def test_gpu_retry_lists_task_failures_and_ecs_errors(definition):
    (retry,) = _gpu_state(definition)["Retry"]
    assert "States.TaskFailed" in retry["ErrorEquals"]
    assert any(e.startswith("ECS.") for e in retry["ErrorEquals"])


def test_scale_in_never_terminates_a_running_worker(synth):
    (provider,) = synth.resources(SERVICE, "AWS::ECS::CapacityProvider").values()
    asg_provider = provider["Properties"]["AutoScalingGroupProvider"]
    assert asg_provider["ManagedTerminationProtection"] == "ENABLED"
    (asg,) = synth.resources(SERVICE, "AWS::AutoScaling::AutoScalingGroup").values()
    assert asg["Properties"]["NewInstancesProtectedFromScaleIn"] is True


def test_gpu_root_volume_is_sized_and_encrypted(synth):
    (template,) = synth.resources(SERVICE, "AWS::EC2::LaunchTemplate").values()
    (device,) = template["Properties"]["LaunchTemplateData"]["BlockDeviceMappings"]
    assert device["DeviceName"] == ROOT_DEVICE
    assert device["Ebs"]["Encrypted"] is True
    assert device["Ebs"]["VolumeSize"] == ROOT_VOLUME_GIB
    assert device["Ebs"]["VolumeType"] == "gp3"


def test_the_viewer_page_and_modules_are_open_and_nothing_else_new(service_template):
    # GIVEN the API's methods without an authorizer
    methods = service_template.find_resources("AWS::ApiGateway::Method")
    open_methods = [m for m in methods.values() if m["Properties"]["AuthorizationType"] == "NONE"]
    # THEN besides the health routes only GET / and GET /viewer/{file+} are open (the page asks
    # the user for a key and sends it to the API itself)
    assert all(m["Properties"]["HttpMethod"] == "GET" for m in open_methods)
    from infra.constructs.api import OPEN_PATHS, VIEWER_PATHS

    assert len(open_methods) == len(OPEN_PATHS) + len(VIEWER_PATHS) + 1
