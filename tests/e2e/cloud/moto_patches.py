"""The moto patches that make moto execute our code instead of Docker.

Owns (installed once per process, active only while a ``CloudEnv`` is, via ``activate``):

- ``LambdaFunction._invoke_lambda`` (moto's only Docker call for Lambda) dispatches to
  ``functions/<name>/handler.py`` with the event, the way the Lambda runtime does: a raised
  exception becomes ``{"errorType": <class name>, "errorMessage"}`` with ``FunctionError``, so
  each state's Retry and Catch match on our error class names, as in AWS.
- ECS ``run_task`` runs ``containers/gpu-worker/worker.py``'s ``main`` in-process with the task
  definition's environment plus the container overrides, then stops the task with its exit code.
  The ``.sync`` resolver fails the state (``States.TaskFailed``) on a non-zero exit code, as AWS
  does when the essential container fails.
- moto's copy of the ASL interpreter leaves service-integration parameters un-normalised (its
  ``_normalise_parameters`` is a no-op, so ``ecs:runTask.sync`` fails with cause ``'Cluster'``);
  the ECS integration gets the normalisation from botocore's ``ecs`` service model (``Cluster`` →
  ``cluster``, nested shapes included) and the inverse for responses (``tasks`` → ``Tasks``).
- moto's Distributed Map swallows failed child executions and succeeds; AWS fails the Map with
  ``States.ExceedToleratedFailureThreshold`` once more items failed than tolerated (0 unless
  ``ToleratedFailureCount``/``Percentage`` say otherwise): ``_map_run`` raises that after its
  items are done (the one narrow patch of Distributed Map semantics; README "Deploying to AWS").
- S3 → Lambda notifications are delivered a little later, on a thread, like S3.
- The registered container instance is sized like a GPU instance.

A Lambda container runs one invocation at a time, and the handlers' module globals (powertools'
``Metrics`` set, the cached services) rely on it: in-process invocations of one handler module
are serialised (``_HANDLER_LOCKS``), while different functions still run concurrently.
"""

from __future__ import annotations

import json
import os
import threading
from typing import TYPE_CHECKING, Any

from tests.e2e.cloud.handlers import (
    Invocation,
    LambdaContext,
    check_wiring,
    handler_module,
    worker_module,
)
from tests.e2e.cloud.resolve import ACCOUNT, REGION

if TYPE_CHECKING:
    from tests.e2e.cloud.env import CloudEnv

NOTIFICATION_DELAY_S = 0.2
GPU_INSTANCE_MEMORY_MIB = 15_360  # g4dn.xlarge: 4 vCPU, 16 GiB, one T4
STATE_PAYLOAD_LIMIT = 256 * 1024  # Step Functions: a state's input or output, 256 KiB

_ACTIVE: list[CloudEnv] = []
_PATCHED = False
_HANDLER_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_LOCK = threading.Lock()


def _handler_lock(module: str) -> threading.RLock:
    with _LOCKS_LOCK:
        return _HANDLER_LOCKS.setdefault(module, threading.RLock())


def activate(env: CloudEnv) -> None:
    """Route the patched calls to ``env`` (the most recently activated one wins)."""
    install_patches()
    _ACTIVE.append(env)


def deactivate(env: CloudEnv) -> None:
    if env in _ACTIVE:
        _ACTIVE.remove(env)


