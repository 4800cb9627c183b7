"""Cloud fan-out: each work item reads its segment of the video through a presigned URL.

Why: in AWS a long video is cut into ``segment_seconds`` segments, one Map iteration each;
downloading the whole file per segment moved the video N times. FFmpeg reads a presigned S3 URL
with ``Range`` requests, so an item fetches the container's index and its own span only.

How: a moto *server* (a real HTTP endpoint, which FFmpeg needs) behind a byte-counting TCP
proxy; ``AWS_ENDPOINT_URL`` points boto3 (and so the presigned URLs) at the proxy. The real
stages run (probe → plan → analyze per item → aggregate, ``Stage.run`` as the pipeline Lambda
calls it) on the aws backend, once with ranged reads and once downloading; the results must
be equal and the bytes each item pulled are compared with the file's size.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from framelens.config import Settings
from framelens.jobs.files import FileService
from framelens.orchestration.stages import stage
from framelens.orchestration.steps import load_items
from framelens.runtime import build_services
from framelens.schemas import JobCreate
from framelens.stores.aws.tables import table_specs
from tests.media import write_video

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow
moto_server = pytest.importorskip("moto.server")

FPS = 25
SECONDS = 80
SEGMENT_S = 20.0  # 4 segments
MODULES = {"scenes": {}, "best_frames": {}}
CUTS = (300, 1150, 1700)  # frames where the picture changes completely
_BUFFER = 16 * 1024
_RANGE = re.compile(rb"(?i)\r\nrange: *bytes=(\d+)-")
MARGIN_S = 13  # the engine seeks back this far for lookback (scenes' window, skipped frames)


class CountingProxy:
    """A TCP proxy to ``upstream`` that counts the bytes sent back to clients."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.sent = 0
        self.starts: list[int] = []  # first byte of every ranged GET, in order
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            # Small buffers: what is counted is close to what the client read, not what the
            # kernel buffered before FFmpeg closed a connection to seek elsewhere.
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _BUFFER)
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while data := src.recv(_BUFFER):
                with self._lock:
                    if count:
                        self.sent += len(data)
                    else:
                        self.starts += [int(m) for m in _RANGE.findall(data)]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._server.close()


