"""The state machine is generated from the stage list: states, routing, Retry and Catch.

The definition is parsed from the synthesized DefinitionString, i.e. what would be deployed.
"""

from __future__ import annotations

import pytest

from framelens.orchestration.stages import FAILURE_STAGES, STAGES
from infra.constructs import pipeline

TOP_STRUCTURAL = {pipeline.FAIL_STATE}
MAP_STATES = {pipeline.ROUTE_STATE, pipeline.CPU_TASK_STATE, pipeline.GPU_TASK_STATE}
FAN_OUT = next(s for s in STAGES if s.fan_out)


def _map(definition):
    return definition["States"][pipeline.state_name(FAN_OUT)]


def test_top_level_states_are_exactly_the_stages(definition):
    # GIVEN the stage list WHEN comparing with the synthesized states
    expected = {pipeline.state_name(s) for s in (*STAGES, *FAILURE_STAGES)} | TOP_STRUCTURAL
    # THEN there is one state per stage and nothing else but the final Fail
    assert set(definition["States"]) == expected


def test_stages_run_in_the_listed_order(definition):
    states = definition["States"]
    name = definition["StartAt"]
    order = []
    while name:
        order.append(name)
        name = states[name].get("Next")
    assert order == [pipeline.state_name(s) for s in STAGES]
    assert states[order[-1]].get("End") is True


def test_failure_path_is_mark_failed_then_notify_then_fail(definition):
    states = definition["States"]
    first, second = (pipeline.state_name(s) for s in FAILURE_STAGES)
    assert states[first]["Next"] == second
    assert states[second]["Next"] == pipeline.FAIL_STATE
    assert states[pipeline.FAIL_STATE]["Type"] == "Fail"


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_every_stage_catches_everything_into_mark_failed(definition, stage):
    state = definition["States"][pipeline.state_name(stage)]
    (catch,) = state["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    assert catch["Next"] == pipeline.state_name(FAILURE_STAGES[0])
    assert catch["ResultPath"] == "$.error"


@pytest.mark.parametrize("stage", [s for s in STAGES if not s.fan_out], ids=lambda s: s.name)
def test_retry_mirrors_the_stage_policy(definition, stage):
    state = definition["States"][pipeline.state_name(stage)]
    *policy, service = state["Retry"]  # the last retrier: Lambda's own errors, on every task
    assert service["ErrorEquals"] == list(pipeline.TRANSIENT_LAMBDA_ERRORS)
    if stage.retry.max_attempts == 0:
        assert not policy
        return
    (retry,) = policy
    assert set(stage.retry.errors) <= set(retry["ErrorEquals"])
    assert retry["MaxAttempts"] == stage.retry.max_attempts
    assert retry["IntervalSeconds"] == max(1, round(stage.retry.interval_s))
    assert retry["BackoffRate"] == stage.retry.backoff_rate


@pytest.mark.parametrize(
    "stage", [s for s in (*STAGES, *FAILURE_STAGES) if not s.fan_out], ids=lambda s: s.name
)
def test_control_stages_invoke_the_control_function_with_their_name(definition, stage):
    state = definition["States"][pipeline.state_name(stage)]
    assert state["Type"] == "Task"
    assert state["Parameters"]["stage"] == stage.name
    assert state["TimeoutSeconds"] == stage.timeout_s


def test_fan_out_is_a_distributed_map_reading_its_items_from_s3(definition):
    # GIVEN the fan-out state
    fan_out = _map(definition)
    # THEN a Distributed Map reads the JSON item array the plan stage stored, writes child
    # results to S3 and passes its input through (state size does not grow with the items)
    assert fan_out["Type"] == "Map"
    assert fan_out["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    reader = fan_out["ItemReader"]
    assert reader["Resource"].endswith(":states:::s3:getObject")
    assert reader["ReaderConfig"]["InputType"] == "JSON"
    assert reader["Parameters"]["Key.$"] == "$.items_key"
    assert fan_out["ResultWriter"]["Resource"].endswith(":states:::s3:putObject")
    assert fan_out["ResultPath"] is None
    assert "ItemsPath" not in fan_out
    # AND each item is routed by runtime
    processor = fan_out["ItemProcessor"]
    assert set(processor["States"]) == MAP_STATES
    route = processor["States"][processor["StartAt"]]
    assert route["Type"] == "Choice"
    (choice,) = route["Choices"]
    assert choice == {
        "Variable": "$.runtime",
        "StringEquals": "gpu",
        "Next": pipeline.GPU_TASK_STATE,
    }
    assert route["Default"] == pipeline.CPU_TASK_STATE


def test_gpu_items_run_as_ecs_tasks_synchronously(definition):
    states = _map(definition)["ItemProcessor"]["States"]
    gpu = states[pipeline.GPU_TASK_STATE]
    assert gpu["Resource"].endswith(":states:::ecs:runTask.sync")
    assert "CapacityProviderStrategy" in gpu["Parameters"]
    (override,) = gpu["Parameters"]["Overrides"]["ContainerOverrides"]
    (env,) = override["Environment"]
    assert env == {"Name": pipeline.TASK_INPUT_ENV, "Value.$": "States.JsonToString($)"}
    assert gpu["ResultPath"] is None  # the worker leaves its manifest at the item's result_key


def test_cpu_items_invoke_the_inference_function(definition):
    cpu = _map(definition)["ItemProcessor"]["States"][pipeline.CPU_TASK_STATE]
    assert cpu["Parameters"]["stage"] == FAN_OUT.name
    assert cpu["Parameters"]["payload.$"] == "$"
    assert cpu["TimeoutSeconds"] == FAN_OUT.timeout_s


def test_stage_after_fan_out_gets_the_plan_back(definition):
    # The Map discards its result, so aggregate gets the plan (job, items_key) and reads every
    # item's manifest from its result_key
    after = STAGES[STAGES.index(FAN_OUT) + 1]
    payload = definition["States"][pipeline.state_name(after)]["Parameters"]["payload.$"]
    assert payload == "$"


def test_mark_failed_gets_job_id_and_error(definition):
    state = definition["States"][pipeline.state_name(FAILURE_STAGES[0])]
    assert state["Parameters"]["payload"] == {"job_id.$": "$.job_id", "error.$": "$.error"}


def test_execution_has_a_backstop_timeout(definition):
    assert definition["TimeoutSeconds"] == 12 * 3600


def test_gpu_task_definition_requires_a_gpu(synth):
    (task,) = synth.resources("FramelensService", "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    assert "EC2" in task["Properties"]["RequiresCompatibilities"]


def test_gpu_capacity_scales_from_zero_on_the_gpu_ami(synth):
    (asg,) = synth.resources("FramelensService", "AWS::AutoScaling::AutoScalingGroup").values()
    assert asg["Properties"]["MinSize"] == "0"
    (template,) = synth.resources("FramelensService", "AWS::EC2::LaunchTemplate").values()
    image = str(template["Properties"]["LaunchTemplateData"]["ImageId"])
    parameters = synth.templates["FramelensService"]["Parameters"]
    ssm = [p["Default"] for name, p in parameters.items() if name in image]
    assert ssm == ["/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"]
    assert synth.resources("FramelensService", "AWS::ECS::CapacityProvider")
