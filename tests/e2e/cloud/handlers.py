"""The code under test as moto runs it: handlers, the GPU worker, and what the runtime hands them.

Owns: which template function runs which ``functions/<name>/handler.py`` (``FUNCTION_CODE``),
loading the handlers and ``containers/gpu-worker/worker.py`` in-process, forgetting their cached
services between tests, the Lambda ``context`` object, the record of each invocation, per-stage
fault injection (``Faults``, like the local runner's ``stage_hook``), the check that a resource's
environment names the storage the in-process handlers use, and the API Gateway proxy and
authorizer events the API tests send.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.e2e.cloud.resolve import ACCOUNT, REGION

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]
# Template function (logical id prefix) → the handler folder its code comes from. The two
# pipeline functions are container images whose CMD is functions/pipeline and the render worker
# the same image with CMD functions/render (see containers/inference/Dockerfile); the
# bucket-notification helper is CDK's own.
FUNCTION_CODE = {
    "PipelineControl": "pipeline",
    "PipelineInference": "pipeline",
    "IngestFunction": "ingest",
    "JobEventsFunction": "job_events",
    "ApiFunction": "api",
    "ApiAuthorizerFunction": "authorizer",
    "RenderFunction": "render",
    "WebhooksFunction": "webhooks",
}
# The settings every in-process handler reads; the hooks check each function's and the task
# definition's resolved environment agrees with them (a wiring bug in infra/ fails the test).
WIRED_SETTINGS = (
    "FRAMELENS_BACKEND",
    "FRAMELENS_JOBS_TABLE",
    "FRAMELENS_FILES_TABLE",
    "FRAMELENS_KEYS_TABLE",
    "FRAMELENS_WEBHOOKS_TABLE",
    "FRAMELENS_MEDIA_BUCKET",
)
# Given only to what uses it (the identities table): checked where present.
WIRED_WHERE_GIVEN = ("FRAMELENS_IDENTITIES_TABLE",)


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


def check_wiring(what: str, env: dict[str, str], process: Any) -> None:
    """The resource's environment names the same storage the in-process handlers use."""
    for key in (*WIRED_SETTINGS, *WIRED_WHERE_GIVEN):
        if key in env and env[key] != process.get(key):
            raise AssertionError(f"{what}: {key}={env[key]!r}, handlers use {process.get(key)!r}")
    missing = [k for k in WIRED_SETTINGS if k not in env]
    if missing:
        raise AssertionError(f"{what}: environment lacks {missing}")


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
