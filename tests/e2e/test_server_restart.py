"""Restart durability: the real ``framelens serve`` process, stopped and started on one data dir.

Also in-process: jobs a stopped process left ``running`` are re-queued and finish, or end
``failed`` with a clear reason once they have been interrupted too often.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from framelens.config import Settings
from framelens.jobs.files import FileService
from framelens.orchestration.runner import MAX_RESTARTS
from framelens.runtime import build_services
from framelens.schemas import JobCreate, JobState

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.media import Generated

FRAMELENS = str(Path(sys.executable).with_name("framelens"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``framelens serve`` as a subprocess on a free port."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "FRAMELENS_WORKERS": "2", "FRAMELENS_SWEEP_INTERVAL_S": "0.2"}
        with self._log.open("ab") as log:
            self.proc = subprocess.Popen(
                [FRAMELENS, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, self._log.read_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server did not start: {self._log.read_text()}"
            time.sleep(0.1)

    def log_text(self) -> str:
        return self._log.read_text()

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data", tmp_path / "server.log")
    yield srv
    if srv.proc is not None and srv.proc.poll() is None:
        srv.stop()


def _wait_finished(client: httpx.Client, job_id: str, timeout_s: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in ("finished", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


@pytest.mark.slow
def test_key_file_job_and_results_survive_a_server_restart(
    server: Server, cuts_clip: Generated
) -> None:
    # GIVEN a key made with the CLI and a server that finished a job
    key = subprocess.run(
        [FRAMELENS, "keys", "create", "--tenant", "acme", "--data-dir", str(server.data_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    server.start()
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=10) as client:
        with cuts_clip.path.open("rb") as fh:
            file = client.post("/v1/media", files={"file": ("c.mp4", fh, "video/mp4")})
        assert file.status_code == 201, file.text
        created = client.post(
            "/v1/jobs", json={"sources": [file.json()["url"]], "modules": {"probe": {}}}
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        job = _wait_finished(client, job_id)
        assert job["state"] == "finished"
        results = client.get(f"/v1/jobs/{job_id}/results").json()
    # WHEN the server is stopped with SIGTERM and started again on the same data dir
    # (uvicorn re-raises the SIGTERM after a graceful shutdown, so the code is 0 or -SIGTERM)
    assert server.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log_text()
    server.start()
    # THEN the key, the file, the job and its results are all still there
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=10) as client:
        again = client.get(f"/v1/media/{file.json()['file_id']}")
        assert again.status_code == 200
        assert again.json()["probe"] == file.json()["probe"]
        assert client.get(f"/v1/jobs/{job_id}").json() == job
        assert client.get(f"/v1/jobs/{job_id}/results").json() == results
        assert [j["id"] for j in client.get("/v1/jobs").json()["data"]] == [job_id]


def _leave_running_job(data_dir: Path, clip: Path, restarts: int) -> str:
    """A stopped process's job: created, marked running, never finished."""
    services = build_services(Settings(data_dir=data_dir), start_runner=False)
    try:
        secret, _ = services.keys.create("acme", "pro")
        principal = services.keys.authenticate(secret)
        record = FileService(services.stores, services.settings).ingest("acme", clip)
        job, _ = services.jobs.create(
            principal, JobCreate(sources=[record.url], modules={"probe": {}})
        )
        stored = services.stores.jobs.get(job.id)
        stored.state = JobState.running
        stored.extra["restarts"] = restarts
        services.stores.jobs.update(stored)
        return job.id
    finally:
        services.close()


def _wait_terminal(data_dir: Path, job_id: str) -> Any:
    services = build_services(Settings(data_dir=data_dir, workers=1))
    try:
        deadline = time.monotonic() + 15
        while (job := services.stores.jobs.get(job_id)).state not in (
            JobState.finished,
            JobState.failed,
        ):
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
        return job
    finally:
        services.close()


def test_job_left_running_is_requeued_and_finishes_after_restart(
    tmp_path: Path, cuts_clip: Generated
) -> None:
    # GIVEN a job a previous process left running
    job_id = _leave_running_job(tmp_path / "data", cuts_clip.path, restarts=0)
    # WHEN services start on the same data dir
    job = _wait_terminal(tmp_path / "data", job_id)
    # THEN it ran again to the end, with the interruption recorded
    assert job.state == JobState.finished
    assert job.extra["restarts"] == 1
    assert "restarted" in job.extra["last_interruption"]
    assert job.result_keys.keys() == {"probe"}


def test_job_interrupted_too_often_ends_failed_with_a_reason(
    tmp_path: Path, cuts_clip: Generated
) -> None:
    job_id = _leave_running_job(tmp_path / "data", cuts_clip.path, restarts=MAX_RESTARTS)
    job = _wait_terminal(tmp_path / "data", job_id)
    assert job.state == JobState.failed
    assert job.error is not None
    assert "server stopped" in job.error.message
    assert "create the job again" in job.error.message
