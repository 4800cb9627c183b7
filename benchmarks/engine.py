"""Engine benchmark: decode-only vs the engine vs PySceneDetect, and peak RSS vs clip length.

Usage: ``python benchmarks/engine.py [--clip FILE] [--seconds 60] [--long-minutes 10]``.
Without ``--clip`` it generates a 720p H.264 clip with PyAV (moving shapes, a cut every 5 s);
the long clip is the same packets remuxed N times (no re-encode), so both clips decode alike.
Every case runs in its own subprocess so ``ru_maxrss`` is that case's peak.
PySceneDetect is the peer: ``pip install --no-deps scenedetect==0.7.2 platformdirs``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

W, H, FPS = 1280, 720, 30


def generate(path: Path, seconds: int) -> None:
    """A 720p H.264 clip: a drifting gradient with moving boxes, a new palette every 5 s."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23", "g": "60"}
        xs = np.linspace(0, 255, W, dtype=np.float32)[None, :]
        ys = np.linspace(0, 255, H, dtype=np.float32)[:, None]
        for i in range(seconds * FPS):
            shot = i // (5 * FPS)
            base = (xs * (0.3 + 0.1 * (shot % 5)) + ys * 0.5 + i * 2 + shot * 70) % 256
            img = np.repeat(base.astype(np.uint8)[:, :, None], 3, axis=2)
            img[:, :, shot % 3] //= 2
            x = (i * 8) % (W - 200)
            img[200:400, x : x + 200] = (40 * (shot % 6), 200, 255 - 30 * (shot % 7))
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


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


def case_decode(path: Path) -> int:
    import av

    n = 0
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in c.decode(stream):
            n += 1
    return n


def case_engine(path: Path) -> int:
    from framelens.analyzers.best_frames import BestFramesAnalyzer
    from framelens.analyzers.scenes import ScenesAnalyzer
    from framelens.engine.base import RunContext
    from framelens.engine.run import run_analyzers

    out = run_analyzers(path, [ScenesAnalyzer(), BestFramesAnalyzer()], RunContext())
    return len(out["scenes"].sample_frames)  # type: ignore[attr-defined]


def case_pyscenedetect(path: Path) -> int:
    from scenedetect import ContentDetector, SceneManager, open_video

    video = open_video(str(path))
    manager = SceneManager()
    manager.add_detector(ContentDetector())
    return int(manager.detect_scenes(video))


CASES = {"decode": case_decode, "engine": case_engine, "pyscenedetect": case_pyscenedetect}


def run_case(name: str, path: Path) -> dict[str, float] | None:
    """Run one case in a subprocess; returns fps, frames, seconds and peak RSS (MiB)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--case", name, "--clip", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(f"  {name}: failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _peak_rss_mib() -> float:
    """VmHWM (reset by exec, unlike ru_maxrss, which a forked child inherits); ru_maxrss else."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(name: str, path: Path) -> None:
    # Import outside the timed region: a long-lived worker pays imports once, not per video.
    import av  # noqa: F401
    import cv2  # noqa: F401

    if name == "engine":
        import framelens.analyzers.best_frames
        import framelens.analyzers.scenes
        import framelens.engine.run  # noqa: F401
    if name == "pyscenedetect":
        import scenedetect  # noqa: F401
    t0 = time.perf_counter()
    frames = CASES[name](path)
    secs = time.perf_counter() - t0
    rss = _peak_rss_mib()
    print(json.dumps({"fps": frames / secs, "frames": frames, "seconds": secs, "rss_mib": rss}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--long-minutes", type=int, default=10)
    args = parser.parse_args()
    if args.case:
        _child(args.case, args.clip)
        return
    work = Path(tempfile.mkdtemp(prefix="framelens-bench-"))
    clip = args.clip
    if clip is None:
        clip = work / "clip_720p.mp4"
        print(f"generating {args.seconds} s 720p H.264 clip ...", flush=True)
        generate(clip, args.seconds)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    results = {name: run_case(name, clip) for name in CASES}
    print(
        f"\nthroughput on {clip.name} ({results['decode'] and results['decode']['frames']:.0f}"
        " frames)\n"
    )
    print("| case | fps | peak RSS MiB |\n|---|---|---|")
    for name, r in results.items():
        if r is None:
            hint = " (pip install --no-deps scenedetect==0.7.2 platformdirs)"
            print(f"| {name} | n/a{hint if name == 'pyscenedetect' else ''} | |")
        else:
            print(f"| {name} | {r['fps']:.0f} | {r['rss_mib']:.0f} |")
    dec, eng, psd = results["decode"], results["engine"], results["pyscenedetect"]
    if dec and eng:
        print(f"\nengine / decode-only = {eng['fps'] / dec['fps']:.2f} (target >= 0.8)")
    if psd and eng:
        print(f"engine / PySceneDetect = {eng['fps'] / psd['fps']:.2f} (target >= 1.2)")
    long_clip = work / "clip_long.mp4"
    repeat(clip, long_clip, args.long_minutes * 60 // max(1, args.seconds))
    short_rss = eng["rss_mib"] if eng else float("nan")
    long_r = run_case("engine", long_clip)
    if long_r:
        print(
            f"\npeak RSS, engine: {args.seconds} s clip {short_rss:.0f} MiB, "
            f"{long_r['frames'] / FPS / 60:.0f} min clip {long_r['rss_mib']:.0f} MiB, "
            f"ratio {long_r['rss_mib'] / short_rss:.2f} (target <= 1.2); "
            f"long-clip fps {long_r['fps']:.0f}"
        )


if __name__ == "__main__":
    main()