def cuts_clip(path: Path) -> Path:
    """320x240 shots of different brightness with moving noise (so the file is mostly frame
    data), hard cuts at ``CUTS``; keyframes every 50 frames and 2 B-frames (seeks and PTS
    reordering are real)."""
    rng = np.random.default_rng(7)
    noise = rng.integers(-30, 30, (240, 320, 3))
    levels = (40, 200, 110, 240)

    def images() -> Iterator[np.ndarray]:
        for i in range(FPS * SECONDS):
            level = levels[sum(i >= c for c in CUTS)]
            yield np.clip(level + np.roll(noise, i * 3, axis=1), 0, 255).astype(np.uint8)

    write_video(path, images(), fps=FPS, keyint=50, bframes=2)
    return path


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A moto server behind a counting proxy, its bucket and tables, and the clip."""
    import boto3

    port = socket.create_server(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free, verbose=False)
    server.start()
    proxy = CountingProxy(("127.0.0.1", free))
    mp = pytest.MonkeyPatch()
    for key, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        mp.setenv(key, value)
    settings = Settings(backend="aws", media_bucket="segments", segment_seconds=SEGMENT_S)
    boto3.client("s3").create_bucket(Bucket=settings.media_bucket)
    dynamodb = boto3.client("dynamodb")
    for spec in table_specs(settings):
        dynamodb.create_table(**spec["create_table"])
    clip = cuts_clip(tmp_path_factory.mktemp("segments") / "cuts.mp4")
    yield {"proxy": proxy, "settings": settings, "clip": clip}
    mp.undo()
    proxy.close()
    server.stop()


def _run(cloud: dict[str, Any], ranged: bool) -> dict[str, Any]:
    """The stages of one job, as the state machine runs them; bytes pulled per work item."""
    settings = cloud["settings"].model_copy(update={"segment_ranged_reads": ranged})
    services = build_services(settings, start_runner=False)
    secret, _ = services.keys.create(f"t{int(ranged)}", "pro")
    principal = services.keys.authenticate(secret)
    record = FileService(services.stores, services.settings).ingest(
        principal.tenant_id, cloud["clip"], name="cuts.mp4"
    )
    job, _ = services.jobs.create(
        principal, JobCreate(sources=[record.url], modules=MODULES), dispatch=False
    )
    probed = stage("probe").run(services, {"job_id": job.id})
    planned = stage("plan").run(services, probed)
    proxy: CountingProxy = cloud["proxy"]
    pulled, starts = [], []
    for item in load_items(services, _planned(planned)):
        before, first = proxy.sent, len(proxy.starts)
        stage("analyze").run(services, item.model_dump(mode="json"))
        pulled.append(proxy.sent - before)
        starts.append((item.segment[0], proxy.starts[first:]))
    stage("aggregate").run(services, planned)
    done = services.stores.jobs.get(job.id)
    docs = {m: json.loads(services.stores.blobs.get(k)) for m, k in done.result_keys.items()}
    return {
        "job_id": job.id,
        "state": done.state.value,
        "docs": docs,
        "pulled": pulled,
        "starts": starts,
        "size": record.size,
    }


def _planned(planned: dict[str, Any]) -> Any:
    from framelens.orchestration.contract import Planned

    return Planned.model_validate(planned)


@pytest.fixture(scope="module")
def runs(cloud: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return _run(cloud, ranged=True), _run(cloud, ranged=False)


def _result(run: dict[str, Any], module: str) -> dict[str, Any]:
    (source,) = run["docs"][module]["sources"]
    return dict(source["result"])


def test_both_runs_finish_in_four_segments(runs):
    ranged, downloaded = runs
    assert (ranged["state"], downloaded["state"]) == ("finished", "finished")
    assert len(ranged["pulled"]) == len(downloaded["pulled"]) == SECONDS / SEGMENT_S


def test_ranged_reads_give_the_same_results_as_downloads(runs):
    ranged, downloaded = runs
    for module in MODULES:
        # artifact keys name the job; everything else must be identical
        same = json.dumps(_result(ranged, module)).replace(ranged["job_id"], "JOB")
        assert same == json.dumps(_result(downloaded, module)).replace(downloaded["job_id"], "JOB")
    # AND the cuts are the true ones, with global frame numbers in every segment
    starts = [s["start_frame"] for s in _result(ranged, "scenes")["raw_scenes"]]
    assert starts == [0, *CUTS]


def _sample_offsets(clip: Path) -> tuple[int, list[tuple[float, int]]]:
    """The byte offset of the first sample, and (time, offset) of every keyframe."""
    import av

    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        tb = float(stream.time_base)
        entries = list(stream.index_entries)
        keys = [(e.timestamp * tb, e.pos) for e in entries if e.is_keyframe]
        return min(e.pos for e in entries), keys


def test_a_late_segment_never_reads_the_file_before_its_span(cloud, runs):
    # GIVEN where the clip's samples lie
    ranged, _ = runs
    first_sample, keys = _sample_offsets(cloud["clip"])
    moov = max(e for _, e in keys)  # the index sits after the last sample (not faststart)
    for start_s, starts in ranged["starts"][1:]:
        # THEN every ranged GET of the item starts at the header, at the first frame (opening
        # the file decodes it), at the index, or inside its own span (from the keyframe the
        # engine seeks to): nothing in between is requested
        span_from = max(pos for t, pos in keys if t <= max(0.0, start_s - MARGIN_S))
        stray = [s for s in starts if not (s <= first_sample or s >= moov or s >= span_from)]
        assert stray == [], (start_s, starts, span_from)
    # AND the last item jumped to its span (a GET there) rather than reading on from the first
    # frame. Only the last is asserted: FFmpeg reads through a forward seek shorter than the
    # TCP receive window, which the kernel grows to megabytes on loopback, so whether an early
    # item (its span under a megabyte from the first frame) jumps or reads on depends on timing.
    start_s, starts = ranged["starts"][-1]
    span_from = max(pos for t, pos in keys if t <= max(0.0, start_s - MARGIN_S))
    assert any(span_from <= s < moov for s in starts), (start_s, starts, span_from)


def test_ranged_items_pull_far_less_than_downloads(runs):
    ranged, downloaded = runs
    size = ranged["size"]
    # Downloading: every item moves the whole file.
    assert all(pulled >= size for pulled in downloaded["pulled"])
    # Ranged: an item moves its span plus what each abandoned HTTP response had in flight
    # (loopback TCP windows grow to megabytes, so this is a loose bound).
    assert sum(ranged["pulled"]) < 0.85 * sum(downloaded["pulled"]), ranged["pulled"]
