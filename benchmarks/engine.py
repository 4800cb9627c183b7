"""Engine benchmark: decode-only vs the engine vs PySceneDetect side by side, cut F1, flat memory.

Usage: ``python benchmarks/engine.py [--seconds 60] [--rounds 5] [--long-minutes 10]
[--work .cache/bench] [--json out.json] [--before-src DIR]``. ``--before-src`` runs another
``framelens`` source tree's engine as a fourth case in the same rounds (before/after in one run),
e.g. ``git archive <commit> layers/core/python | tar -x -C /tmp/before`` and
``--before-src /tmp/before/layers/core/python``.

Clips (``engine_clips``): one 720p H.264 clip with known scene boundaries (hard cuts every 2.5-5
s, a fade through black, a dissolve), encoded at ~150 kbps (low), ~1 Mbps (medium) and ~3.5 Mbps
(typical) with libx264's defaults, plus the medium clip re-encoded with a fixed GOP (no scene-cut
keyframes, three B-frames between references), where cuts fall on frames the engine does not
decode at first and must find by re-decoding around them. Generated once into ``--work``.

Cases, each in its own subprocess (imports outside the timed region, ``VmHWM`` its peak RSS):

- ``decode``: PyAV decodes every frame (``thread_type="AUTO"``), nothing else;
- ``engine``: ``run_analyzers`` with ``scenes`` + ``best_frames`` (defaults) — shot boundaries,
  the activity diffs and the best frames in one pass;
- ``pyscenedetect``: PySceneDetect 0.7.2's ``ContentDetector`` on its OpenCV backend (defaults),
  the peer (``pip install --no-deps scenedetect==0.7.2 platformdirs``).

The machine is shared and noisy, so every round runs the three cases on every clip one after
another, each round computes the ratios from its own runs, and the table gives the median ratio
over the rounds (and the median fps). Targets (issue 17): engine >= 0.9x decode-only and >= 2x
PySceneDetect on each clip, cut F1 unchanged. F1 matches as the scene tests do (a cut within 2
frames, a gradual transition within its span +- 2); "exact" counts cuts found on their true frame.
Flat memory: the engine's peak RSS on a 10-minute clip (the medium clip's packets remuxed back to
back, no re-encode) over the 1-minute clip's, target <= 1.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import engine_clips
from child_case import run_child

CASES = ("decode", "engine", "pyscenedetect")
DECODE_TARGET, PEER_TARGET, RSS_TARGET = 0.9, 2.0, 1.1
Run = dict[str, Any]  # one case's result (its JSON line)
Round = dict[str, Run | None]  # the three cases of one round on one clip


def repeat(src: Path, dst: Path, times: int) -> None:
    """Remux ``src`` ``times`` times back to back (pts shifted), no re-encoding."""
    import av

    with av.open(str(src)) as probe:
        s = probe.streams.video[0]
        span = int(Fraction(probe.duration, 1_000_000) / s.time_base)
    with av.open(str(dst), "w") as out:
        with av.open(str(src)) as first:
            ostream = out.add_stream_from_template(first.streams.video[0])
        for k in range(times):
            with av.open(str(src)) as inp:
                for packet in inp.demux(inp.streams.video[0]):
                    if packet.dts is None:
                        continue
                    packet.pts += k * span
                    packet.dts += k * span
                    packet.stream = ostream
                    out.mux(packet)


def fixed_gop(src: Path, dst: Path) -> None:
    """Re-encode ``src`` with a fixed GOP: keyframes every 60 frames, never at cuts, and three
    B-frames between references (only every 4th frame is a reference)."""
    import av
    from av.video.frame import PictureType

    if dst.exists():
        return
    part = dst.with_suffix(".part.mp4")
    with av.open(str(src)) as inp, av.open(str(part), "w") as out:
        istream = inp.streams.video[0]
        stream = out.add_stream("libx264", rate=engine_clips.FPS)
        stream.width, stream.height, stream.pix_fmt = istream.width, istream.height, "yuv420p"
        stream.bit_rate = engine_clips.BITRATES["medium"]
        params = "keyint=60:min-keyint=60:scenecut=0:bframes=3:b-adapt=0:b-pyramid=none"
        stream.options = {"preset": "medium", "x264-params": params}
        for i, frame in enumerate(inp.decode(istream)):
            frame.pts, frame.time_base = i, Fraction(1, engine_clips.FPS)
            frame.pict_type = PictureType.NONE  # no keyframes forced where the source had them
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    part.rename(dst)


# --- cases (run in a child process) ---------------------------------------------------------


def case_decode(path: Path) -> Run:
    import av

    n = 0
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in c.decode(stream):
            n += 1
    return {"frames": n}


def case_engine(path: Path) -> Run:
    from framelens.analyzers.best_frames import BestFramesAnalyzer
    from framelens.analyzers.scenes import ScenesAnalyzer
    from framelens.engine.base import RunContext
    from framelens.engine.run import run_analyzers
    from framelens.media.probe import media_info

    info = media_info(path)
    out = run_analyzers(path, [ScenesAnalyzer(), BestFramesAnalyzer()], RunContext(), info)
    scenes: Any = out["scenes"]
    transitions = [(t.kind, t.frame) for t in scenes.transitions]
    return {"frames": int(scenes.end_frame), "transitions": transitions}


def case_pyscenedetect(path: Path) -> Run:
    from scenedetect import ContentDetector, SceneManager, open_video

    video = open_video(str(path), backend="opencv")
    manager = SceneManager()
    manager.add_detector(ContentDetector())
    frames = manager.detect_scenes(video)
    cuts = [int(start.frame_num) for start, _ in manager.get_scene_list()[1:]]
    return {"frames": int(frames), "transitions": [("cut", c) for c in cuts]}


def _peak_rss_mib() -> float:
    """VmHWM (reset by exec, unlike ru_maxrss, which a forked child inherits)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds() -> float:
    """User + system CPU time of this process, all its threads (FFmpeg's decoders too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(name: str, path: Path) -> None:
    # Imports outside the timed region: a long-lived worker pays them once, not per video.
    import av  # noqa: F401
    import cv2  # noqa: F401

    if name == "engine":
        import framelens.analyzers.best_frames
        import framelens.analyzers.scenes
        import framelens.engine.run
        import framelens.media.probe  # noqa: F401
    if name == "pyscenedetect":
        import scenedetect  # noqa: F401
    case = {"decode": case_decode, "engine": case_engine, "pyscenedetect": case_pyscenedetect}
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    out = case[name](path)
    secs, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    frames = int(str(out["frames"]))
    out.update(seconds=secs, fps=frames / secs, cpu_fps=frames / cpu, rss_mib=_peak_rss_mib())
    print(json.dumps(out))


def run_case(name: str, path: Path, before: Path | None = None) -> Run | None:
    """One case in a subprocess: frames, seconds, fps, peak RSS, transitions (if any).

    ``name`` ``"before"`` is the engine case importing ``framelens`` from ``before`` instead.
    """
    env = dict(os.environ)
    if name == "before" and before is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(before), env.get("PYTHONPATH", "")])
    case = "engine" if name == "before" else name
    return run_child(__file__, case, path, label=name, env=env)


# --- report ---------------------------------------------------------------------------------


def _scores(truth: list[engine_clips.Boundary], transitions: list[list[Any]]) -> dict[str, Any]:
    """Cut F1 (the tests' matching), cuts on their exact frame, gradual kinds reported."""
    found = [int(f) for _, f in transitions]
    cuts = {b.frame for b in truth if b.kind == "cut"}
    return {
        "f1": engine_clips.f1(truth, found),
        "exact": sum(1 for kind, f in transitions if kind == "cut" and int(f) in cuts),
        "cuts": len(cuts),
        "gradual": sorted({str(k) for k, _ in transitions if k != "cut"}),
    }


def _mark(ratio: float, target: float) -> str:
    return f"{ratio:.2f} ({'pass' if ratio >= target else '**miss**'})"


def _ratio(rounds: list[Round], key: str, peer: str, case: str = "engine") -> float:
    """Median over the rounds of case[key] / peer[key] (each round's own runs)."""
    return statistics.median(
        float(r[case][key]) / float(r[peer][key])  # type: ignore[index]
        for r in rounds
    )


def report(runs: dict[str, list[Round]], truth: list[engine_clips.Boundary]) -> dict[str, Any]:
    """Print the table (median fps and median ratios per clip) and return it as data."""
    print(
        "\n| clip | decode fps | engine fps | PySceneDetect fps | engine / decode (>= 0.9) "
        "| engine / PySceneDetect (>= 2) | CPU-time ratios (decode, PySceneDetect) "
        "| engine cut F1 | cuts on the exact frame | gradual reported | PySceneDetect F1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    table: dict[str, Any] = {}
    for clip, rounds in runs.items():
        full = [r for r in rounds if all(r.get(c) for c in CASES)]
        if not full:
            print(f"| {clip} | n/a | | | | | | | | | |")
            continue
        fps = {c: statistics.median(float(r[c]["fps"]) for r in full) for c in CASES}  # type: ignore[index]
        ratios = {
            "decode": _ratio(full, "fps", "decode"),
            "pyscenedetect": _ratio(full, "fps", "pyscenedetect"),
            "cpu_decode": _ratio(full, "cpu_fps", "decode"),
            "cpu_pyscenedetect": _ratio(full, "cpu_fps", "pyscenedetect"),
        }
        engine = full[0]["engine"]
        peer = full[0]["pyscenedetect"]
        assert engine is not None and peer is not None
        eng = _scores(truth, engine["transitions"])
        print(
            f"| {clip} | {fps['decode']:.0f} | {fps['engine']:.0f} | {fps['pyscenedetect']:.0f} "
            f"| {_mark(ratios['decode'], DECODE_TARGET)} "
            f"| {_mark(ratios['pyscenedetect'], PEER_TARGET)} "
            f"| {ratios['cpu_decode']:.2f}, {ratios['cpu_pyscenedetect']:.2f} "
            f"| {eng['f1']:.3f} | {eng['exact']}/{eng['cuts']} "
            f"| {', '.join(eng['gradual']) or 'none'} "
            f"| {_scores(truth, peer['transitions'])['f1']:.3f} |"
        )
        table[clip] = {
            "fps": fps,
            "ratios": ratios,
            "scores": eng,
            "transitions": engine["transitions"],
            "rounds": len(full),
        }
    return table


def _changes(old: list[list[Any]], new: list[list[Any]]) -> str:
    """The boundaries that differ, as ``kind frame -> frame`` (paired in order)."""
    if len(old) != len(new):
        return f"{len(old)} boundaries -> {len(new)}"
    moved = [
        f"{a[0]} {a[1]} -> {'' if a[0] == b[0] else b[0] + ' '}{b[1]}"
        for a, b in zip(old, new, strict=True)
        if a != b
    ]
    return ", ".join(moved)


def report_before(runs: dict[str, list[Round]], truth: list[engine_clips.Boundary]) -> None:
    """The engine before the change (``--before-src``) beside it, from the same rounds."""
    print(
        "\n| clip | engine fps before -> after | after / before | engine / decode before "
        "| engine / PySceneDetect before | cut F1 before | boundaries that moved |"
    )
    print("|---|---|---|---|---|---|---|")
    for clip, rounds in runs.items():
        full = [r for r in rounds if all(r.get(c) for c in (*CASES, "before"))]
        if not full:
            continue
        old, new = full[0]["before"], full[0]["engine"]
        assert old is not None and new is not None
        fps_old = statistics.median(float(r["before"]["fps"]) for r in full)  # type: ignore[index]
        fps_new = statistics.median(float(r["engine"]["fps"]) for r in full)  # type: ignore[index]
        speedup = statistics.median(
            float(r["engine"]["fps"]) / float(r["before"]["fps"])  # type: ignore[index]
            for r in full
        )
        changed = _changes(old["transitions"], new["transitions"])
        print(
            f"| {clip} | {fps_old:.0f} -> {fps_new:.0f} | {speedup:.2f} "
            f"| {_ratio(full, 'fps', 'decode', 'before'):.2f} "
            f"| {_ratio(full, 'fps', 'pyscenedetect', 'before'):.2f} "
            f"| {_scores(truth, old['transitions'])['f1']:.3f} "
            f"| {changed or 'none'} |"
        )


def memory_check(clip: Path, work: Path, minutes: int, seconds: int) -> dict[str, float] | None:
    """Peak RSS of the engine on ``clip`` and on ``minutes`` of it remuxed; prints the ratio."""
    long_clip = work / f"{clip.stem}_x{minutes}min.mp4"
    if not long_clip.exists():
        repeat(clip, long_clip, max(1, minutes * 60 // seconds))
    short, long = run_case("engine", clip), run_case("engine", long_clip)
    if not short or not long:
        return None
    short_mib, long_mib = float(short["rss_mib"]), float(long["rss_mib"])
    ratio = long_mib / short_mib
    print(
        f"\npeak RSS, engine: {seconds} s clip {short_mib:.0f} MiB, {minutes} min clip "
        f"{long_mib:.0f} MiB: ratio {ratio:.2f} (target <= {RSS_TARGET}: "
        f"{'pass' if ratio <= RSS_TARGET else '**miss**'}); {minutes} min clip at "
        f"{float(long['fps']):.0f} fps"
    )
    return {"short_mib": short_mib, "long_mib": long_mib, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=CASES)
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--long-minutes", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path(".cache/bench"))
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--before-src",
        type=Path,
        help="a framelens source tree (the folder holding framelens/) to run as 'before' too",
    )
    args = parser.parse_args()
    if args.case:
        _child(args.case, args.clip)
        return
    print(f"generating / reusing {args.seconds} s 720p clips in {args.work} ...", flush=True)
    clips = engine_clips.generate(args.work, args.seconds)
    fixed = args.work / f"clip_medium_fixedgop_{args.seconds}s.mp4"
    fixed_gop(clips["medium"], fixed)
    clips = {**clips, "medium, fixed GOP": fixed}
    truth = engine_clips.load_truth(args.work, args.seconds)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )
    runs: dict[str, list[Round]] = {c: [] for c in clips}
    for n in range(args.rounds):
        cases = (*CASES, "before") if args.before_src else CASES
        order = cases[n % len(cases) :] + cases[: n % len(cases)]  # who goes first rotates
        for name, path in clips.items():
            runs[name].append({case: run_case(case, path, args.before_src) for case in order})
        print(
            f"round {n + 1}/{args.rounds} done; load average {os.getloadavg()[0]:.1f}", flush=True
        )
    table = report(runs, truth)
    if args.before_src:
        report_before(runs, truth)
    memory = memory_check(clips["medium"], args.work, args.long_minutes, args.seconds)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps({"clips": table, "memory": memory}, indent=1))


if __name__ == "__main__":
    main()
