"""Issue 16's HTTP abuse cases against a real ``framelens serve``, before and after, side by side.

Each case runs against a fresh server process (its own data dir) and prints what the server
answered, how long it took and the server's peak RSS. Pass ``--before-src DIR`` (a ``git
archive`` of an older commit, its ``layers/core/python`` is put first on ``PYTHONPATH``) to run
the same cases against that code as well.

    .venv/bin/python benchmarks/http_abuse.py --mb 200 [--before-src /tmp/before]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CAP_S = 30.0  # a case still waiting after this long is reported as ">30 s"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    def __init__(self, src: Path | None) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.port = _free_port()
        env = dict(os.environ)
        if src is not None:
            env["PYTHONPATH"] = str(src / "layers/core/python")
        cli = [sys.executable, "-m", "framelens.cli.main"]
        data = ["--data-dir", self.tmp.name]
        self.key = subprocess.run(
            [*cli, "keys", "create", "--tenant", "acme", *data],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        self.proc = subprocess.Popen(
            [*cli, "serve", "--port", str(self.port), *data],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                time.sleep(0.5)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.tmp.cleanup()


def _exchange(
    port: int, head: bytes, body_mb: int = 0, then_wait: bool = True
) -> tuple[str, float]:
    """Send ``head`` (and ``body_mb`` MiB), return the status line and seconds to it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=CAP_S)
    start = time.monotonic()
    try:
        sock.sendall(head)
        chunk = b"x" * (1 << 20)
        for _ in range(body_mb):
            sock.sendall(chunk)
        sock.settimeout(CAP_S if then_wait else 1)
        first = sock.recv(4096)
        took = time.monotonic() - start
        line = first.split(b"\r\n", 1)[0].decode(errors="replace") or "(closed, no answer)"
        return line, took
    except TimeoutError:
        return f"(no answer after {CAP_S:g} s)", time.monotonic() - start
    except (BrokenPipeError, ConnectionResetError):
        took = time.monotonic() - start
        try:  # the server answered and closed before the body was all sent: read its answer
            first = sock.recv(4096)
        except OSError:
            first = b""
        line = first.split(b"\r\n", 1)[0].decode(errors="replace")
        return line or "(connection closed while sending)", took
    finally:
        sock.close()


def _head(start: str, *headers: str) -> bytes:
    return ("\r\n".join([start, "Host: x", *headers]) + "\r\n\r\n").encode()


def cases(mb: int, key: str) -> list[tuple[str, bytes, int]]:
    """``(name, request head and any body bytes, MiB of body to send after it)``."""
    size = f"Content-Length: {mb << 20}"
    jobs, json_type, with_key = (
        "POST /v1/jobs HTTP/1.1",
        "Content-Type: application/json",
        (f"X-API-Key: {key}"),
    )
    return [
        ("keyless JSON body", _head(jobs, json_type, size), mb),
        ("malformed JSON, no key", _head(jobs, json_type, "Content-Length: 5") + b"{nope", 0),
        ("bogus upload token", _head("PUT /v1/uploads/f_x?token=bogus HTTP/1.1", size), mb),
        (
            "Content-Length > body",
            _head(jobs, with_key, json_type, "Content-Length: 100") + b'{"so',
            0,
        ),
        ("incomplete headers", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", 0),
        ("JSON body over 1 MiB with a key", _head(jobs, with_key, json_type, size), mb),
    ]


def run(label: str, src: Path | None, mb: int) -> None:
    for name, _, _ in cases(mb, "k"):
        server = Server(src)
        try:
            head, body_mb = next((h, b) for n, h, b in cases(mb, server.key) if n == name)
            base = _rss_peak_mb(server.proc.pid)
            line, took = _exchange(server.port, head, body_mb)
            time.sleep(0.5)
            peak = _rss_peak_mb(server.proc.pid)
            print(f"| {label} | {name} | {line} | {took:.2f} s | {base:.0f} -> {peak:.0f} MB |")
        finally:
            server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200, help="size of the abusive bodies (MiB)")
    parser.add_argument("--before-src", type=Path, help="an older checkout to compare with")
    args = parser.parse_args()
    print("| code | case | answer | time to answer | server peak RSS (start -> end) |")
    print("|---|---|---|---|---|")
    if args.before_src is not None:
        run("before", args.before_src, args.mb)
    run("after", None, args.mb)


if __name__ == "__main__":
    main()
