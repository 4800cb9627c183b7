"""The deployed stacks as the tests see them: ``CloudEnv``.

Owns: what a deployment produced (physical names, resolved refs, each function's environment and
handler, the resolved state machine definition), the record of Lambda invocations and GPU tasks
the moto patches served, the faults to inject, boto3 clients, and the waits and reads the tests
repeat (invocations, executions, their history, the job as DynamoDB holds it). Built by
``tests.e2e.cloud.deploy``; does not own assertions: the tests do.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from tests.e2e.cloud.handlers import Faults, Invocation, reset_handler_caches
from tests.e2e.cloud.moto_patches import deactivate
from tests.e2e.cloud.resolve import REGION

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.cdk_synth import Synth
    from tests.e2e.cloud.resolve import Refs


@dataclass
class CloudEnv:
    """The deployed stacks on moto. Build with ``deploy.deployed(synth, setenv)``."""

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
    # (function name, event) -> (payload JSON, is_error): run the function from its artifact in
    # a child process (tests/artifacts) instead of in this process.
    artifact_invoke: Callable[[str, dict[str, Any]], tuple[str, bool]] | None = None
    # Step Functions' 256 KiB state limit, as the Lambda hook measured it (tests/e2e/conftest.py
    # fails any cloud test that went past it).
    limit_violations: list[str] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)
    # One warm container per function: Lambda hands a container one event at a time, so module
    # globals (powertools' Metrics, cached services) never see two invocations at once.
    _containers: dict[str, threading.Lock] = field(default_factory=dict)
    _containers_lock: threading.Lock = field(default_factory=threading.Lock)

    def container(self, function: str) -> threading.Lock:
        """The lock an in-process invocation of ``function`` holds while it runs."""
        with self._containers_lock:
            return self._containers.setdefault(function, threading.Lock())

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

    def close(self) -> None:
        deactivate(self)
        reset_handler_caches()
