"""A module-scoped client for the seed route tests: embedded services, the real models, one key.

``seed_api(tmp, **settings)`` builds the services (runner started) over a tmp data dir; tests
use ``SeedApi.post``/``get`` with the key and ``poll`` for a status URL. ``NotInline`` makes a
backend whose jobs never run in the request (what AWS is), to reach the 202 paths locally.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from framelens.api import create_app
from framelens.config import Settings
from framelens.runtime import Services, build_services
from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import httpx

    from framelens.orchestration.runner import LocalRunner


@dataclass
class SeedApi:
    """A TestClient with one pro-plan key."""

    client: TestClient
    key: str
    services: Services

    def post(self, url: str, **kw: Any) -> httpx.Response:
        headers = {"X-API-Key": self.key, **kw.pop("headers", {})}
        return self.client.post(url, headers=headers, **kw)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        headers = {"X-API-Key": self.key, **kw.pop("headers", {})}
        return self.client.get(url, headers=headers, **kw)

    def poll(
        self,
        url: str,
        done: Callable[[httpx.Response], bool],
        timeout_s: float = 120.0,
    ) -> httpx.Response:
        """GET ``url`` until ``done`` holds; fails after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            resp = self.get(url)
            if done(resp):
                return resp
            assert time.monotonic() < deadline, f"{url} did not finish: {resp.text}"
            time.sleep(0.2)

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.services.close()


def seed_api(tmp: Path, **overrides: Any) -> SeedApi:
    """Services over ``tmp`` with the shared models; ``overrides`` set ``Settings`` fields."""
    settings = Settings(
        data_dir=tmp / "data", model_dir=MODELS, model_cache_dir=tmp / "cache", **overrides
    )
    services = build_services(settings)
    secret, _ = services.keys.create("seedco", "pro")
    client = TestClient(create_app(services))
    client.__enter__()
    return SeedApi(client, secret, services)


class NotInline:
    """The local runner seen as a backend that cannot run a job in the request (as AWS)."""

    def __init__(self, runner: LocalRunner) -> None:
        self._runner = runner

    @property
    def runs_inline(self) -> bool:
        return False

    def submit(self, job_id: str, deadline_s: int | None) -> None:
        self._runner.submit(job_id, deadline_s)

    def run_job(self, job_id: str) -> None:
        raise AssertionError("a backend that cannot run inline was asked to")

    def cancel(self, job_id: str) -> None:
        self._runner.cancel(job_id)
