"""The job pipeline: one Step Functions state machine generated from the library's stage list.

Owns: the translation of ``framelens.orchestration.stages`` (``STAGES``, ``FAILURE_STAGES``) into
typed CDK states, the two container-image functions that run them (``Control`` for control
stages, ``Inference`` for CPU analysis; one image, ``containers/inference``) and the GPU branch
(ECS ``RunTask.sync`` on ``gpu.py``'s cluster). Does not own what a stage does
(``framelens.orchestration.steps``) nor any ASL text: there is none.

Shape: ``Probe → Plan → Analyze (a Distributed Map over the JSON item array at $.items_key;
Choice on $.runtime: cpu → Lambda, gpu → ECS) → Aggregate → Notify → Finalize``. Every stage has
the Retry of its ``Stage.retry`` and a Catch (States.ALL) → ``MarkFailed → NotifyFailure →
Failed``.

Payloads stay small: tasks pass ``{"stage": name, "payload": <state>}`` and results live in S3,
so a work item's output is ``{"key": <s3 key>}``.

Deadlines (``Max-Processing-Time``): the job record carries its deadline and every step checks
it on entry (``DeadlineExceededError`` → Catch → MarkFailed), which moto's interpreter runs like
AWS; each task also has its stage's static ``timeout_s``, and the execution a static backstop
(``execution_timeout_hours``), so no job stays ``running`` forever. ``TimeoutSecondsPath`` was
not used: a work item inside the Map does not see the plan's ``deadline_s``, and a ``null``
deadline would make the path invalid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Size
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from framelens.orchestration.contract import FAN_OUT_ITEMS, Failure, WorkItem
from framelens.orchestration.stages import FAILURE_STAGES, STAGES, RetryPolicy, Stage
from framelens.stores.layout import MAP_RESULTS_PREFIX
from infra.constructs.access import grant_tables
from infra.constructs.common import REPO_ROOT, FramelensProps, ephemeral_mb_for, powertools_env
from infra.constructs.gpu import WORKER_CONTAINER, image_excludes

if TYPE_CHECKING:
    from pydantic import BaseModel

    from infra.constructs.gpu import GpuCompute
    from infra.constructs.storage import Storage

# Errors of the Lambda service itself (throttling, cold-start hiccups): always worth a retry.
TRANSIENT_LAMBDA_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
# Structural states that are not stages; tests check that nothing else appears.
ROUTE_STATE = "RouteByRuntime"
GPU_TASK_STATE = "AnalyzeGpu"
CPU_TASK_STATE = "AnalyzeCpu"
FAIL_STATE = "Failed"
TASK_INPUT_ENV = "FRAMELENS_TASK_INPUT"


def state_name(stage: Stage) -> str:
    """The Step Functions state name of a stage: its name in PascalCase (``mark_failed`` →
    ``MarkFailed``)."""
    return "".join(part.capitalize() for part in stage.name.split("_"))


# How a GPU work item fails: the container exits non-zero (States.TaskFailed) or RunTask
# itself fails (ECS.* errors; capacity not there yet is the common one).
GPU_TASK_ERRORS = ("States.TaskFailed", "ECS.AmazonECSException", "ECS.ServerException")
# What a GPU task's timeout must also cover besides the work: scaling the group from zero, the
# instance registering with ECS and pulling a multi-GB image (about 10 min together), and slack.
GPU_PROVISIONING_S = 1200


def gpu_task_timeout_s(stage: Stage, props: FramelensProps) -> int:
    """Timeout of one GPU work item: provisioning, plus the work of every item that may queue
    ahead of it (the Map runs ``map_max_concurrency`` items on ``gpu_max_instances`` GPUs).

    Examples:
        >>> from framelens.orchestration.stages import stage
        >>> gpu_task_timeout_s(stage("analyze"), FramelensProps())
        4800
    """
    waves = -(-props.map_max_concurrency // max(1, props.gpu_max_instances))
    return GPU_PROVISIONING_S + waves * stage.timeout_s


def _path(model: type[BaseModel], name: str) -> str:
    """``$.<name>``, checked against the typed payload that carries it (written once there)."""
    assert name in model.model_fields, f"{model.__name__} has no field {name!r}"
    return f"$.{name}"


def _add_retry(
    state: sfn.TaskStateBase | sfn.DistributedMap,
    policy: RetryPolicy,
    extra_errors: tuple[str, ...] = (),
) -> None:
    if policy.max_attempts <= 0:
        return
    state.add_retry(
        errors=[*policy.errors, *extra_errors],
        interval=Duration.seconds(max(1, round(policy.interval_s))),
        max_attempts=policy.max_attempts,
        backoff_rate=policy.backoff_rate,
    )


def _add_lambda_service_retry(task: tasks.LambdaInvoke) -> None:
    """Every Lambda task retries Lambda's own errors (throttling above all), even a stage that
    must not re-run after its code failed (Notify after Aggregate: a throttle there would fail a
    finished job's execution and skip Finalize)."""
    task.add_retry(
        errors=list(TRANSIENT_LAMBDA_ERRORS),
        interval=Duration.seconds(2),
        max_attempts=6,
        backoff_rate=2.0,
    )


class Pipeline(Construct):
    """The state machine and its container-image functions.

    Attributes:
        control_function: Runs ``control`` stages.
        inference_function: Runs ``cpu`` work items.
        state_machine: The pipeline.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        gpu: GpuCompute,
        props: FramelensProps,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        self._gpu = gpu
        self._bucket = storage.bucket
        self.control_function = self._image_function(
            "Control", memory_mb=1024, timeout_s=max(s.timeout_s for s in _control_stages()),
            environment=environment,
        )  # fmt: skip
        self.inference_function = self._image_function(
            "Inference", memory_mb=3008, timeout_s=900, environment=environment
        )
        for function in (self.control_function, self.inference_function):
            storage.bucket.grant_read_write(function)
        # Aggregate (a control stage) writes an enrolment job's identity; analysis (the CPU
        # work items) records progress and only reads galleries and tenants (access.py).
        grant_tables(storage, self.control_function, "control")
        grant_tables(storage, self.inference_function, "analysis")

        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=Duration.hours(props.execution_timeout_hours),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=logs.LogGroup(
                    self,
                    "StateMachineLogs",
                    retention=props.log_retention,
                    removal_policy=RemovalPolicy.DESTROY,
                ),
                level=sfn.LogLevel.ERROR,
            ),
        )

    # -- functions ---------------------------------------------------------------------------

    def _image_function(
        self, construct_id: str, *, memory_mb: int, timeout_s: int, environment: dict[str, str]
    ) -> lambda_.DockerImageFunction:
        # Both functions use one image (same asset hash, built once); only sizing differs.
        code = lambda_.DockerImageCode.from_image_asset(
            str(REPO_ROOT),
            file="containers/inference/Dockerfile",
            exclude=image_excludes(),
            ignore_mode=IgnoreMode.DOCKER,
        )
        return lambda_.DockerImageFunction(
            self,
            construct_id,
            code=code,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_s),
            # Probe, analysis of a segment and aggregation read whole media files, of any size.
            ephemeral_storage_size=Size.mebibytes(ephemeral_mb_for(None)),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=logs.LogGroup(
                self,
                f"{construct_id}Logs",
                retention=self._props.log_retention,
                removal_policy=RemovalPolicy.DESTROY,
            ),
            environment={
                **powertools_env(
                    f"framelens-{construct_id.lower()}",
                    xray_sdk_tracing=self._props.xray_sdk_tracing,
                ),
                **environment,
            },
        )

    # -- definition ----------------------------------------------------------------------------

    def _definition(self) -> sfn.IChainable:
        failed = sfn.Fail(self, FAIL_STATE, error="JobFailed", cause="see MarkFailed's input")
        failure_chain: sfn.IChainable = failed
        # Built backwards so each failure stage can point at the next one.
        for stage in reversed(FAILURE_STAGES):
            task = self._lambda_task(stage, self.control_function, self._failure_payload(stage))
            task.add_catch(failed, errors=[sfn.Errors.ALL], result_path=_path(Failure, "error"))
            failure_chain = task.next(failure_chain)

        chain: sfn.Chain | None = None
        for stage in STAGES:
            state: sfn.TaskStateBase | sfn.DistributedMap
            if stage.fan_out:
                state = self._fan_out(stage)
            else:
                payload = sfn.JsonPath.object_at("$")
                state = self._lambda_task(stage, self._function_for(stage), payload)
            state.add_catch(
                failure_chain, errors=[sfn.Errors.ALL], result_path=_path(Failure, "error")
            )
            chain = sfn.Chain.start(state) if chain is None else chain.next(state)
        assert chain is not None
        return chain

    def _function_for(self, stage: Stage) -> lambda_.IFunction:
        if stage.runtime == "control":
            return self.control_function
        if stage.runtime == "cpu":
            return self.inference_function
        raise ValueError(f"stage {stage.name!r}: runtime {stage.runtime!r} needs fan_out")

    @staticmethod
    def _failure_payload(stage: Stage) -> dict[str, object]:
        if stage is FAILURE_STAGES[0]:
            return {
                "job_id": sfn.JsonPath.string_at(_path(Failure, "job_id")),
                "error": sfn.JsonPath.object_at(_path(Failure, "error")),
            }
        return sfn.JsonPath.object_at("$")  # type: ignore[return-value]

    def _lambda_task(
        self, stage: Stage, function: lambda_.IFunction, payload: object, name: str | None = None
    ) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            name or state_name(stage),
            lambda_function=function,
            payload=sfn.TaskInput.from_object({"stage": stage.name, "payload": payload}),
            # The function's return value is the state's output (no Payload/StatusCode wrapper).
            payload_response_only=True,
            retry_on_service_exceptions=False,
            task_timeout=sfn.Timeout.duration(Duration.seconds(stage.timeout_s)),
        )
        _add_retry(task, stage.retry)
        _add_lambda_service_retry(task)
        return task

    def _fan_out(self, stage: Stage) -> sfn.DistributedMap:
        cpu = self._lambda_task(
            stage, self.inference_function, sfn.JsonPath.object_at("$"), name=CPU_TASK_STATE
        )
        # Every item names where it leaves its manifest (``WorkItem.result_key``, chosen by the
        # plan stage), so a GPU task, which cannot return a value through RunTask.sync, needs no
        # result at all, and neither does the Map: aggregate reads the manifests.
        container = self._gpu.task_definition.find_container(WORKER_CONTAINER)
        assert container is not None
        gpu = tasks.EcsRunTask(
            self,
            GPU_TASK_STATE,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            cluster=self._gpu.cluster,
            task_definition=self._gpu.task_definition,
            launch_target=tasks.EcsEc2LaunchTarget(
                capacity_provider_options=tasks.CapacityProviderOptions.custom(
                    [
                        ecs.CapacityProviderStrategy(
                            capacity_provider=self._gpu.capacity_provider.capacity_provider_name,
                            weight=1,
                        )
                    ]
                )
            ),
            container_overrides=[
                tasks.ContainerOverride(
                    container_definition=container,
                    environment=[
                        tasks.TaskEnvironmentVariable(
                            name=TASK_INPUT_ENV,
                            value=sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$")),
                        )
                    ],
                )
            ],
            result_path=sfn.JsonPath.DISCARD,
            task_timeout=sfn.Timeout.duration(
                Duration.seconds(gpu_task_timeout_s(stage, self._props))
            ),
        )
        _add_retry(gpu, stage.retry, GPU_TASK_ERRORS)
        route = (
            sfn.Choice(self, ROUTE_STATE)
            .when(sfn.Condition.string_equals(_path(WorkItem, "runtime"), "gpu"), gpu)
            .otherwise(cpu)
        )
        # A Distributed Map: items come from the JSON array the plan stage stored, child results
        # go to S3, and the state passes through unchanged (constant size for 10 or 10,000 items;
        # an inline Map's results would break the 256 KiB state limit past ~1,100 items).
        fan_out = sfn.DistributedMap(
            self,
            state_name(stage),
            item_reader=sfn.S3JsonItemReader(
                bucket=self._bucket, key=sfn.JsonPath.string_at(f"$.{FAN_OUT_ITEMS}")
            ),
            result_writer=sfn.ResultWriter(bucket=self._bucket, prefix=MAP_RESULTS_PREFIX),
            result_path=sfn.JsonPath.DISCARD,
            max_concurrency=self._props.map_max_concurrency,
            map_execution_type=sfn.StateMachineType.STANDARD,
        )
        fan_out.item_processor(route)
        return fan_out


def _control_stages() -> list[Stage]:
    return [s for s in (*STAGES, *FAILURE_STAGES) if s.runtime == "control"]
