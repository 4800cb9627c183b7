"""A seed 003 (DeepVA) client over the test app, and the check of the document's error shape.

Used by the DeepVA route, storage and webhook tests.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from tests.e2e.conftest import Env

__all__ = ["Client", "assert_deepva_error"]


class Client:
    """A DeepVA client: ``Authorization: Key <key>`` on every call."""

    def __init__(self, env: Env, key: str | None = None) -> None:
        self.http = env.client
        self.key = key or env.key()

    def call(self, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Key {self.key}", **kw.pop("headers", {})}
        return self.http.request(method, url, headers=headers, follow_redirects=False, **kw)

    def upload(self, path: Path, folder: str | None = "/") -> dict[str, Any]:
        data = {} if folder is None else {"folder": folder}
        resp = self.call(
            "POST", "/api/v1/storage/", files={"file": (path.name, path.read_bytes())}, data=data
        )
        assert resp.status_code == 201, resp.text
        return resp.json()

    def job(self, sources: list[str], modules: dict[str, Any] | None = None) -> httpx.Response:
        body = {"sources": sources, "modules": modules or {"shot_detection": {}}}
        return self.call("POST", "/api/v1/jobs/", json=body)

    def wait(self, job_id: str, timeout_s: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.call("GET", f"/api/v1/jobs/{job_id}/").json()
            if job["state"] in ("completed", "failed", "cancelled"):
                return job
            assert time.monotonic() < deadline, job
            time.sleep(0.05)


def assert_deepva_error(resp: httpx.Response, status: int, name: str) -> dict[str, Any]:
    """The document's status and name, in Framelens's error shape too; returns the body."""
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["type"] == name
    assert body["error"]["message"] and body["detail"] == body["error"]["message"]
    return body
