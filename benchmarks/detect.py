"""Detection speed: the bare onnxruntime session vs the full detector (letterbox + decode + NMS),
and the ``objects`` analyzer's real-time factor on the walking-people clip at its default sampling.

Usage: ``FRAMELENS_MODEL_DIR=../shared/models python benchmarks/detect.py [--frames 60]``.
Targets (issue 5): analyzer overhead <= 10 % over the bare session; faster than real time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import av

from framelens.analyzers.detections import load_detector
from framelens.analyzers.objects import ObjectsAnalyzer
from framelens.analyzers.yolo_decode import letterbox
from framelens.engine.base import RunContext
from framelens.engine.run import run_analyzers
from framelens.media.probe import media_info
from framelens.models import ModelRegistry

CLIP = Path(__file__).resolve().parents[2] / "shared" / "media" / "walking_people_vtest_480x360.avi"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--clip", type=Path, default=CLIP)
    args = parser.parse_args()
    models = ModelRegistry(
        Path(os.environ.get("FRAMELENS_MODEL_DIR", "../shared/models")),
        Path("/tmp/framelens-bench-cache"),
    )
    detector = load_detector(models)
    frames = []
    with av.open(str(args.clip)) as container:
        for frame in container.decode(video=0):
            # 416 wide: what the engine delivers for ObjectsAnalyzer (max_side = network input).
            frames.append(frame.to_ndarray(format="bgr24", width=416, height=312))
            if len(frames) == args.frames:
                break
    blobs = [letterbox(f, detector.manifest.input)[0] for f in frames]
    for blob in blobs[:5]:  # warm-up
        detector.infer(blob)

    # Interleaved per frame and summarised by the median, so load from other processes on a
    # shared machine hits both measurements alike.
    bare_s, full_s = [], []
    for _ in range(2):
        for frame, blob in zip(frames, blobs, strict=True):
            t0 = time.perf_counter()
            detector.infer(blob)
            t1 = time.perf_counter()
            detector.detect(frame, scale=416 / 480)
            t2 = time.perf_counter()
            bare_s.append(t1 - t0)
            full_s.append(t2 - t1)
    bare = 1 / statistics.median(bare_s)
    full = 1 / statistics.median(full_s)
    info = media_info(args.clip)
    start = time.perf_counter()
    result = run_analyzers(args.clip, [ObjectsAnalyzer()], RunContext(models=models), media=info)
    wall = time.perf_counter() - start
    duration = float(info.duration or 0)
    sampled = len(result["objects"].frames)
    print(f"{'measure':44} {'value':>10}")
    print(f"{'bare session (fps, 416x416)':44} {bare:10.1f}")
    print(f"{'detector: letterbox+session+decode+NMS (fps)':44} {full:10.1f}")
    print(f"{'overhead over bare session (%)':44} {100 * (bare / full - 1):10.1f}")
    print(f"{'walking clip: media seconds':44} {duration:10.1f}")
    print(f"{'walking clip: sampled frames (5 fps)':44} {sampled:10d}")
    print(f"{'walking clip: wall seconds (decode+objects)':44} {wall:10.1f}")
    print(f"{'real-time factor (media s / wall s)':44} {duration / wall:10.2f}")
    print(f"providers: {detector.session.get_providers()}, cpus: {len(os.sched_getaffinity(0))}")


if __name__ == "__main__":
    main()
