"""Load check: N clients × M jobs against a real local server; nothing lost, nothing duplicated.

Usage: ``python benchmarks/load.py [--clients 16] [--jobs 20] [--workers 2] [--modules scenes]
[--seconds 2] [--poll-s 0.05]``.

It starts ``framelens serve`` on a fresh data dir (rate limits and the concurrent-jobs quota
raised so the clients measure the server, not their plan), makes one key per client (one tenant
each), and generates a short H.264 clip. Every client, on its own thread, uploads the clip, then
creates its M jobs (each with an ``Idempotency-Key``, retried with the same key on a 429/503 or a
dropped connection) and polls their status until every job is terminal. At the end each tenant's
job list is read back:

- ``lost``: jobs a client was given an id for that are missing from its tenant's list or did not
  end ``finished``;
- ``duplicated``: listed jobs beyond the ones created (a retried request that made a second job).

It prints one table: jobs, finished, lost, duplicated, status-GET p50/p95 (ms, under load) and
job throughput (jobs finished per second from the first create to the last finish).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

FRAMELENS = str(Path(sys.executable).with_name("framelens"))
TERMINAL = ("finished", "failed", "cancelled")
RETRY = (429, 503)


def generate_clip(path: Path, seconds: float) -> None:
    """A 160×120 H.264 clip: solid colours with a hard cut every second."""
    import av
    import numpy as np

    fps = 25
    colours = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (255, 255, 255)]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(round(seconds * fps)):
            colour = colours[(i // fps) % len(colours)]
            image = np.full((120, 160, 3), colour, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_key(data_dir: Path, tenant: str) -> str:
    argv = [FRAMELENS, "keys", "create", "--tenant", tenant, "--data-dir", str(data_dir)]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


def start_server(data_dir: Path, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FRAMELENS_WORKERS": str(workers),
        "FRAMELENS_RATE_LIMIT_GET_PER_MINUTE": "1000000",
        "FRAMELENS_RATE_LIMIT_POST_PER_MINUTE": "1000000",
        "FRAMELENS_QUOTA_CONCURRENT_JOBS": "100000",
    }
    argv = [FRAMELENS, "serve", "--port", str(port), "--data-dir", str(data_dir)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            return proc
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)


@dataclass
class ClientRun:
    """What one client did: the job ids it was given and every status-GET latency."""

    tenant: str
    key: str
    created: list[str] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    status_ms: list[float] = field(default_factory=list)
    retries: int = 0
    finished_at: float = 0.0
    error: str | None = None


def _send(client: httpx.Client, run: ClientRun, method: str, url: str, **kw: Any) -> httpx.Response:
    """One request, retried (same body, same Idempotency-Key) on 429/503 and dropped links."""
    for attempt in range(20):
        try:
            resp = client.request(method, url, **kw)
        except httpx.TransportError:
            resp = None
        if resp is not None and resp.status_code not in RETRY:
            return resp
        run.retries += 1
        after = resp.headers.get("Retry-After", "") if resp is not None else ""
        time.sleep(min(float(after), 2.0) if after.isdigit() else 0.2 * (attempt + 1))
    raise RuntimeError(f"{method} {url} kept failing")


def client_main(
    base: str, run: ClientRun, clip: Path, jobs: int, modules: dict[str, Any], poll_s: float
) -> None:
    try:
        with httpx.Client(base_url=base, headers={"X-API-Key": run.key}, timeout=60) as client:
            with clip.open("rb") as fh:
                files = {"file": ("clip.mp4", fh.read(), "video/mp4")}
            upload = _send(client, run, "POST", "/v1/media", files=files)
            upload.raise_for_status()
            source = upload.json()["url"]
            for _ in range(jobs):
                body = {"sources": [source], "modules": modules}
                headers = {"Idempotency-Key": uuid.uuid4().hex}
                resp = _send(client, run, "POST", "/v1/jobs", json=body, headers=headers)
                if resp.status_code != 202:
                    raise RuntimeError(f"create answered {resp.status_code}: {resp.text[:200]}")
                run.created.append(resp.json()["id"])
            pending = list(run.created)
            while pending:
                for job_id in list(pending):
                    t0 = time.perf_counter()
                    resp = _send(client, run, "GET", f"/v1/jobs/{job_id}")
                    run.status_ms.append((time.perf_counter() - t0) * 1000)
                    state = resp.json()["state"]
                    if state in TERMINAL:
                        run.states[job_id] = state
                        pending.remove(job_id)
                time.sleep(poll_s)
            run.finished_at = time.monotonic()
    except Exception as exc:  # noqa: BLE001 - reported in the table, the other clients go on
        run.error = f"{type(exc).__name__}: {exc}"


def listed_jobs(base: str, key: str) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as client:
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/jobs", params=params).json()
            ids += [job["id"] for job in page["data"]]
            cursor = page.get("next_cursor")
            if not cursor:
                return ids


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=20, help="jobs per client")
    parser.add_argument("--workers", type=int, default=2, help="the server's FRAMELENS_WORKERS")
    parser.add_argument("--modules", default="scenes", help="comma-separated modules per job")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of the clip")
    parser.add_argument("--poll-s", type=float, default=0.05, help="pause between status rounds")
    args = parser.parse_args()
    modules = {name: {} for name in args.modules.split(",") if name}

    with tempfile.TemporaryDirectory(prefix="framelens-load-") as tmp:
        root = Path(tmp)
        clip = root / "clip.mp4"
        generate_clip(clip, args.seconds)
        data = root / "data"
        runs = [ClientRun(f"load{i}", create_key(data, f"load{i}")) for i in range(args.clients)]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(data, port, args.workers, root / "server.log")
        try:
            started = time.monotonic()
            threads = [
                threading.Thread(
                    target=client_main, args=(base, run, clip, args.jobs, modules, args.poll_s)
                )
                for run in runs
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            listed = {run.tenant: listed_jobs(base, run.key) for run in runs}
        finally:
            server.terminate()
            server.wait(timeout=30)

    created = [job for run in runs for job in run.created]
    finished = [job for run in runs for job, s in run.states.items() if s == "finished"]
    lost = sum(
        1
        for run in runs
        for job in run.created
        if job not in listed[run.tenant] or run.states.get(job) != "finished"
    )
    duplicated = sum(len(listed[run.tenant]) - len(set(run.created)) for run in runs)
    lost += sum(args.jobs - len(run.created) for run in runs)  # creates that never got an id
    latencies = [ms for run in runs for ms in run.status_ms]
    ends = [run.finished_at for run in runs if run.finished_at]
    wall = (max(ends) if ends else time.monotonic()) - started
    errors = [f"{run.tenant}: {run.error}" for run in runs if run.error]

    cpu = platform.processor() or platform.machine()
    print(f"machine: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu})")
    print(
        f"server: FRAMELENS_WORKERS={args.workers}; modules {','.join(modules)}; "
        f"clip {args.seconds:g} s 160x120 H.264"
    )
    print()
    print(
        "| clients × jobs | jobs | finished | lost | duplicated | retries | status GETs "
        "| GET p50 ms | GET p95 ms | jobs/s | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.clients} × {args.jobs} | {len(created)} | {len(finished)} | {lost} "
        f"| {duplicated} | {sum(r.retries for r in runs)} | {len(latencies)} "
        f"| {percentile(latencies, 50):.1f} | {percentile(latencies, 95):.1f} "
        f"| {len(finished) / wall:.2f} | {wall:.1f} |"
    )
    for error in errors:
        print(f"client error: {error}")
    return 0 if lost == 0 and duplicated == 0 and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
