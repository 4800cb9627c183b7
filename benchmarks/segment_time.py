"""Per-segment analysis time on a generated 720p clip, and the wall time of a 1-hour video in AWS.

Runs what one cloud work item runs: ``engine.run_analyzers`` over one segment of a 720p H.264
clip (``engine_clips``, 3.5 Mbps), once for the CPU item's modules and once for the GPU item's
(``runtime_for("video")``), on this machine's CPU, with the real models
(``FRAMELENS_MODEL_DIR``). ``sections`` is composed at aggregation from scenes, activity and
tags and costs nothing per segment. The estimate then scales the measured seconds per media
second to a 300 s segment and adds the cloud's fixed costs (see ``estimate``).

Usage: ``.venv/bin/python benchmarks/segment_time.py [clip_seconds]`` (default 20).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import engine_clips  # noqa: E402

MODULES = ("scenes", "best_frames", "ocr", "tags", "objects", "tracking", "faces", "activity")
SEGMENT_S = 300  # Settings.segment_seconds
HOUR_S = 3600
# Cloud fixed costs, stated rather than measured (no AWS here):
GPU_COLD_S = 600  # ASG from 0: instance boot, ECS registration, multi-GB image pull
LAMBDA_COLD_S = 10  # inference image cold start (container image Lambda, models baked in)
CONTROL_S = 20  # probe, plan, aggregate, notify, finalize (Lambda + Step Functions transitions)
LAMBDA_VCPU = 1.8  # 3008 MB Lambda ≈ 1.8 vCPU; this benchmark's CPU share is printed below


def run_item(clip: Path, modules: list[str], seconds: int) -> float:
    """Wall seconds of one work item's analysis of ``clip`` (its whole length: one segment)."""
    from framelens.analyzers.registry import analyzer_class
    from framelens.config import Settings
    from framelens.engine.base import RunContext, Segment
    from framelens.engine.run import run_analyzers
    from framelens.media.probe import media_info
    from framelens.runtime import build_services

    with tempfile.TemporaryDirectory() as data:
        services = build_services(Settings(data_dir=Path(data)), start_runner=False)
        analyzers = [analyzer_class(name)({}) for name in modules]
        ctx = RunContext(
            job_id="bench",
            segment=Segment(Fraction(0), Fraction(seconds)),
            models=services.models,
        )
        started = time.perf_counter()
        run_analyzers(clip, analyzers, ctx, media=media_info(clip))
        elapsed = time.perf_counter() - started
        services.close()
    return elapsed


def estimate(cpu_rate: float, gpu_rate: float) -> dict[str, float]:
    """Wall seconds of a 1-hour video with every module, from seconds per media second.

    One wave (Map concurrency 24: 12 segments × a CPU and a GPU item), so the wall time is
    the slowest item plus fixed costs. GPU items are timed here on the CPU (no GPU in this
    machine), an upper bound for a T4; with ``gpu_max_instances`` = 2 they queue in 6 waves.
    """
    cpu_item = cpu_rate * SEGMENT_S
    gpu_item = gpu_rate * SEGMENT_S
    segments = HOUR_S // SEGMENT_S
    return {
        "cpu_item_s": cpu_item,
        "gpu_item_s": gpu_item,
        "one_wave_s": CONTROL_S + max(LAMBDA_COLD_S + cpu_item, GPU_COLD_S + gpu_item),
        "two_gpus_s": CONTROL_S
        + max(LAMBDA_COLD_S + cpu_item, GPU_COLD_S + gpu_item * -(-segments // 2)),
    }


def main(seconds: int = 20) -> None:
    from framelens.analyzers.registry import analyzer_class

    os.environ.setdefault("FRAMELENS_MODEL_DIR", str(ROOT.parent / "shared" / "models"))
    with tempfile.TemporaryDirectory() as tmp:
        clip = engine_clips.generate(Path(tmp), seconds)["typical"]
        groups: dict[str, list[str]] = {}
        for name in MODULES:
            groups.setdefault(analyzer_class(name).runtime_for("video"), []).append(name)
        print(f"720p H.264 3.5 Mbps, {seconds} s segment, {os.cpu_count()} cores (shared)")
        print("| work item | modules | wall (s) | s per media s | 300 s segment (s) |")
        print("|---|---|---|---|---|")
        rates = {}
        for runtime, modules in sorted(groups.items()):
            wall = run_item(clip, modules, seconds)
            rates[runtime] = wall / seconds
            print(
                f"| {runtime} | {', '.join(modules)} | {wall:.1f} | {rates[runtime]:.2f} "
                f"| {rates[runtime] * SEGMENT_S:.0f} |"
            )
        for name in MODULES:
            wall = run_item(clip, [name], seconds)
            print(f"| {name} alone | {name} | {wall:.1f} | {wall / seconds:.2f} | "
                  f"{wall / seconds * SEGMENT_S:.0f} |")  # fmt: skip
    out = estimate(rates.get("cpu", 0.0), rates.get("gpu", 0.0))
    print(
        f"1-hour video, all modules, one wave: {out['one_wave_s'] / 60:.1f} min "
        f"(CPU item {out['cpu_item_s']:.0f} s, GPU item {out['gpu_item_s']:.0f} s on CPU, "
        f"GPU cold start {GPU_COLD_S} s); with 2 GPU instances: {out['two_gpus_s'] / 60:.1f} min"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
