"""Webhook deliveries under faults (issue 16, defects 1 and 2): a receiver that never answers
cannot slow jobs; a receiver down for longer than the old ~15 s retry window still gets the
event, exactly once; a server killed (SIGKILL) during a delivery sends it after a restart."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.test_server_restart import FRAMELENS, Server, _wait_finished

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.e2e.conftest import Env, Receiver
    from tests.media import Generated


@dataclass
class BlackHole:
    """Accepts connections and never reads or answers (a receiver that hangs)."""

    port: int = 0
    open_connections: list[socket.socket] = field(default_factory=list)

    @property
    def url(self) -> str:
        # "localhost", not 127.0.0.1: another receiver host than the conftest receiver's
        return f"http://localhost:{self.port}/hook"


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    hole.port = listener.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            hole.open_connections.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield hole
    stop.set()
    thread.join()
    for conn in hole.open_connections:
        conn.close()
    listener.close()


def _wait(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_receiver_that_never_answers_slows_no_job(
    make_env: Callable[..., Env], black_hole: BlackHole, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN a server with 2 job workers and a 5 s webhook timeout (before: a webhook held a job
    # worker for 5 attempts x the timeout plus backoff)
    env = make_env(allow_private_network=True, webhook_timeout_s=5.0, webhook_per_host=2)
    api = env.api()
    source = api.upload(cuts_clip.path)["url"]
    api.wait(api.create_job([source]).json()["id"])  # warm: the analyzers are imported
    # WHEN 4 jobs name a receiver that accepts connections and never answers
    start = time.monotonic()
    ids = [api.create_job([source], webhook={"url": black_hole.url}).json()["id"] for _ in range(4)]
    jobs = [api.wait(job_id) for job_id in ids]
    elapsed = time.monotonic() - start
    # THEN every job finished in about its own time, all 4 before one webhook timeout (5 s;
    # before: 2 workers x 2 rounds x 5 attempts x 5 s)
    assert [j["state"] for j in jobs] == ["finished"] * 4
    assert elapsed < 5.0, elapsed
    # AND at most 2 deliveries hang on that receiver at once (the per-host bound)
    _wait(lambda: len(black_hole.open_connections) >= 2, 3.0, "no delivery reached the hole")
    time.sleep(0.5)
    assert len(black_hole.open_connections) == 2
    # AND another tenant's webhook to another receiver is delivered meanwhile
    other = env.api(env.key("other"))
    other_source = other.upload(cuts_clip.path)["url"]
    job_id = other.create_job([other_source], webhook={"url": receiver.url}).json()["id"]
    job = other.wait(
        job_id, until=lambda j: (j["webhook_delivery"] or {}).get("status") == "delivered"
    )
    assert job["webhook_delivery"]["attempts"] == 1
    assert len(black_hole.open_connections) == 2  # the hole's two sends are still hanging


def test_a_flood_to_one_hanging_receiver_does_not_hide_other_deliveries(
    make_env: Callable[..., Env], black_hole: BlackHole, receiver: Receiver, cuts_clip: Generated
) -> None:
    # GIVEN 2 sender threads, 1 per host (a poll looks at 4 x 2 = 8 due records), and 10 job
    # webhooks queued for a receiver that never answers
    env = make_env(
        allow_private_network=True, webhook_concurrency=2, webhook_per_host=1, webhook_backoff_s=30
    )
    api = env.api()
    source = api.upload(cuts_clip.path)["url"]
    ids = [
        api.create_job([source], webhook={"url": black_hole.url}).json()["id"] for _ in range(10)
    ]
    for job_id in ids:
        api.wait(job_id)
    # WHEN another tenant's job webhook is queued behind them
    other = env.api(env.key("other"))
    job_id = other.create_job(
        [other.upload(cuts_clip.path)["url"]], webhook={"url": receiver.url}
    ).json()["id"]
    other.wait(job_id)
    queued = time.monotonic()
    # THEN it is delivered well before the hanging send's 5 s timeout frees anything
    other.wait(
        job_id,
        until=lambda j: (j["webhook_delivery"] or {}).get("status") == "delivered",
        timeout_s=10,
    )
    assert time.monotonic() - queued < 4.0
    assert len(black_hole.open_connections) == 1


@dataclass
class Flaky:
    """A receiver that can be down (connection refused), up, or hanging on its first request."""

    port: int
    calls: list[bytes] = field(default_factory=list)
    hang_first: bool = False
    hung: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def up(self) -> None:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if state.hang_first and not state.hung.is_set():
                    state.hung.set()
                    state.release.wait(60)  # the sender is killed while we hold the request
                    return
                state.calls.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def down(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = Flaky(port)
    yield receiver
    receiver.down()


def test_a_receiver_down_longer_than_the_old_window_gets_the_event_once(
    make_env: Callable[..., Env], flaky: Flaky, cuts_clip: Generated
) -> None:
    # GIVEN a small schedule (0.25 s doubling, at most 1 s a step) and a receiver that is down
    env = make_env(
        allow_private_network=True,
        webhook_backoff_s=0.25,
        webhook_max_backoff_s=1.0,
        webhook_max_attempts=100,
        webhook_max_age_s=120.0,
    )
    api = env.api()
    source = api.upload(cuts_clip.path)["url"]
    job_id = api.create_job([source], webhook={"url": flaky.url, "secret": "k"}).json()["id"]
    # WHEN it stays down for more attempts than the old schedule made (5), then comes back
    job = api.wait(job_id, until=lambda j: (j["webhook_delivery"] or {}).get("attempts", 0) >= 6)
    assert job["webhook_delivery"]["status"] == "pending"
    assert "connection failed" in job["webhook_delivery"]["last_error"]
    time.sleep(2.0)
    flaky.up()
    # THEN the next attempt delivers it, exactly once
    job = api.wait(
        job_id,
        until=lambda j: (j["webhook_delivery"] or {}).get("status") == "delivered",
        timeout_s=10,
    )
    time.sleep(1.5)
    assert len(flaky.calls) == 1
    assert job["webhook_delivery"]["attempts"] >= 7
    # AND the delivery list shows it delivered, with the job's attempts
    (listed,) = api.get("/v1/webhooks/deliveries").json()["data"]
    assert listed["state"] == "delivered" and listed["job_id"] == job_id
    assert listed["attempts"] == job["webhook_delivery"]["attempts"]


@pytest.mark.slow
def test_a_delivery_cut_by_sigkill_is_sent_after_a_restart(
    tmp_path: Path, flaky: Flaky, cuts_clip: Generated, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a real server (2 s webhook timeout, so a claim's lease is 7 s) and a receiver that
    # holds the first request without answering
    monkeypatch.setenv("FRAMELENS_ALLOW_PRIVATE_NETWORK", "true")
    monkeypatch.setenv("FRAMELENS_WEBHOOK_TIMEOUT_S", "2")
    monkeypatch.setenv("FRAMELENS_WEBHOOK_POLL_S", "0.2")
    server = Server(tmp_path / "data", tmp_path / "server.log")
    key = subprocess.run(
        [FRAMELENS, "keys", "create", "--tenant", "acme", "--data-dir", str(server.data_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    flaky.hang_first = True
    flaky.up()
    server.start()
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=10) as client:
            with cuts_clip.path.open("rb") as fh:
                file = client.post("/v1/media", files={"file": ("c.mp4", fh, "video/mp4")})
            webhook = {"url": flaky.url, "secret": "s3cret"}
            body = {"sources": [file.json()["url"]], "modules": {"probe": {}}, "webhook": webhook}
            job_id = client.post("/v1/jobs", json=body).json()["id"]
            assert _wait_finished(client, job_id)["state"] == "finished"
            # WHEN the server is killed while the receiver holds the delivery
            assert flaky.hung.wait(10), server.log_text()
            assert server.proc is not None
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(10)
        flaky.release.set()
        server.start()
        # THEN after the lease ends the restarted server delivers it, once
        with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=10) as client:
            deadline = time.monotonic() + 20
            while (client.get(f"/v1/jobs/{job_id}").json()["webhook_delivery"] or {}).get(
                "status"
            ) != "delivered":
                assert time.monotonic() < deadline, server.log_text()
                time.sleep(0.2)
            job = client.get(f"/v1/jobs/{job_id}").json()
        assert len(flaky.calls) == 1
        assert job["webhook_delivery"]["attempts"] == 1  # the cut attempt recorded nothing
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.stop()
