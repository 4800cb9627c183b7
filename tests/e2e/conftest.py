"""Fixtures for end-to-end tests: embedded services on a tmp dir, an HTTP client, API keys.

``make_env(**settings)`` builds services (runner started) and a ``TestClient`` over the app;
``Env.key()`` issues a key (optionally on a custom ``Plan``) and ``Env.api(key)`` wraps the client
with that key and the polling helpers every test needs. A local webhook ``receiver`` records what
it is sent. An autouse check fails a test that logs an unexpected ERROR; mark a test
``expected_errors`` when the error log is the point. ``cloud`` deploys the session's one CDK
synthesis (``tests/cdk_synth.py``) on moto (``tests/e2e/cloud``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from framelens.api import create_app
from framelens.config import Settings
from framelens.runtime import Services, build_services
from framelens.schemas.auth import Plan, Tenant
from tests.e2e.cloud import TENANT, CloudEnv, deployed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import httpx

    from tests.cdk_synth import Synth

TERMINAL = ("finished", "failed", "cancelled")
PRO = Plan(name="pro", get_per_minute=600, post_per_minute=100, concurrent_jobs=16)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "expected_errors: the test expects ERROR log records")


@pytest.fixture(autouse=True)
def _no_unexpected_error_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    caplog.set_level(logging.INFO, logger="framelens")
    yield
    if request.node.get_closest_marker("expected_errors"):
        return
    errors = [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR and r.name.startswith("framelens")
    ]
    assert not errors, f"unexpected ERROR logs: {errors}"


@dataclass
class Api:
    """A client holding one API key, with the calls tests repeat."""

    client: TestClient
    key: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"X-API-Key": self.key, **extra}

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.get(url, headers=self.headers(**kw.pop("headers", {})), **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.post(url, headers=self.headers(**kw.pop("headers", {})), **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.delete(url, headers=self.headers(**kw.pop("headers", {})), **kw)

    def upload(self, path: Path, content_type: str = "video/mp4") -> dict[str, Any]:
        """``POST /v1/media`` multipart; asserts 201 and returns the file record."""
        resp = self.post("/v1/media", files={"file": (path.name, path.read_bytes(), content_type)})
        assert resp.status_code == 201, resp.text
        return resp.json()

    def create_job(
        self,
        sources: list[str],
        modules: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> httpx.Response:
        payload = {"sources": sources, "modules": modules or {"probe": {}}, **body}
        return self.post("/v1/jobs", json=payload, headers=headers or {})

    def job(self, job_id: str) -> dict[str, Any]:
        resp = self.get(f"/v1/jobs/{job_id}")
        assert resp.status_code == 200, resp.text
        return resp.json()

    def wait(
        self,
        job_id: str,
        until: Callable[[dict[str, Any]], bool] = lambda j: j["state"] in TERMINAL,
        timeout_s: float = 15.0,
    ) -> dict[str, Any]:
        """Poll the job until ``until`` holds; fails the test after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.job(job_id)
            if until(job):
                return job
            assert time.monotonic() < deadline, f"job {job_id} stuck: {job}"
            time.sleep(0.05)


@dataclass
class Env:
    """Services over a tmp data dir and a TestClient over the app."""

    services: Services
    client: TestClient

    def key(self, tenant: str = "acme", plan: Plan | None = PRO) -> str:
        """A fresh key of ``tenant``; ``plan`` (put on the tenant first) sets its limits."""
        if plan is not None:
            self.services.stores.keys.put_tenant(Tenant(tenant_id=tenant, plan=plan))
        secret, _ = self.services.keys.create(tenant)
        return secret

    def api(self, key: str | None = None) -> Api:
        return Api(self.client, key or self.key())


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[Callable[..., Env]]:
    """Build an ``Env``; keyword arguments override ``Settings`` fields."""
    made: list[Env] = []

    def make(**overrides: Any) -> Env:
        options: dict[str, Any] = {
            "workers": 2,
            "sweep_interval_s": 0.1,
            "webhook_backoff_s": 0.02,
            "webhook_timeout_s": 5.0,
            "webhook_poll_s": 0.2,
            **overrides,
        }
        settings = Settings(data_dir=tmp_path / f"data{len(made)}", **options)
        services = build_services(settings)
        client = TestClient(create_app(services))
        client.__enter__()
        env = Env(services, client)
        made.append(env)
        return env

    yield make
    for env in made:
        if env.services.runner is not None:
            env.services.runner.stage_hook = None
        env.client.__exit__(None, None, None)
        env.services.close()


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    """Default settings (private network refused, as in production)."""
    return make_env()


@pytest.fixture
def api(env: Env) -> Api:
    """A pro-plan key of tenant ``acme`` (high limits, so tests do not trip them)."""
    return env.api()


@dataclass
class Receiver:
    """A local webhook receiver: answers with ``statuses`` in turn (then 200), records calls."""

    statuses: list[int] = field(default_factory=list)
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.calls]

    def wait_calls(self, n: int, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.calls) < n:
            assert time.monotonic() < deadline, f"receiver got {len(self.calls)} of {n} calls"
            time.sleep(0.02)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.calls.append((dict(self.headers.items()), body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def gate(env: Env) -> Iterator[threading.Event]:
    """An Event the ``probe`` stage waits on: jobs stay ``queued``/``running`` until it is set."""
    released = threading.Event()

    def hook(stage: str) -> None:
        if stage == "probe":
            released.wait(10)

    assert env.services.runner is not None
    env.services.runner.stage_hook = hook
    yield released
    released.set()


@pytest.fixture
def cloud(synth: Synth, monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudEnv]:
    """The stacks deployed on moto, with tenant ``acme`` (pro plan) and a clean cold start."""
    with deployed(synth, monkeypatch.setenv) as env:
        env.services().keys.create(TENANT, plan="pro")
        yield env
        assert not env.limit_violations, f"over Step Functions' 256 KiB: {env.limit_violations}"
