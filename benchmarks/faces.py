"""Faces speed: detect + align + embed + age/gender per face, and the ``faces`` module on the
violinist clip at its default sampling, each pinned to 1 and to 2 cores.

Usage: ``FRAMELENS_MODEL_DIR=../shared/models python benchmarks/faces.py [--frames 40]``.
Each core count runs in its own process pinned with ``sched_setaffinity`` before any model
loads, so onnxruntime sizes its threads to it (``models.sessions``) and OpenCV gets
``cv2.setNumThreads``; dlib's ResNet (``dlib-bin``, no BLAS) runs on one thread either way.
Target (issue 10): the module faster than real time on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CLIP = Path(__file__).resolve().parents[2] / "shared" / "media" / "violinist_faces_cuts_640x360.mp4"


def _worker(cores: int, frames: int) -> dict[str, float]:
    os.sched_setaffinity(0, set(range(cores)))
    import av
    import cv2

    cv2.setNumThreads(cores)
    from framelens.analyzers.faces import FacesAnalyzer, load_face_models
    from framelens.engine.base import RunContext
    from framelens.engine.run import run_analyzers
    from framelens.models import ModelRegistry

    registry = ModelRegistry(
        Path(os.environ.get("FRAMELENS_MODEL_DIR", "../shared/models")),
        Path("/tmp/framelens-bench-cache"),
    )
    models = load_face_models(registry)
    images = []
    with av.open(str(CLIP)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 15 == 0:
                images.append(frame.to_ndarray(format="bgr24"))
            if len(images) == frames:
                break
    models.embedder.embed(images[0], [f.landmarks for f in models.detector.detect(images[0])])
    stages = {"detect": 0.0, "embed": 0.0, "age_gender": 0.0}
    faces = 0
    for image in images:
        t0 = time.perf_counter()
        found = models.detector.detect(image)
        t1 = time.perf_counter()
        models.embedder.embed(image, [f.landmarks for f in found])
        t2 = time.perf_counter()
        models.attributes.estimate(image, [f.box for f in found])
        t3 = time.perf_counter()
        stages["detect"] += t1 - t0
        stages["embed"] += t2 - t1
        stages["age_gender"] += t3 - t2
        faces += len(found)
    total = sum(stages.values())
    t0 = time.perf_counter()
    run_analyzers(CLIP, [FacesAnalyzer()], RunContext(job_id="bench", models=registry))
    wall = time.perf_counter() - t0
    return {
        "faces": faces,
        "faces_per_s": faces / total,
        "detect_ms": 1000 * stages["detect"] / len(images),
        "embed_ms": 1000 * stages["embed"] / max(1, faces),
        "age_gender_ms": 1000 * stages["age_gender"] / max(1, faces),
        "module_wall_s": wall,
        "realtime_x": 654 / 29.97 / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.frames)))
        return
    rows = {}
    for cores in (1, 2):
        out = subprocess.run(
            [sys.executable, __file__, "--worker", str(cores), "--frames", str(args.frames)],
            check=True,
            capture_output=True,
            text=True,
        )
        rows[cores] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"load average before/after: {os.getloadavg()[0]:.2f}")
    print(
        "| cores | faces/s (detect+align+embed+age/gender) | YuNet ms/frame | embed ms/face "
        "| age/gender ms/face | faces module on the 21.8 s clip | x real time |"
    )
    print("|---|---|---|---|---|---|---|")
    for cores, r in rows.items():
        print(
            f"| {cores} | {r['faces_per_s']:.1f} | {r['detect_ms']:.1f} | {r['embed_ms']:.1f} "
            f"| {r['age_gender_ms']:.1f} | {r['module_wall_s']:.1f} s | {r['realtime_x']:.2f} |"
        )


if __name__ == "__main__":
    main()
