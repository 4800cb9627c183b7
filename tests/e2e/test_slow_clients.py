"""Slow clients against the real ``framelens serve`` (issue 16, defect 3 and 4): incomplete
headers, a body shorter than its ``Content-Length`` and a stalled chunked body are cut off in
seconds; a credential or a declared size that is refused is answered before any body arrives.

Raw sockets, because HTTP clients never send half a request.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

FRAMELENS = str(Path(sys.executable).with_name("framelens"))
HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``framelens serve`` with short slow-client timeouts, and a key for tenant acme."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.port = _free_port()
        self.key = subprocess.run(
            [FRAMELENS, "keys", "create", "--tenant", "acme", "--data-dir", str(data_dir)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                FRAMELENS,
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
                "--header-timeout",
                str(HEADER_TIMEOUT_S),
                "--body-timeout",
                str(BODY_TIMEOUT_S),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1)
                return
            except httpx.TransportError:
                assert self.proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return sock

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self._log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("slow")
    srv = Server(tmp / "data", tmp / "server.log")
    yield srv
    srv.stop()


def _read_until_closed(sock: socket.socket, limit_s: float = 10.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long the first
    bytes took to come (the test fails if the connection is not closed within ``limit_s``)."""
    start = time.monotonic()
    sock.settimeout(limit_s)
    data = b""
    first = limit_s
    try:
        while chunk := sock.recv(65536):
            if not data:
                first = time.monotonic() - start
            data += chunk
    except ConnectionResetError:
        pass
    return data, first


def test_incomplete_headers_are_cut_off_in_seconds(server: Server) -> None:
    # GIVEN a client that sends half of its headers and then nothing (slowloris)
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        # THEN the server answers 408 and closes within a few seconds
        data, took = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert took < HEADER_TIMEOUT_S + 3


def test_dripped_headers_do_not_keep_a_connection_alive(server: Server) -> None:
    # GIVEN a client that sends a header byte every 0.3 s, each under the timeout on its own
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        start = time.monotonic()
        closed = False
        while time.monotonic() - start < HEADER_TIMEOUT_S + 4:
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            time.sleep(0.3)
        if not closed:
            data, _ = _read_until_closed(sock, 1)
            closed = data.startswith(b"HTTP/1.1 408")
    # THEN the deadline counts from the first byte, so the connection is closed all the same
    assert closed


def test_a_body_shorter_than_its_content_length_is_a_408_in_seconds(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(
            b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-API-Key: " + server.key.encode() + b'\r\nContent-Length: 100\r\n\r\n{"so'
        )
        data, took = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert b"request_timeout" in data
    assert took < BODY_TIMEOUT_S + 3


def test_a_stalled_chunked_upload_is_a_408(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(
            b"POST /v1/media HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
            b"X-API-Key: " + server.key.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4\r\nabcd\r\n"
        )
        data, took = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408"), data
    assert took < BODY_TIMEOUT_S + 3


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        # no key: 401 although 1 GB is announced and none of it sent
        (b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n", b"401"),
        # a bogus upload token: 401 before a byte of the 5 GB is spooled
        (
            b"PUT /v1/uploads/f_x?token=bogus HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 5000000000\r\n\r\n",
            b"401",
        ),
    ],
    ids=["no-key", "bogus-upload-token"],
)
def test_refusals_come_before_the_body(server: Server, request_head: bytes, status: bytes) -> None:
    with server.connect() as sock:
        start = time.monotonic()
        sock.sendall(request_head)
        sock.settimeout(5)
        first = sock.recv(65536)
        took = time.monotonic() - start
        # the rest of the body is not read and thrown away: the connection closes
        _, _ = _read_until_closed(sock, 3)
    assert first.startswith(b"HTTP/1.1 " + status), first
    assert b"connection: close" in first.lower()
    assert took < 2


def test_a_declared_body_over_the_cap_is_413_at_once(server: Server) -> None:
    with server.connect() as sock:
        start = time.monotonic()
        sock.sendall(
            b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-API-Key: " + server.key.encode() + b"\r\nContent-Length: 200000000\r\n\r\n"
        )
        sock.settimeout(5)
        first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 413"), first
    assert time.monotonic() - start < 2


def test_a_body_on_a_get_is_not_waited_for(server: Server) -> None:
    # GIVEN a GET that announces a 1 GB body it never sends
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
        # THEN it is answered, and the connection closed rather than held for the body
        data, first = _read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 200"), data
    assert b"connection: close" in data.lower()
    assert first < 2


def test_the_server_still_answers_after_the_slow_clients(server: Server) -> None:
    resp = httpx.get(f"http://127.0.0.1:{server.port}/v1/jobs", headers={"X-API-Key": server.key})
    assert resp.status_code == 200
