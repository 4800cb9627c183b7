"""A real ``framelens serve`` process for the fault suite: killed, restarted, starved of disk.

``LiveServer`` runs the server as a child on a free port with its output read through a pipe (a
process whose file writes are refused must still be able to log); ``argv_prefix`` runs it under
another command (``unshare`` with a small tmpfs for a really full disk). ``limit_file_writes``
sets the child's ``RLIMIT_FSIZE`` from outside, so every file write it makes fails as on a full
disk, and lifts it again. ``Client`` wraps the HTTP calls the tests repeat.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from collections.abc import Sequence

FRAMELENS = str(Path(sys.executable).with_name("framelens"))
TERMINAL = ("finished", "failed", "cancelled")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """``framelens serve --data-dir data_dir`` on a free port, with ``env`` added."""

    data_dir: Path
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    argv_prefix: Sequence[str] = ()
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    _pump: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        serve = [FRAMELENS, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        return [*self.argv_prefix, *serve]

    def start(self, timeout_s: float = 60) -> None:
        env = {
            **os.environ,
            "FRAMELENS_WORKERS": "1",
            "FRAMELENS_SWEEP_INTERVAL_S": "0.2",
            "FRAMELENS_RATE_LIMIT_POST_PER_MINUTE": "1000",
            "FRAMELENS_RATE_LIMIT_GET_PER_MINUTE": "100000",
            **self.env,
        }
        self.proc = subprocess.Popen(
            self.argv(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        self._pump = threading.Thread(target=self._copy_output, args=(self.proc,), daemon=True)
        self._pump.start()
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.proc.poll() is None, f"server exited: {self.log_text()}"
            try:
                httpx.get(f"{self.url}/health", timeout=2)
                return  # any answer: it is up (health may well say degraded)
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"server did not start: {self.log_text()}"
            time.sleep(0.1)

    def _copy_output(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        with self.log.open("ab") as out:
            for line in proc.stdout:
                out.write(line)
                out.flush()

    def log_text(self) -> str:
        if self._pump is not None and self.proc is not None and self.proc.poll() is not None:
            self._pump.join(timeout=5)
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_log(self, text: str, timeout_s: float) -> None:
        """Wait until the server has logged ``text`` (a witness that a fault was hit)."""
        deadline = time.monotonic() + timeout_s
        while text not in self.log_text():
            assert time.monotonic() < deadline, f"never logged {text!r}: {self.log_text()[-3000:]}"
            time.sleep(0.1)

    def kill9(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crash or the OOM killer would."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def limit_file_writes(self, max_bytes: int | None) -> None:
        """Every write of the server at or past ``max_bytes`` into a file fails (``EFBIG``, a
        short write at the limit) as on a full disk; ``None`` lifts the limit."""
        assert self.proc is not None
        _, hard = resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE)
        soft = hard if max_bytes is None else max_bytes
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))


def create_key(data_dir: Path, tenant: str = "acme") -> str:
    """A key made with the CLI on ``data_dir`` (before the server starts)."""
    return subprocess.run(
        [FRAMELENS, "keys", "create", "--tenant", tenant, "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


class Client(httpx.Client):
    """An HTTP client with one key and the calls the fault tests repeat."""

    def __init__(self, server: LiveServer, key: str) -> None:
        super().__init__(base_url=server.url, headers={"X-API-Key": key}, timeout=30)

    def upload(self, path: Path) -> dict[str, Any]:
        with path.open("rb") as fh:
            resp = self.post("/v1/media", files={"file": (path.name, fh, "video/mp4")})
        assert resp.status_code == 201, resp.text
        body: dict[str, Any] = resp.json()
        return body

    def create_job(self, source: str, modules: dict[str, Any]) -> str:
        resp = self.post("/v1/jobs", json={"sources": [source], "modules": modules})
        assert resp.status_code == 202, resp.text
        return str(resp.json()["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        resp = self.get(f"/v1/jobs/{job_id}")
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    def wait_state(self, job_id: str, states: Sequence[str], timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while (job := self.job(job_id))["state"] not in states:
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        return job