def invoke_handler(env: CloudEnv, function: Any, event: dict[str, Any]) -> tuple[str, bool, str]:
    """Run the function's handler in-process, answering as the Lambda runtime does."""
    name = function.function_name
    record = Invocation(function=name, event=event)
    env.invocations.append(record)
    size = len(json.dumps(event).encode())
    if size > STATE_PAYLOAD_LIMIT:
        env.limit_violations.append(f"{name}: state input {size} B")
    try:
        check_wiring(name, dict(function.environment_vars), os.environ)
        if env.artifact_invoke is not None:
            payload, failed = env.artifact_invoke(name, event)
            body = json.loads(payload)
            record.error = body.get("errorType") if failed else None
            record.result = None if failed else body
            record.finished = True
            return payload, failed, ""
        code = env.function_handlers[name]
        module = handler_module(code)
        context = LambdaContext(function_name=name, invoked_function_arn=function.function_arn)
        with _handler_lock(code):  # one invocation at a time per container, as in Lambda
            record.result = module.handler(event, context)
    except Exception as exc:  # noqa: BLE001 - the Lambda runtime's boundary: report, never raise
        record.error = type(exc).__name__
        record.finished = True
        body = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}
        return json.dumps(body), True, ""
    record.finished = True
    output = json.dumps(record.result)
    if len(output.encode()) > STATE_PAYLOAD_LIMIT:
        # Step Functions fails the execution (States.DataLimitExceeded, which no Catch matches
        # in AWS; moto's Catch may still route it, so the record is kept for tests to check).
        record.error = "States.DataLimitExceeded"
        env.limit_violations.append(f"{name}: state output {len(output.encode())} B")
        body = {"errorMessage": record.error, "errorType": record.error, "stackTrace": []}
        return json.dumps(body), True, ""
    return output, False, ""


def run_gpu_task(env: CloudEnv, backend: Any, task: Any) -> None:
    """Run the worker for one ECS task in-process, then stop the task with its exit code."""
    environ = dict(env.task_environment)
    for override in task.overrides.get("containerOverrides", []):
        for pair in override.get("environment", []):
            environ[pair["name"]] = pair["value"]
    check_wiring("gpu task", environ, os.environ)
    record: dict[str, Any] = {"environment": environ}
    env.gpu_tasks.append(record)
    try:
        env.faults.apply("analyze_gpu")
        code = worker_module().main(environ, env.services())
    except Exception as exc:  # noqa: BLE001 - a crashed container is exit code 1
        record["error"] = type(exc).__name__
        code = 1
    record["exit_code"] = code
    for container in task.containers:
        container.exitCode = code
    backend.stop_task(task.cluster_arn, task.task_arn, "Essential container in task exited")


def size_like_a_gpu_instance(cluster: str, instance_arn: str) -> None:
    """Give moto's container instance a g4dn.xlarge's CPU and memory (moto registers every
    instance with 4 vCPU and 7.5 GiB and ignores ``totalResources``, so the GPU task's 12 GiB
    reservation would never be placed)."""
    from moto.ecs.models import ecs_backends

    instance = ecs_backends[ACCOUNT][REGION].container_instances[cluster][
        instance_arn.split("/")[-1]
    ]
    for resources in (instance.registered_resources, instance.remaining_resources):
        for resource in resources:
            if resource["name"] == "MEMORY":
                resource["integerValue"] = GPU_INSTANCE_MEMORY_MIB


def _operation(service: str, snake_action: str) -> Any:
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    for name in model.operation_names:
        if xform_name(name) == snake_action:
            return model.operation_model(name)
    raise KeyError(f"{service} has no operation {snake_action}")


def _fail_distributed_maps_like_aws(failure_event: Any, failure_exception: Any) -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as distributed,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    component = distributed.DistributedIterationComponent
    original = component._map_run

    def map_run(self: Any, env: Any, eval_input: Any) -> None:
        original(self, env=env, eval_input=eval_input)
        counter = eval_input.map_run_record.item_counter
        failed = counter.failed.get() + counter.timed_out.get()
        total = max(1, counter.total.get())
        tolerated_count = eval_input.tolerated_failure_count or 0
        tolerated_pct = eval_input.tolerated_failure_percentage or 0.0
        if failed > tolerated_count and 100.0 * failed / total > tolerated_pct:
            typ = StatesErrorNameType.StatesExceedToleratedFailureThreshold
            error, cause = typ.to_name(), f"{failed} of {total} items failed"
            raise failure_exception(
                failure_event=failure_event(
                    env=env,
                    error_name=StatesErrorName(typ=typ),
                    event_type=HistoryEventType.MapRunFailed,
                    event_details=EventDetails(
                        mapRunFailedEventDetails=MapRunFailedEventDetails(error=error, cause=cause)
                    ),
                )
            )

    component._map_run = map_run  # type: ignore[method-assign]


