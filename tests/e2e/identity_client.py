"""One tenant's key over a TestClient, with the gallery and job calls the identity tests make.

Owns: enrolment (multipart photos), uploads, running a job to its end and reading its faces
result. Used by ``test_api_identities``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tests.e2e.conftest import TERMINAL

if TYPE_CHECKING:
    import httpx
    from fastapi.testclient import TestClient

__all__ = ["PNG", "Client"]

PNG = "image/png"


class Client:
    """One tenant's key over the module's app."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        self.headers = {"X-API-Key": key}

    def get(self, url: str) -> httpx.Response:
        return self.client.get(url, headers=self.headers)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.post(url, headers=self.headers, **kw)

    def patch(self, url: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.patch(url, headers=self.headers, json=body)

    def delete(self, url: str) -> httpx.Response:
        return self.client.delete(url, headers=self.headers)

    def enrol(
        self, gallery: str, name: str | None, photos: dict[str, bytes], **fields: str
    ) -> httpx.Response:
        files = [("images", (n, data, PNG)) for n, data in photos.items()]
        data = {**({"name": name} if name else {}), **fields}
        return self.post(f"/v1/galleries/{gallery}/identities", data=data, files=files)

    def upload(self, name: str, data: bytes, content_type: str = PNG) -> str:
        resp = self.post("/v1/media", files={"file": (name, data, content_type)})
        assert resp.status_code == 201, resp.text
        return str(resp.json()["file_id"])

    def run_job(self, source: str, modules: dict[str, Any]) -> dict[str, Any]:
        resp = self.post("/v1/jobs", json={"sources": [source], "modules": modules})
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = self.get(f"/v1/jobs/{job_id}").json()
            if job["state"] in TERMINAL:
                return dict(job)
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not end")

    def faces(self, job: dict[str, Any]) -> dict[str, Any]:
        """The faces result of the job's (only) source."""
        resp = self.get(f"/v1/jobs/{job['id']}/results?module=faces")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())
