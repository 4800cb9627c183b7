"""The synthesized cloud, executed on moto: resources from the CDK templates, handlers in-process.

Owns: turning the session's synthesized templates (``tests/infra/conftest.py``'s ``synth``) into
moto resources — tables from ``table_specs``, the media bucket and its S3 → ingest notification,
one moto Lambda function per template function (same logical names, template environment), the
GPU cluster, capacity provider, task definition and a registered container instance (EC2 launch
type needs one) — and running the template's own state machine definition, its intrinsics
resolved to those resources, under moto's Step Functions interpreter.

Three hooks make moto execute our code instead of Docker:

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

Faults are injected per stage (``CloudEnv.faults``), like the local runner's ``stage_hook``: the
Lambda "raises" before the handler runs. Does not own assertions: the tests do.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import sys
import threading
import time
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import ModuleType

    from tests.infra.conftest import Synth

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
STORAGE, SERVICE = "FramelensStorage", "FramelensService"
TERMINAL = ("finished", "failed", "cancelled")
NOTIFICATION_DELAY_S = 0.2
GPU_INSTANCE_MEMORY_MIB = 15_360  # g4dn.xlarge: 4 vCPU, 16 GiB, one T4
# Template function (logical id prefix) → the handler folder its code comes from. The two
# pipeline functions are container images whose CMD is functions/pipeline (see
# containers/inference/Dockerfile); the bucket-notification helper is CDK's own.
FUNCTION_CODE = {
    "PipelineControl": "pipeline",
    "PipelineInference": "pipeline",
    "IngestFunction": "ingest",
    "ApiFunction": "api",
    "ApiAuthorizerFunction": "authorizer",
}
# The settings every in-process handler reads; the hooks check each function's and the task
# definition's resolved environment agrees with them (a wiring bug in infra/ fails the test).
WIRED_SETTINGS = (
    "FRAMELENS_BACKEND",
    "FRAMELENS_JOBS_TABLE",
    "FRAMELENS_FILES_TABLE",
    "FRAMELENS_KEYS_TABLE",
    "FRAMELENS_MEDIA_BUCKET",
)


class UnresolvedError(KeyError):
    """An intrinsic the harness has no moto resource for (a new resource in the template)."""


class Refs(dict[str, Any]):
    """``Ref`` / ``Fn::GetAtt`` / ``Fn::ImportValue`` targets → their moto values."""

    def __missing__(self, key: str) -> Any:
        raise UnresolvedError(f"no moto resource for {key!r}; teach cloud_harness about it")


def resolve(value: Any, refs: Refs) -> Any:
    """``value`` with every CloudFormation intrinsic replaced by its moto value."""
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return refs[arg]
        if fn == "Fn::GetAtt":
            return refs[f"{arg[0]}.{arg[1]}"]
        if fn == "Fn::ImportValue":
            return refs[f"import:{arg}"]
        if fn == "Fn::Join":
            separator, parts = arg
            return separator.join(str(resolve(p, refs)) for p in parts)
        if fn == "Fn::Sub" and isinstance(arg, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(refs[m.group(1)]), arg)
    return {k: resolve(v, refs) for k, v in value.items()}


def camel_keys(value: Any) -> Any:
    """CloudFormation's PascalCase property names → the API's camelCase (``Name`` → ``name``)."""
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: camel_keys(v) for k, v in value.items()}
    return value


@cache
def handler_module(name: str) -> ModuleType:
    """``functions/<name>/handler.py``, imported once under a unique module name."""
    path = ROOT / "functions" / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"framelens_function_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@cache
def worker_module() -> ModuleType:
    """``containers/gpu-worker/worker.py`` (the GPU task's entry point)."""
    path = ROOT / "containers" / "gpu-worker" / "worker.py"
    spec = importlib.util.spec_from_file_location("framelens_gpu_worker", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reset_handler_caches() -> None:
    """Forget every handler's per-container services (a fresh "cold start" per test)."""
    from framelens.config import get_settings

    get_settings.cache_clear()
    for name in set(FUNCTION_CODE.values()):
        module = handler_module(name)
        for attr in vars(module).values():
            clear = getattr(attr, "cache_clear", None)
            if callable(clear) and getattr(attr, "__module__", "") == module.__name__:
                clear()


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as ``context`` (the fields powertools reads)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class Invocation:
    """One Lambda invocation the hook served."""

    function: str
    event: dict[str, Any]
    error: str | None = None
    result: Any = None
    finished: bool = False


@dataclass
class Faults:
    """Per-stage faults: ``fail("analyze", StoreError("x"), times=1)``, ``delay("plan", 1.5)``."""

    _fail: dict[str, list[Any]] = field(default_factory=dict)
    _delay: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, stage: str, exc: BaseException, times: int | None = None) -> None:
        """Raise ``exc`` in ``stage``'s Lambda ``times`` times (``None``: every time)."""
        self._fail[stage] = [exc, times]

    def delay(self, stage: str, seconds: float) -> None:
        """Sleep before ``stage`` runs (a slow stage, for deadlines)."""
        self._delay[stage] = seconds

    def apply(self, stage: str | None) -> None:
        if stage is None:
            return
        if stage in self._delay:
            time.sleep(self._delay[stage])
        with self._lock:
            entry = self._fail.get(stage)
            if entry is None:
                return
            exc, times = entry
            if times is not None:
                if times <= 0:
                    return
                entry[1] = times - 1
        raise exc


# ---- moto patches (installed once per process, active only while a CloudEnv is) -------------

_ACTIVE: list[CloudEnv] = []
_PATCHED = False


def _operation(service: str, snake_action: str) -> Any:
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    for name in model.operation_names:
        if xform_name(name) == snake_action:
            return model.operation_model(name)
    raise KeyError(f"{service} has no operation {snake_action}")


def _install_patches() -> None:
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
        return _ACTIVE[-1].invoke(self, event if isinstance(event, dict) else {})

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
            _ACTIVE[-1].run_gpu_task(self, task)
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


# ---- the environment --------------------------------------------------------------------------


@dataclass
class CloudEnv:
    """The deployed stacks on moto. Build with ``CloudEnv.deploy(synth, extra_env)``."""

    synth: Synth
    names: dict[str, str]
    refs: Refs
    function_env: dict[str, dict[str, str]]
    function_handlers: dict[str, str]
    definition: dict[str, Any]
    state_machine_arn: str
    task_environment: dict[str, str]
    faults: Faults = field(default_factory=Faults)
    invocations: list[Invocation] = field(default_factory=list)
    gpu_tasks: list[dict[str, Any]] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)

    # -- clients and services ----------------------------------------------------------------

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(service, region_name=REGION)
        return self._clients[service]

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def sfn(self) -> Any:
        return self.client("stepfunctions")

    @property
    def bucket(self) -> str:
        return self.names["bucket"]

    def services(self) -> Any:
        """Services as the handlers build them (same environment), for setup and reads."""
        from framelens.config import Settings
        from framelens.runtime import build_services

        return build_services(Settings())

    def function(self, prefix: str) -> str:
        """The moto function name of the template function whose logical id starts ``prefix``."""
        (name,) = [n for n in self.function_handlers if n.startswith(prefix)]
        return name

    # -- hooks -------------------------------------------------------------------------------

    def invoke(self, function: Any, event: dict[str, Any]) -> tuple[str, bool, str]:
        """Run the function's handler in-process, answering as the Lambda runtime does."""
        name = function.function_name
        record = Invocation(function=name, event=event)
        self.invocations.append(record)
        try:
            _check_wiring(name, dict(function.environment_vars), os.environ)
            self.faults.apply(event.get("stage") if isinstance(event.get("stage"), str) else None)
            module = handler_module(self.function_handlers[name])
            context = LambdaContext(function_name=name, invoked_function_arn=function.function_arn)
            record.result = module.handler(event, context)
        except Exception as exc:  # noqa: BLE001 - the Lambda runtime's boundary: report, never raise
            record.error = type(exc).__name__
            record.finished = True
            body = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}
            return json.dumps(body), True, ""
        record.finished = True
        return json.dumps(record.result), False, ""

    def run_gpu_task(self, backend: Any, task: Any) -> None:
        """Run the worker for one ECS task in-process, then stop the task with its exit code."""
        environ = dict(self.task_environment)
        for override in task.overrides.get("containerOverrides", []):
            for pair in override.get("environment", []):
                environ[pair["name"]] = pair["value"]
        _check_wiring("gpu task", environ, os.environ)
        record: dict[str, Any] = {"environment": environ}
        self.gpu_tasks.append(record)
        try:
            self.faults.apply("analyze_gpu")
            code = worker_module().main(environ, self.services())
        except Exception as exc:  # noqa: BLE001 - a crashed container is exit code 1
            record["error"] = type(exc).__name__
            code = 1
        record["exit_code"] = code
        for container in task.containers:
            container.exitCode = code
        backend.stop_task(task.cluster_arn, task.task_arn, "Essential container in task exited")

    # -- actions -----------------------------------------------------------------------------

    def wait_invocation(
        self,
        prefix: str,
        where: Callable[[Invocation], bool] = lambda _: True,
        timeout_s: float = 30.0,
    ) -> Invocation:
        """The first finished invocation matching ``where`` of the function whose logical id
        starts with ``prefix``."""
        name = self.function(prefix)
        deadline = time.monotonic() + timeout_s
        while True:
            done = [i for i in self.invocations if i.function == name and i.finished and where(i)]
            if done:
                return done[0]
            assert time.monotonic() < deadline, f"{name} was never invoked"
            time.sleep(0.05)

    def wait_ingest(self, key: str, timeout_s: float = 30.0) -> Invocation:
        """The ingest invocation for the S3 event of object ``key`` (as S3 encodes it)."""

        def names_key(invocation: Invocation) -> bool:
            records = invocation.event.get("Records") or [{}]
            return bool(records[0].get("s3", {}).get("object", {}).get("key") == quote_plus(key))

        return self.wait_invocation("IngestFunction", names_key, timeout_s)

    def execution_arn(self, job_id: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"

    def wait_execution(self, job_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
        """Poll the job's execution until it stops; returns ``describe_execution``."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                desc = self.sfn.describe_execution(executionArn=self.execution_arn(job_id))
            except self.sfn.exceptions.ExecutionDoesNotExist:
                desc = {"status": "NOT_STARTED"}
            if desc["status"] not in ("RUNNING", "NOT_STARTED"):
                return dict(desc)
            assert time.monotonic() < deadline, f"execution of {job_id} stuck: {desc['status']}"
            time.sleep(0.1)

    def history(self, job_id: str) -> list[dict[str, Any]]:
        """Every event of the job's execution, oldest first."""
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": self.execution_arn(job_id), "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def entered_states(self, job_id: str) -> list[str]:
        """Names of the states the execution entered, in order."""
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(job_id)
            if "stateEnteredEventDetails" in e
        ]

    def job_item(self, job_id: str) -> Any:
        """The job as DynamoDB holds it (through the aws job store)."""
        return self.services().stores.jobs.get(job_id)

    # -- deployment --------------------------------------------------------------------------

    @classmethod
    def deploy(cls, synth: Synth, setenv: Callable[[str, str], None]) -> CloudEnv:
        """Create every resource the templates need in moto (``mock_aws`` must be active)."""
        import boto3

        from framelens.config import Settings
        from framelens.stores.aws import table_specs

        _install_patches()
        storage = synth.templates[STORAGE]
        service = synth.templates[SERVICE]
        suffix = uuid.uuid4().hex[:8]
        refs = Refs(
            {
                "AWS::Partition": "aws",
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT,
                "AWS::URLSuffix": "amazonaws.com",
            }
        )

        # Storage: the stack's outputs say which logical table is which setting.
        outputs = storage["Outputs"]
        role_of = {
            outputs["JobsTableName"]["Value"]["Ref"]: "jobs_table",
            outputs["FilesTableName"]["Value"]["Ref"]: "files_table",
            outputs["KeysTableName"]["Value"]["Ref"]: "keys_table",
            outputs["MediaBucketName"]["Value"]["Ref"]: "media_bucket",
        }
        names: dict[str, str] = {}
        for logical, setting in role_of.items():
            physical = f"{STORAGE}-{logical}-{suffix}"
            if setting == "media_bucket":
                physical = physical.lower()
                arn = f"arn:aws:s3:::{physical}"
            else:
                arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical}"
            names[setting] = physical
            refs[logical] = physical
            refs[f"{logical}.Arn"] = arn
        names["bucket"] = names["media_bucket"]
        for output in outputs.values():
            if "Export" in output:
                refs[f"import:{output['Export']['Name']}"] = resolve(output["Value"], refs)

        settings = Settings(
            backend="aws",
            jobs_table=names["jobs_table"],
            files_table=names["files_table"],
            keys_table=names["keys_table"],
            media_bucket=names["media_bucket"],
        )
        ddb = boto3.client("dynamodb", region_name=REGION)
        for spec in table_specs(settings):
            ddb.create_table(**spec["create_table"])
            if spec.get("ttl_attribute"):
                ddb.update_time_to_live(
                    TableName=spec["create_table"]["TableName"],
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": spec["ttl_attribute"],
                    },
                )
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=names["media_bucket"])

        # The state machine's ARN is known before it exists (functions' environment names it).
        resources = service["Resources"]
        (machine_id,) = [
            k for k, v in resources.items() if v["Type"] == "AWS::StepFunctions::StateMachine"
        ]
        machine_name = f"{machine_id}-{suffix}"
        state_machine_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}"
        refs[machine_id] = state_machine_arn

        iam = boto3.client("iam", region_name=REGION)
        role_arn = iam.create_role(
            RoleName=f"framelens-{suffix}",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]

        # Lambda: one moto function per template function we have code for.
        awslambda = boto3.client("lambda", region_name=REGION)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
        function_env: dict[str, dict[str, str]] = {}
        function_handlers: dict[str, str] = {}
        for logical, resource in resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            code = next((c for p, c in FUNCTION_CODE.items() if logical.startswith(p)), None)
            if code is None:
                continue  # CDK's helpers (bucket notifications, ASG drain hook)
            env = resolve(resource["Properties"].get("Environment", {}).get("Variables", {}), refs)
            arn = awslambda.create_function(
                FunctionName=logical,
                Runtime="python3.11",
                Role=role_arn,
                Handler="handler.handler",
                Code={"ZipFile": buffer.getvalue()},
                Environment={"Variables": env},
                Timeout=int(resource["Properties"].get("Timeout", 30)),
            )["FunctionArn"]
            refs[f"{logical}.Arn"] = arn
            refs[logical] = logical
            function_env[logical] = env
            function_handlers[logical] = code

        # The uploads/ notification, exactly as the template configures it.
        for resource in resources.values():
            if resource["Type"] == "Custom::S3BucketNotifications":
                config = resolve(resource["Properties"]["NotificationConfiguration"], refs)
                s3.put_bucket_notification_configuration(
                    Bucket=resolve(resource["Properties"]["BucketName"], refs),
                    NotificationConfiguration=config,
                )

        # ECS: cluster, capacity provider, task definition, one registered GPU instance.
        ecs = boto3.client("ecs", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        task_environment: dict[str, str] = {}
        for logical, resource in resources.items():
            if resource["Type"] == "AWS::ECS::Cluster":
                arn = ecs.create_cluster(clusterName=logical)["cluster"]["clusterArn"]
                refs[logical], refs[f"{logical}.Arn"] = logical, arn
                instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
                instance_id = instance["Instances"][0]["InstanceId"]
                registered = ecs.register_container_instance(
                    cluster=logical,
                    instanceIdentityDocument=json.dumps({"instanceId": instance_id}),
                )["containerInstance"]["containerInstanceArn"]
                _size_like_a_gpu_instance(logical, registered)
            elif resource["Type"] == "AWS::ECS::CapacityProvider":
                refs[logical] = logical
                ecs.create_capacity_provider(
                    name=logical,
                    autoScalingGroupProvider={
                        "autoScalingGroupArn": f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:"
                        f"autoScalingGroup:{suffix}:autoScalingGroupName/gpu"
                    },
                )
        for resource in resources.values():
            if resource["Type"] != "AWS::ECS::TaskDefinition":
                continue
            props = resource["Properties"]
            containers = []
            for definition in props["ContainerDefinitions"]:
                env = {
                    e["Name"]: resolve(e["Value"], refs) for e in definition.get("Environment", [])
                }
                task_environment.update(env)
                containers.append(
                    {
                        "name": definition["Name"],
                        "image": resolve(definition["Image"], refs),
                        "essential": definition.get("Essential", True),
                        "cpu": definition.get("Cpu", 0),
                        "memoryReservation": definition.get("MemoryReservation", 512),
                        "environment": [{"name": k, "value": v} for k, v in env.items()],
                        "resourceRequirements": camel_keys(
                            definition.get("ResourceRequirements", [])
                        ),
                    }
                )
            # moto insists on a hard memory limit for EC2 tasks where AWS accepts a container's
            # memoryReservation alone: give the task level the reservations' sum.
            memory = props.get("Memory") or sum(c["memoryReservation"] for c in containers)
            ecs.register_task_definition(
                family=props["Family"],
                containerDefinitions=containers,
                requiresCompatibilities=props.get("RequiresCompatibilities", ["EC2"]),
                memory=str(memory),
            )

        # The state machine: the template's definition, intrinsics resolved.
        machine = resources[machine_id]["Properties"]
        definition_string = resolve(machine["DefinitionString"], refs)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        sfn.create_state_machine(
            name=machine_name, definition=definition_string, roleArn=role_arn, type="STANDARD"
        )

        # The handlers run in this process: it gets the functions' (identical) settings.
        for env in function_env.values():
            for key, value in env.items():
                if key.startswith("FRAMELENS_") and key != "FRAMELENS_MODELS_BUCKET":
                    setenv(key, value)
        reset_handler_caches()
        env = cls(
            synth=synth,
            names=names,
            refs=refs,
            function_env=function_env,
            function_handlers=function_handlers,
            definition=json.loads(definition_string),
            state_machine_arn=state_machine_arn,
            task_environment=task_environment,
        )
        _ACTIVE.append(env)
        return env

    def close(self) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        reset_handler_caches()


def _size_like_a_gpu_instance(cluster: str, instance_arn: str) -> None:
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


def _check_wiring(what: str, env: dict[str, str], process: Any) -> None:
    """The resource's environment names the same storage the in-process handlers use."""
    for key in WIRED_SETTINGS:
        if key in env and env[key] != process.get(key):
            raise AssertionError(f"{what}: {key}={env[key]!r}, handlers use {process.get(key)!r}")
    missing = [k for k in WIRED_SETTINGS if k not in env]
    if missing:
        raise AssertionError(f"{what}: environment lacks {missing}")


TENANT = "acme"


@pytest.fixture
def cloud(synth: Synth, monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudEnv]:
    """The stacks deployed on moto, with tenant ``acme`` (pro plan) and a clean cold start.

    Test modules import it with ``synth`` (``tests/infra/conftest.py``'s session synthesis).
    """
    with deployed(synth, monkeypatch.setenv) as env:
        env.services().keys.create(TENANT, plan="pro")
        yield env


def apigw_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    authorizer: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (``{proxy+}`` on stage ``v1``), as Lambda receives it."""
    import base64

    headers = dict(headers or {})
    is_binary = isinstance(body, bytes)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "accountId": ACCOUNT,
            "apiId": "abc123",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "pytest"},
            "authorizer": authorizer,
        },
        "body": base64.b64encode(body).decode() if is_binary else body,
        "isBase64Encoded": is_binary,
    }


def authorizer_event(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """An API Gateway REQUEST authorizer event."""
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/v1/{method}{path}",
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "queryStringParameters": {},
        "requestContext": {"stage": "v1", "apiId": "abc123", "accountId": ACCOUNT},
    }


@contextmanager
def deployed(synth: Synth, setenv: Callable[[str, str], None]) -> Iterator[CloudEnv]:
    """``mock_aws`` with Step Functions execution on, and the stacks deployed into it."""
    from moto import mock_aws

    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Framelens",
        "FRAMELENS_WEBHOOK_BACKOFF_S": "0.02",
        "FRAMELENS_WEBHOOK_MAX_ATTEMPTS": "2",
    }.items():
        setenv(key, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        env = CloudEnv.deploy(synth, setenv)
        try:
            yield env
        finally:
            env.close()