def _inject_faults_inside_stage_functions() -> None:
    """Faults are raised by the stage function itself (inside ``Stage.run``), as a stage that
    fails in AWS raises from inside the Lambda's handler."""
    import functools

    from framelens.orchestration.stages import Stage

    original = Stage.function

    def function(self: Any) -> Any:
        fn = original(self)

        @functools.wraps(fn)
        def with_faults(deps: Any, payload: Any) -> Any:
            if _ACTIVE:
                _ACTIVE[-1].faults.apply(self.name)
            return fn(deps, payload)

        return with_faults

    Stage.function = function  # type: ignore[method-assign]


def install_patches() -> None:
    global _PATCHED
    if _PATCHED:
        return
    from moto.awslambda.models import LambdaFunction
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.s3 import notifications as s3_notifications
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_ecs as ecs_task,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return invoke_handler(_ACTIVE[-1], self, event if isinstance(event, dict) else {})

    LambdaFunction._invoke_lambda = invoke_lambda  # type: ignore[method-assign]

    # S3 invokes the notified function asynchronously, once the object is complete. moto calls
    # it inside PutObject, before it has set the object's metadata, so a handler reading the
    # x-amz-meta-* headers would see none: deliver a little later, on a thread, like S3.
    original_notify = s3_notifications._invoke_awslambda

    def notify_later(*args: Any) -> None:
        timer = threading.Timer(NOTIFICATION_DELAY_S, original_notify, args)
        timer.daemon = True
        timer.start()

    s3_notifications._invoke_awslambda = notify_later

    original_run_task = EC2ContainerServiceBackend.run_task

    def run_task(self: Any, *args: Any, **kwargs: Any) -> Any:
        tasks = original_run_task(self, *args, **kwargs)
        for task in tasks:
            run_gpu_task(_ACTIVE[-1], self, task)
        return tasks

    EC2ContainerServiceBackend.run_task = run_task  # type: ignore[method-assign]

    cls = ecs_task.StateTaskServiceEcs

    def normalise_parameters(
        self: Any, parameters: dict, boto_service_name: Any = None, service_action_name: Any = None
    ) -> None:
        service = self._get_boto_service_name(boto_service_name=boto_service_name)
        action = self._get_boto_service_action(service_action_name=service_action_name)
        self._to_boto_request(parameters, _operation(service, action).input_shape)

    def normalise_response(
        self: Any, response: Any, boto_service_name: Any = None, service_action_name: Any = None
    ) -> None:
        service = self._get_boto_service_name(boto_service_name=boto_service_name)
        action = self._get_boto_service_action(service_action_name=service_action_name)
        self._from_boto_response(response, _operation(service, action).output_shape)

    _fail_distributed_maps_like_aws(FailureEvent, FailureEventException)
    _inject_faults_inside_stage_functions()

    original_sync = cls._build_sync_resolver

    def build_sync_resolver(self: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
        resolver = original_sync(self, env, *args, **kwargs)

        def checked() -> Any:
            task = resolver()
            if task is None:
                return None
            codes = [c.get("ExitCode", 0) for c in task.get("Containers", [])]
            if any(code != 0 for code in codes):
                cause = json.dumps(task, default=str)
                raise FailureEventException(
                    failure_event=FailureEvent(
                        env=env,
                        error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                        event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(
                            taskFailedEventDetails=TaskFailedEventDetails(
                                error=StatesErrorNameType.StatesTaskFailed.to_name(),
                                cause=cause,
                                resource=self._get_sfn_resource(),
                                resourceType=self._get_sfn_resource_type(),
                            )
                        ),
                    )
                )
            return task

        return checked

    cls._normalise_parameters = normalise_parameters  # type: ignore[method-assign]
    cls._normalise_response = normalise_response  # type: ignore[method-assign]
    cls._build_sync_resolver = build_sync_resolver  # type: ignore[method-assign]
    _PATCHED = True
