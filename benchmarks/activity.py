"""Activity speed: MoViNet per frame, and the ``activity`` analyzer's real-time factor on the
violinist clip (decode + 5 fps sampling + cut test + MoViNet), next to decode alone and to the
seed 001 bundle (scenes + sections + activity + tags, composed), all measured in one run.

Usage: ``FRAMELENS_MODEL_DIR=../shared/models python benchmarks/activity.py [--repeat 3]``.
Target (issue 12): faster than real time on the CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import av

from framelens.analyzers._movinet import MovinetStream, preprocess
from framelens.analyzers.activity import DEFAULT_ACTIVITY_MODEL, ActivityAnalyzer
from framelens.analyzers.compose import compose_results
from framelens.analyzers.sections import SectionsAnalyzer
from framelens.analyzers.tags import TagsAnalyzer
from framelens.engine.base import RunContext
from framelens.engine.run import run_analyzers
from framelens.media.probe import media_info
from framelens.models import ModelRegistry

CLIP = Path(__file__).resolve().parents[2] / "shared" / "media" / "violinist_faces_cuts_640x360.mp4"


def _decode(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    models = ModelRegistry(
        Path(os.environ.get("FRAMELENS_MODEL_DIR", "../shared/models")),
        Path("/tmp/framelens-bench-cache"),
    )
    info = media_info(args.clip)
    duration = float(info.duration or 0)
    stream = MovinetStream(models.session(DEFAULT_ACTIVITY_MODEL))
    frames = []
    with av.open(str(args.clip)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 6 == 0:  # ~5 fps of a 29.97 fps clip, at the analyzer's 416 px working size
                frames.append(frame.to_ndarray(format="bgr24", width=416, height=234))
    for image in frames[:5]:  # warm-up
        stream.step(image)

    def analyzers(bundle: bool) -> list:  # type: ignore[type-arg]
        if not bundle:
            return [ActivityAnalyzer()]
        return [SectionsAnalyzer(), ActivityAnalyzer(), TagsAnalyzer()]

    # Interleaved repeats, medians: other processes on a shared machine hit every case alike.
    step_ms, pre_ms = [], []
    walls: dict[str, list[float]] = {"decode": [], "activity": [], "bundle": []}
    cpus: dict[str, list[float]] = {"decode": [], "activity": [], "bundle": []}
    for _ in range(args.repeat):
        stream.reset()
        for image in frames:
            t0 = time.perf_counter()
            preprocess(image)
            t1 = time.perf_counter()
            stream.step(image)
            t2 = time.perf_counter()
            pre_ms.append(1000 * (t1 - t0))
            step_ms.append(1000 * (t2 - t1))
        for case in walls:
            t0, c0 = time.perf_counter(), time.process_time()
            if case == "decode":
                _decode(args.clip)
            else:
                bundle = case == "bundle"
                out = run_analyzers(args.clip, analyzers(bundle), RunContext(models=models), info)
                if bundle:
                    compose_results(out)
            walls[case].append(time.perf_counter() - t0)
            cpus[case].append(time.process_time() - c0)
    step, pre = statistics.median(step_ms), statistics.median(pre_ms)
    print(f"clip: {args.clip.name}, {duration:.1f} s, {info.frames} frames; repeats {args.repeat}")
    print(f"{'measure':60} {'value':>9}")
    print(f"{'MoViNet step incl. preprocess (ms/frame, median)':60} {step:9.1f}")
    print(f"{'  of which preprocess (ms/frame)':60} {pre:9.2f}")
    print(f"{'MoViNet alone at 5 fps (x real time)':60} {1000 / (5 * step):9.1f}")
    names = {
        "decode": "decode only",
        "activity": "activity analyzer (decode + 5 fps MoViNet)",
        "bundle": "scenes+sections+activity+tags, composed",
    }
    # CPU seconds (all threads) are what a loaded shared machine distorts least.
    for case, name in names.items():
        wall, cpu = statistics.median(walls[case]), statistics.median(cpus[case])
        print(f"{name + ' (wall s / CPU s)':60} {wall:9.2f} {cpu:7.2f}")
        label = "  x real time (wall; per CPU second)"
        print(f"{label:60} {duration / wall:9.1f} {duration / cpu:7.1f}")
    print(f"cpus: {len(os.sched_getaffinity(0))}, load: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
