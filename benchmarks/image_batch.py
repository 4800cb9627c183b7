"""Seed 001 image batches end to end through the local server: a batch of 50 images posted as
base64 JSON to ``POST /v1/images`` until ``GET /v1/images/{id}`` is ``finished``.

Usage: ``FRAMELENS_MODEL_DIR=../shared/models python benchmarks/image_batch.py [--images 50]``.

Starts ``framelens serve`` (a fresh data dir, ``--workers`` 1 and then 2: the batch's items run
concurrently up to the worker count) and measures, side by side:

- the batch: wall time from POST to ``finished`` (polled every 100 ms), images per second;
- one image at a time: ``--singles`` one-image batches in turn, their end-to-end latency p50 /
  p95 (what one image costs when nothing else is queued);
- ``GET /v1/latency?media_type=image`` after the runs (the server's own per-image figure).

Images: scikit-image's photos (coffee, chelsea, astronaut, rocket, camera...) as JPEG, in turn;
each runs ``tags`` (EfficientNet-Lite0 + YOLOX-nano), ``faces`` and ``ocr`` (PP-OCRv4).
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import httpx
from skimage import data

PHOTOS = ("coffee", "chelsea", "astronaut", "rocket", "camera", "cat", "immunohistochemistry")
BIN = Path(sys.executable).parent / "framelens"


def photos(n: int) -> list[dict[str, str]]:
    """``n`` items cycling through the photos, as raw base64 JPEG."""
    encoded = []
    for name in PHOTOS:
        image = getattr(data, name)()
        bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR if image.ndim == 2 else cv2.COLOR_RGB2BGR)
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        encoded.append(base64.b64encode(buf.tobytes()).decode())
    return [
        {"external_id": f"img{i:03d}", "data_base64": encoded[i % len(encoded)]} for i in range(n)
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``framelens serve`` on a free port over a fresh data dir, with a pro-plan key."""

    def __init__(self, workers: int) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="framelens-bench-batch-")
        self.env = {
            **os.environ,
            "FRAMELENS_DATA_DIR": self.tmp.name,
            "FRAMELENS_WORKERS": str(workers),
        }
        self.key = subprocess.run(
            [str(BIN), "keys", "create", "--tenant", "bench", "--plan", "pro"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", headers={"X-API-Key": self.key}, timeout=120
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

    def run_batch(self, items: list[dict[str, str]]) -> float:
        """Seconds from POST to ``finished``."""
        start = time.perf_counter()
        resp = self.client.post("/v1/images", json={"images": items})
        resp.raise_for_status()
        location = resp.headers["Location"]
        while True:
            polled = self.client.get(location)
            if polled.status_code == 429:  # over the plan's GETs a minute: wait as told
                time.sleep(float(polled.headers.get("Retry-After", "1")))
                continue
            polled.raise_for_status()
            body = polled.json()
            if body["status"] in ("finished", "failed", "cancelled"):
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
        if body["status"] != "finished" or any(i["status"] != "finished" for i in body["items"]):
            raise RuntimeError(f"the batch did not finish: {body['status']}")
        return elapsed

    def close(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.tmp.cleanup()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--singles", type=int, default=14)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts, in turn")
    args = parser.parse_args()
    items = photos(args.images)
    print(f"# image batch: {args.images} images, {platform.machine()}, {os.cpu_count()} CPUs")
    print()
    print(
        "| workers | batch wall (s) | images/s | single image p50 / p95 (s) "
        "| /v1/latency (ms/image) |"
    )
    print("|---|---|---|---|---|")
    for workers in (int(w) for w in args.workers.split(",")):
        server = Server(workers)
        try:
            server.run_batch(items[:2])  # load the models before timing
            wall = server.run_batch(items)
            singles = [server.run_batch([item]) for item in items[: args.singles]]
            latency = server.client.get("/v1/latency", params={"media_type": "image"}).json()
        finally:
            server.close()
        print(
            f"| {workers} | {wall:.1f} | {args.images / wall:.2f} | "
            f"{statistics.median(singles):.2f} / {_pct(singles, 0.95):.2f} | "
            f"{latency['latency_ms_per_unit']:.0f} |"
        )


if __name__ == "__main__":
    main()
