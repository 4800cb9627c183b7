"""Media serving benchmark: thumbnail latency, clip encode speed, overlay render memory.

Usage: ``python benchmarks/media_serving.py [--seconds 60] [--samples 40] [--long-minutes 10]``.

It generates a 720p H.264 + AAC clip with a long GOP (a keyframe every 250 frames, B-frames),
then measures, side by side in one run:

- thumbnail latency (p50/p95 over random frames) of the frame-exact path (frame index, seek to
  the keyframe, decode forward skipping non-reference frames; JPEG through FFmpeg's filter graph
  and MJPEG encoder, as served), the same decode encoded by OpenCV, the decode without the
  skipping, and ``media.frames.extract_frame`` (which demuxes from the start to find the PTS);
- clip encode speed (MPEG-TS, H.264 + AAC, 10 s spans) and span copy speed, × real time;
- peak RSS of an overlay render (boxes on every 5th frame, held) of a 1-minute and a 10-minute
  360p clip, each in its own subprocess so ``ru_maxrss`` is that render's peak.

The 10-minute clip is the 1-minute one's packets remuxed ten times (no re-encode).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

FPS = 25
KEYINT = 250


def generate(path: Path, seconds: int, width: int, height: int) -> None:
    """Moving gradient + a box, H.264 (veryfast, GOP 250, B-frames) and a 440 Hz AAC tone."""
    import av
    import numpy as np

    rate = 48000
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        params = f"keyint={KEYINT}:min-keyint={KEYINT}:scenecut=0"
        video.options = {"preset": "veryfast", "crf": "23", "x264-params": params}
        audio = container.add_stream("aac", rate=rate)
        audio.layout = "mono"
        xs = np.linspace(0, 255, width, dtype=np.float32)[None, :]
        ys = np.linspace(0, 255, height, dtype=np.float32)[:, None]
        per_frame = rate // FPS
        for i in range(seconds * FPS):
            base = ((xs * 0.6 + ys * 0.4 + i * 3) % 256).astype(np.uint8)
            img = np.repeat(base[:, :, None], 3, axis=2)
            x = (i * 7) % (width - width // 6)
            img[height // 3 : height // 2, x : x + width // 6] = (30, 200, 250)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = i
            container.mux(video.encode(frame))
            t = (np.arange(per_frame) + i * per_frame) / rate
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
            sound = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            sound.sample_rate, sound.pts = rate, i * per_frame
            container.mux(audio.encode(sound))
        container.mux(video.encode())
        container.mux(audio.encode())


def repeat(src: Path, dst: Path, times: int) -> None:
    """Remux ``src``'s video ``times`` times back to back (pts shifted), no re-encoding."""
    import av

    with av.open(str(src)) as probe:
        stream = probe.streams.video[0]
        span = int(Fraction(probe.duration, 1_000_000) / stream.time_base)
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


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def thumbnails(path: Path, samples: int) -> list[tuple[str, float, float]]:
    """(case, p50 ms, p95 ms) for the ways to get frame N as a JPEG, same frames, interleaved.

    The served path (``media.thumbnails``) encodes through FFmpeg alone (the API Lambda has no
    numpy); the OpenCV rows show what that costs against the numpy path on the same decode.
    """
    import av

    from framelens.media.frame_index import build_frame_index
    from framelens.media.frames import _to_display_bgr, encode_image, extract_frame
    from framelens.media.seek import decode_from
    from framelens.media.thumbnails import thumbnail

    index = build_frame_index(path)
    frames = random.Random(7).sample(range(index.frames), samples)

    def exact(frame: int, skip: bool) -> bytes:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "SLICE"
            for _, decoded in decode_from(container, stream, index, frame, skip_early=skip):
                return encode_image(_to_display_bgr(decoded), "jpeg", 90)
        raise RuntimeError(frame)

    cases = {
        "frame index + seek + decode forward (skip non-ref), FFmpeg crop/scale + MJPEG (served)": (
            lambda f: thumbnail(path, index, frame=f)
        ),
        "the same decode, numpy + OpenCV JPEG": lambda f: exact(f, True),
        "frame index + seek + decode forward (no skip), OpenCV JPEG": lambda f: exact(f, False),
        "extract_frame (demux from start, seek, decode)": lambda f: extract_frame(path, f),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for frame in frames:
        for name, run in cases.items():
            started = time.perf_counter()
            run(frame)
            times[name].append((time.perf_counter() - started) * 1000)
    return [(n, percentile(t, 0.5), percentile(t, 0.95)) for n, t in times.items()]


def encode_speeds(path: Path) -> list[tuple[str, float, float]]:
    """(case, seconds of video, × real time) for clips and span copies of (up to) 10 s."""
    from framelens.media.clip import encode_clip
    from framelens.media.frame_index import build_frame_index
    from framelens.media.selection import FrameSpan
    from framelens.media.span import copy_span

    index = build_frame_index(path)
    rows = []
    length = min(10 * FPS, index.frames // 3)
    spans = [FrameSpan(s, s + length - 1) for s in (index.frames // 5, index.frames * 3 // 5)]
    cases = {
        "clip: MPEG-TS H.264 + AAC re-encode": lambda s: encode_clip(path, index, s),
        "clip, debug label": lambda s: encode_clip(path, index, s, debug=True),
        "clip, audio off": lambda s: encode_clip(path, index, s, audio=False),
        "span: stream copy to fragmented MP4": lambda s: copy_span(path, index, s),
    }
    for name, make in cases.items():
        seconds = wall = 0.0
        for span in spans:
            started = time.perf_counter()
            size = sum(len(c) for c in make(span))
            wall += time.perf_counter() - started
            seconds += span.frames / FPS
            assert size > 0
        rows.append((name, seconds, seconds / wall))
    return rows


def case_overlay(path: str) -> None:
    """Subprocess: render an overlay video of the whole clip, print JSON with peak RSS."""
    from framelens.media.frame_index import build_frame_index
    from framelens.media.overlay import OverlayBox
    from framelens.media.overlay_video import render_overlay_video

    source = Path(path)
    index = build_frame_index(source)
    boxes = {
        i: [OverlayBox((40 + i % 400, 80, 200 + i % 400, 240), "box", track_id=1 + i // 500)]
        for i in range(0, index.frames, 5)
    }
    started = time.perf_counter()
    size = sum(len(c) for c in render_overlay_video(source, index, boxes, hold=4))
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": index.frames, "wall": wall, "peak_mib": peak, "bytes": size}))


def overlay_memory(short: Path, long: Path) -> list[tuple[str, int, float, float]]:
    """(clip, frames, fps, peak RSS MiB) of an overlay render, each in its own process."""
    rows = []
    for name, path in (("1 min", short), ("10 min", long)):
        out = subprocess.run(
            [sys.executable, __file__, "--case-overlay", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((name, result["frames"], result["frames"] / result["wall"], result["peak_mib"]))
    return rows


def main() -> None:
    """Generate the clips, run every case, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--long-minutes", type=int, default=10)
    parser.add_argument("--case-overlay", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case_overlay:
        case_overlay(args.case_overlay)
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load")
    print(f"average before: {os.getloadavg()[0]:.2f}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="framelens-bench-") as tmp:
        clip = Path(tmp) / "720p.mp4"
        small, long = Path(tmp) / "360p.mp4", Path(tmp) / "360p_long.mp4"
        generate(clip, args.seconds, 1280, 720)
        generate(small, 60, 640, 360)
        repeat(small, long, args.long_minutes)

        print(f"\nThumbnails: {args.samples} random frames of a {args.seconds} s 720p H.264 clip")
        print(f"(GOP {KEYINT}, B-frames), JPEG q90, same frames in every row\n")
        print("| case | p50 ms | p95 ms |\n|---|---|---|")
        for name, p50, p95 in thumbnails(clip, args.samples):
            print(f"| {name} | {p50:.0f} | {p95:.0f} |")

        print("\nClip encode and span copy (two 10 s spans of the 720p clip)\n")
        print("| case | video s | x real time |\n|---|---|---|")
        for name, seconds, speed in encode_speeds(clip):
            print(f"| {name} | {seconds:.0f} | {speed:.1f} |")

        print("\nOverlay render (360p, boxes every 5th frame, fragmented MP4), own process each\n")
        print("| clip | frames | fps | peak RSS MiB |\n|---|---|---|---|")
        rows = overlay_memory(small, long)
        for name, frames, fps, peak in rows:
            print(f"| {name} | {frames} | {fps:.0f} | {peak:.0f} |")
        print(f"\npeak RSS 10 min / 1 min = {rows[1][3] / rows[0][3]:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
