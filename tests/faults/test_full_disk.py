"""A full disk under the real server: reads keep working, health says why it is degraded, writes
answer 503 with ``Retry-After``, and once space returns the jobs that were queued or running
finish without a restart, their concurrency slots freed.

Two ways to fill the disk: a real 64 MB tmpfs as the data dir (in a private mount namespace made
with ``unshare``; skipped with the reason where the machine refuses it), and, always, a file-size
limit (``RLIMIT_FSIZE``) set on the running server from outside, under which every file write it
makes fails as on a full disk.
"""

from __future__ import annotations

import errno
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.faults.server import FRAMELENS, TERMINAL, Client, LiveServer, create_key

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.media import Generated

pytestmark = [pytest.mark.faults, pytest.mark.slow]

MODULES = {"objects": {}, "tags": {}}
PROBE_CACHE_S = 3.5  # the storage probe's answer is reused for 3 s
CONCURRENT_JOBS = 4
ENV = {
    "FRAMELENS_STUCK_JOB_AFTER_S": "1",
    "FRAMELENS_QUOTA_CONCURRENT_JOBS": str(CONCURRENT_JOBS),
}


@dataclass
class Fault:
    """Fills the server's disk (``start``) and frees it again (``stop``)."""

    start: Callable[[], None]
    stop: Callable[[], None]
    full_reason: str  # what health names as the cause


def _assert_degraded_but_readable(
    client: Client, done: str, results: dict[str, Any], file_id: str, reason: str
) -> None:
    health = client.get("/health")
    assert health.status_code == 503, health.text
    assert health.headers["Retry-After"].isdigit()
    body = health.json()
    assert body["status"] == "degraded"
    assert any("cannot be written" in r and reason in r for r in body["reasons"]), body
    # reads of status, results, records and lists need no write
    assert client.get(f"/v1/jobs/{done}").json()["state"] == "finished"
    assert client.get(f"/v1/jobs/{done}/results").json() == results
    assert client.get(f"/v1/media/{file_id}").status_code == 200
    assert client.get("/v1/jobs").status_code == 200
    # and media: the stored bytes, and a rendered frame (its cache write is best effort)
    stored = client.get(f"/api/v1/file/{file_id}/video", headers={"Range": "bytes=0-99"})
    assert stored.status_code == 206 and len(stored.content) == 100, stored.text
    thumb = client.get(f"/api/v1/file/{file_id}/thumbnail", params={"frame": 10})
    assert thumb.status_code == 200, thumb.text
    assert thumb.headers["content-type"] == "image/jpeg"
    seed_health = client.get("/detection/health")
    assert seed_health.status_code == 503
    assert seed_health.json()["status"] == "degraded"


def _assert_write_refused(client: Client, clip: Path) -> None:
    with clip.open("rb") as fh:
        upload = client.post("/v1/media", files={"file": ("c.mp4", fh, "video/mp4")})
    assert upload.status_code == 503, upload.text
    assert upload.headers["Retry-After"].isdigit()
    error = upload.json()["error"]
    assert error["code"] == "store_error"
    assert "retry later" in error["message"]


def _run_through_full_disk(server: LiveServer, key: str, clip: Path, fault: Fault) -> None:
    with Client(server, key) as client:
        file = client.upload(clip)
        done = client.create_job(file["url"], {"probe": {}})
        assert client.wait_state(done, TERMINAL, timeout_s=60)["state"] == "finished"
        results = client.get(f"/v1/jobs/{done}/results").json()
        # GIVEN three jobs, one running and two queued (one worker)...
        jobs = [client.create_job(file["url"], MODULES) for _ in range(3)]
        # WHEN the disk fills up before any of them could finish (a job cannot end unwritten)
        fault.start()
        try:
            time.sleep(PROBE_CACHE_S)
            # THEN health is 503 degraded and says why, reads work, writes are refused
            _assert_degraded_but_readable(client, done, results, file["file_id"], fault.full_reason)
            _assert_write_refused(client, clip)
            states = [client.job(j)["state"] for j in jobs]
            assert all(s in ("queued", "running") for s in states), states
            # hold the disk full until the running job has hit it (it cannot end without a
            # write): the server pauses the job rather than failing it
            server.wait_log("paused: storage is unusable", timeout_s=90)
            assert all(client.job(j)["state"] in ("queued", "running") for j in jobs)
        finally:
            # WHEN space returns
            fault.stop()
        # THEN every job finishes without a restart, and nothing is stuck or duplicated
        for job_id in jobs:
            job = client.wait_state(job_id, TERMINAL, timeout_s=120)
            assert job["state"] == "finished", job
        listed = [j["id"] for j in client.get("/v1/jobs", params={"limit": 50}).json()["data"]]
        assert sorted(listed) == sorted([done, *jobs])
        time.sleep(PROBE_CACHE_S)
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "ok", health.text
        # every concurrency slot was returned: a full plan's worth of jobs is accepted again
        again = [client.create_job(file["url"], {"probe": {}}) for _ in range(CONCURRENT_JOBS)]
        for job_id in again:
            assert client.wait_state(job_id, TERMINAL, timeout_s=60)["state"] == "finished"


