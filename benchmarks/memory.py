"""Memory benchmark: peak RSS of each module (and of all together) on a 60 s and a 10 min clip.

Usage: ``FRAMELENS_MODEL_DIR=../shared/models python benchmarks/memory.py [--seconds 60]
[--times 10] [--modules objects,ocr] [--work .cache/bench-memory] [--json out.json]``.

Each module runs on the shared clip whose content it sees (people for ``objects``/``tracking``,
a face for ``faces``, captions for ``ocr``; the violinist for the rest), cut to ``--seconds`` by
looping its packets (no re-encode), and on that clip remuxed ``--times`` times back to back (as
``benchmarks/engine.py`` makes its 10-minute clip), so both see the same content per second.
Every case runs in its own process and does what a worker does with one work item: open the
models, ``run_analyzers`` over the whole clip with a page and artifact sink (a folder standing
for the blob store: per-frame results go out in pages, annotated video is streamed), serialize
the result to the JSON bytes the analyze stage stores. Its peak RSS is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (the process is a fresh interpreter; the parent
that forks it stays far smaller than any case).

Target (issue 17): long / short peak RSS <= 1.1 for each module and for all of them together.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from child_case import run_child

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
WALKING = "walking_people_vtest_480x360.avi"
VIOLIN = "violinist_faces_cuts_640x360.mp4"
TESTCARD = "text_overlay_ac3_testcard_640x480.avi"
CLIPS: dict[str, str] = {  # module -> the shared clip it sees something in
    "scenes": VIOLIN,
    "best_frames": VIOLIN,
    "sections": VIOLIN,
    "activity": VIOLIN,
    "tags": VIOLIN,
    "faces": VIOLIN,
    "ocr": TESTCARD,
    "objects": WALKING,
    "tracking": WALKING,
    "all": WALKING,
}
ALL = ("scenes", "best_frames", "objects", "tracking", "faces", "ocr", "activity", "tags")
RSS_TARGET = 1.1


def loop_clip(src: Path, dst: Path, seconds: float) -> float:
    """Write ``src``'s video packets to ``dst`` (MP4) again and again until ``seconds`` are
    covered, ending before a keyframe (no re-encode); returns the duration written."""
    import av

    with av.open(str(src)) as probe:
        stream = probe.streams.video[0]
        rate = stream.average_rate or Fraction(25)
        tb = stream.time_base
        packets = [p for p in probe.demux(stream) if p.size and (p.pts is not None)]
        first = min(int(p.pts) for p in packets if p.pts is not None)
        span = max(int(p.pts) for p in packets if p.pts is not None) - first
        span += round(1 / (rate * tb))  # one frame after the last
    target = int(seconds / tb)
    written = 0
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        ostream = out.add_stream_from_template(inp.streams.video[0])
        k = 0
        while True:
            for packet in inp.demux(inp.streams.video[0]):
                if packet.pts is None or not packet.size:
                    continue
                pts = int(packet.pts) - first + k * span
                if packet.is_keyframe and pts >= target:
                    return float(written * tb)
                dts = int(packet.dts) - first + k * span if packet.dts is not None else pts
                packet.pts, packet.dts, packet.stream = pts, dts, ostream
                out.mux(packet)
                written = max(written, pts + round(1 / (rate * tb)))
            inp.seek(0, stream=inp.streams.video[0])
            k += 1


def clips_for(work: Path, name: str, seconds: int, times: int) -> tuple[Path, Path]:
    """The short and the long clip of ``name`` (made once into ``work``): the short one is cut
    at the first keyframe at or after ``seconds`` (so it may run longer), the long one is it
    looped ``times`` times."""
    work.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    short, long = work / f"{stem}_{seconds}s.mp4", work / f"{stem}_{seconds * times}s.mp4"
    if not short.exists():
        loop_clip(MEDIA / name, short, seconds)
    if not long.exists():
        loop_clip(short, long, seconds * times)
    return short, long


def _seconds(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


# --- one case (a child process) -------------------------------------------------------------


def _folder_sink(folder: Path) -> Any:
    """The worker's blob store, as a folder: pages and artifacts written (or streamed) to disk."""
    import shutil

    from framelens.engine.base import ArtifactSink

    class FolderSink(ArtifactSink):
        def put(self, name: str, data: bytes, content_type: str) -> str:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return str(path)

        def put_file(self, name: str, fp: Any, content_type: str) -> str:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as out:
                shutil.copyfileobj(fp, out)
            return str(path)

    return FolderSink()


def _child(module: str, path: Path) -> dict[str, Any]:
    import tempfile

    from framelens.analyzers.registry import analyzer_class
    from framelens.engine.base import RunContext
    from framelens.engine.run import run_analyzers
    from framelens.media.probe import media_info
    from framelens.models import ModelRegistry

    registry = ModelRegistry(
        Path(os.environ.get("FRAMELENS_MODEL_DIR", "../shared/models")),
        Path("/tmp/framelens-bench-cache"),
    )
    names = ALL if module == "all" else (module,)
    analyzers = [analyzer_class(n)({}) for n in names]
    info = media_info(path)
    with tempfile.TemporaryDirectory() as tmp:
        sink = _folder_sink(Path(tmp))
        ctx = RunContext(job_id="bench", models=registry, artifacts=sink, pages=sink)
        t0 = time.perf_counter()
        results = run_analyzers(path, analyzers, ctx, info)
        body = sum(len(r.model_dump_json().encode()) for r in results.values())  # the parts
        seconds = time.perf_counter() - t0
        paged = sum(p.stat().st_size for p in Path(tmp).rglob("*.json"))
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rss_mib": rss_kib / 1024, "seconds": seconds, "result_bytes": body + paged}


def run_case(module: str, path: Path) -> dict[str, Any] | None:
    return run_child(__file__, module, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case")
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--modules", default=",".join((*ALL, "sections", "all")))
    parser.add_argument("--work", type=Path, default=Path(".cache/bench-memory"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_child(args.case, args.clip)))
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"\n| module | clip, short / long | peak RSS short (MiB) | peak RSS long (MiB) "
        f"| ratio (<= {RSS_TARGET}) | result + pages JSON short / long (KiB) | long: wall s |"
    )
    print("|---|---|---|---|---|---|---|")
    rows: dict[str, Any] = {}
    for module in args.modules.split(","):
        short, long = clips_for(args.work, CLIPS[module], args.seconds, args.times)
        a, b = run_case(module, short), run_case(module, long)
        if a is None or b is None:
            continue
        ratio = b["rss_mib"] / a["rss_mib"]
        lengths = f"{_seconds(short):.0f} s / {_seconds(long):.0f} s"
        mark = "pass" if ratio <= RSS_TARGET else "**miss**"
        rows[module] = {"short": a, "long": b, "ratio": ratio}
        print(
            f"| {module} | {Path(CLIPS[module]).stem}, {lengths} | {a['rss_mib']:.0f} "
            f"| {b['rss_mib']:.0f} | {ratio:.2f} ({mark}) | {a['result_bytes'] / 1024:.0f} / "
            f"{b['result_bytes'] / 1024:.0f} | {b['seconds']:.0f} |",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
