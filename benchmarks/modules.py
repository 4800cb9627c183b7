"""Module speed: faces, OCR and activity next to decode-only and the engine, in one run.

Usage: ``FRAMELENS_MODEL_DIR=../shared/models python benchmarks/modules.py [--rounds 3]
[--json out.json]``.

Each module runs on the shared clip it was asked to be measured on (issues 10-12): ``faces`` and
``activity`` on the violinist clip (21.8 s, 29.97 fps), ``ocr`` on the AC3 test card (33.4 s,
25 fps), at their default options. Per clip every round runs, each in its own fresh process
(imports and model loads outside the timed region, as a warm worker has them): ``decode`` (PyAV,
every frame), ``engine`` (``scenes`` + ``best_frames``, the single pass of
``benchmarks/engine.py``) and the module(s) through ``run_analyzers``; the order rotates per
round and the table gives medians over rounds of each round's own ratios.

Columns: frames the module was given (its sampling, counted at ``process``) and, for ``ocr``,
the frames OCR actually ran on (the change test skips the rest); ms per sampled frame = (module
wall - decode wall) / sampled frames, the module's own cost on top of the decode it shares;
speed vs decode-only = decode wall / module wall; x real time = clip seconds / module wall.

Targets: ``faces`` faster than real time on 2 cores (issue 10). Issues 11 (OCR) and 12
(activity) ask for x real time at the default sampling without a number; the bar printed for
them is real time too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from child_case import run_child

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
VIOLIN = MEDIA / "violinist_faces_cuts_640x360.mp4"
TESTCARD = MEDIA / "text_overlay_ac3_testcard_640x480.avi"
PLAN: dict[Path, tuple[str, ...]] = {
    VIOLIN: ("decode", "engine", "faces", "activity"),
    TESTCARD: ("decode", "engine", "ocr"),
}
REALTIME_TARGET = 1.0


def _decode(path: Path) -> dict[str, Any]:
    import av

    n = 0
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in c.decode(stream):
            n += 1
    return {"frames": n}


def _counted(analyzer: Any) -> list[int]:
    """Count the frames the engine gives ``analyzer`` (wraps its bound ``process``)."""
    count = [0]
    process = analyzer.process

    def counting(frame: Any) -> None:
        count[0] += 1
        process(frame)

    analyzer.process = counting
    return count


def _child(case: str, path: Path) -> dict[str, Any]:
    import av  # noqa: F401
    import cv2  # noqa: F401

    from framelens.analyzers.registry import analyzer_class
    from framelens.engine.base import RunContext
    from framelens.engine.run import run_analyzers
    from framelens.media.probe import media_info
    from framelens.models import ModelRegistry

    registry = ModelRegistry(
        Path(os.environ.get("FRAMELENS_MODEL_DIR", "../shared/models")),
        Path("/tmp/framelens-bench-cache"),
    )
    info = media_info(path)
    if case == "decode":
        t0 = time.perf_counter()
        out = _decode(path)
        return {**out, "seconds": time.perf_counter() - t0}
    names = ("scenes", "best_frames") if case == "engine" else (case,)
    analyzers = [analyzer_class(n)({}) for n in names]
    if case == "faces":  # models opened outside the timed region, as in a warm worker
        from framelens.analyzers.faces import load_face_models

        load_face_models(registry)
    counts = [_counted(a) for a in analyzers]
    ctx = RunContext(job_id="bench", models=registry)
    t0 = time.perf_counter()
    results = run_analyzers(path, analyzers, ctx, info)
    out = {"seconds": time.perf_counter() - t0, "sampled": counts[-1][0]}
    result: Any = results[names[-1]]
    if case == "ocr":
        out["read"] = int(result.frames_read)
    return out


def run_case(case: str, path: Path) -> dict[str, Any] | None:
    return run_child(__file__, case, path)


def _duration(path: Path) -> float:
    from framelens.media.probe import media_info

    return float(media_info(path).duration or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case")
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(_child(args.case, args.clip)))
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    runs: dict[Path, list[dict[str, dict[str, Any]]]] = {clip: [] for clip in PLAN}
    for n in range(args.rounds):
        for clip, cases in PLAN.items():
            order = cases[n % len(cases) :] + cases[: n % len(cases)]
            done = {case: run_case(case, clip) for case in order}
            runs[clip].append({k: v for k, v in done.items() if v is not None})
        print(f"round {n + 1}/{args.rounds}; load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = report(runs)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


def report(runs: dict[Path, list[dict[str, dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Print the table: medians over rounds of each round's own ratios."""
    print(
        "\n| module | clip | frames sampled (OCR'd) | module s | decode s | ms per sampled frame "
        "| speed vs decode-only | x real time | target: faster than real time |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for clip, rounds in runs.items():
        duration = _duration(clip)
        for case in PLAN[clip][1:]:
            full = [r for r in rounds if case in r and "decode" in r]
            if not full:
                continue
            wall = statistics.median(r[case]["seconds"] for r in full)
            decode = statistics.median(r["decode"]["seconds"] for r in full)
            sampled = int(statistics.median(r[case]["sampled"] for r in full))
            cost = statistics.median(
                1000 * (r[case]["seconds"] - r["decode"]["seconds"]) / max(1, r[case]["sampled"])
                for r in full
            )
            vs_decode = statistics.median(r["decode"]["seconds"] / r[case]["seconds"] for r in full)
            realtime = duration / wall
            read = ""
            if case == "ocr":
                read = f" ({int(statistics.median(r[case]['read'] for r in full))})"
            mark = "pass" if realtime >= REALTIME_TARGET else "**miss**"
            print(
                f"| {case} | {clip.stem} | {sampled}{read} | {wall:.2f} | {decode:.2f} "
                f"| {cost:.1f} | {vs_decode:.2f} | {realtime:.1f} | {mark} |"
            )
            rows.append(
                {
                    "module": case,
                    "clip": clip.name,
                    "sampled": sampled,
                    "seconds": wall,
                    "decode_seconds": decode,
                    "ms_per_sample": cost,
                    "vs_decode": vs_decode,
                    "realtime": realtime,
                }
            )
    return rows


if __name__ == "__main__":
    main()