@pytest.fixture
def small_clip(tmp_path: Path) -> Generated:
    from tests.media import moving_box_clip

    return moving_box_clip(tmp_path / "box.mp4", frames=300)  # 12 s: a job runs for seconds


def test_file_writes_refused_under_a_running_server_then_allowed(
    tmp_path: Path, small_clip: Generated
) -> None:
    data = tmp_path / "data"
    key = create_key(data)
    server = LiveServer(data, tmp_path / "server.log", env=ENV)
    server.start()
    try:
        fault = Fault(
            start=lambda: server.limit_file_writes(0),
            stop=lambda: server.limit_file_writes(None),
            full_reason="",  # SQLite calls a refused write an I/O error
        )
        _run_through_full_disk(server, key, small_clip.path, fault)
    finally:
        server.stop()
    assert "Traceback" not in server.log_text(), server.log_text()[-5000:]


# ---- a real, small filesystem ----------------------------------------------------------------


# A private mount namespace: as any user through a user namespace, or as root directly (a
# container may allow one and not the other).
UNSHARES = (["unshare", "--user", "--map-root-user", "--mount"], ["unshare", "--mount"])


def _private_mount(where: Path) -> list[str] | str:
    """The ``unshare`` command that can mount a tmpfs here, or why none can."""
    if shutil.which("unshare") is None:
        return "no unshare(1) on this machine"
    where.mkdir(parents=True, exist_ok=True)
    script = f"mount -t tmpfs -o size=1m tmpfs {shlex.quote(str(where))}"
    why = []
    for unshare in UNSHARES:
        try:
            probe = subprocess.run(
                [*unshare, "sh", "-c", script], capture_output=True, text=True, timeout=20
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            why.append(f"{shlex.join(unshare)}: {exc}")
            continue
        if probe.returncode == 0:
            return unshare
        why.append(f"{shlex.join(unshare)}: {probe.stderr.strip()}")
    return "cannot mount a private tmpfs: " + "; ".join(why)


class TmpfsServer(LiveServer):
    """The server in its own mount namespace, its data dir a tmpfs of ``size``; the key is made
    there first (written to ``key_file``, outside the tmpfs)."""

    size: str = "64m"
    key_file: Path | None = None
    unshare: tuple[str, ...] = UNSHARES[0]

    def argv(self) -> list[str]:
        data = shlex.quote(str(self.data_dir))
        assert self.key_file is not None
        script = (
            f"mount -t tmpfs -o size={self.size} tmpfs {data} && "
            f"{shlex.quote(FRAMELENS)} keys create --tenant acme --data-dir {data} "
            f"> {shlex.quote(str(self.key_file))} && exec {shlex.join(super().argv())}"
        )
        return [*self.unshare, "sh", "-c", script]

    def inside(self, path: Path) -> Path:
        """``path`` as the server sees it (its mount namespace, through /proc)."""
        assert self.proc is not None
        return Path(f"/proc/{self.proc.pid}/root") / path.relative_to("/")


def _fill(path: Path) -> None:
    """Write zeros to ``path`` until the filesystem refuses more."""
    block = b"\0" * (1 << 20)
    with path.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    # the last partial megabyte: fill the remainder byte-wise in small steps
    with path.open("ab", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc


@pytest.fixture
def tmpfs_server(tmp_path: Path) -> Iterator[TmpfsServer]:
    unshare = _private_mount(tmp_path / "probe")
    if isinstance(unshare, str):
        pytest.skip(unshare)
    server = TmpfsServer(tmp_path / "data", tmp_path / "server.log", env=ENV)
    server.unshare = tuple(unshare)
    server.key_file = tmp_path / "key.txt"
    server.data_dir.mkdir()
    yield server
    server.stop()


def test_a_really_full_disk_heals_when_space_returns(
    tmpfs_server: TmpfsServer, small_clip: Generated
) -> None:
    tmpfs_server.start()
    assert tmpfs_server.key_file is not None
    key = tmpfs_server.key_file.read_text().strip()
    filler = tmpfs_server.inside(tmpfs_server.data_dir / "filler")
    fault = Fault(
        start=lambda: _fill(filler),
        stop=lambda: filler.unlink(),
        full_reason="the disk is full",
    )
    _run_through_full_disk(tmpfs_server, key, small_clip.path, fault)
    assert "Traceback" not in tmpfs_server.log_text(), tmpfs_server.log_text()[-5000:]
