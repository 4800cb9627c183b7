"""Tags per image on this machine's CPUs: the classifier, the detector, the plate detector and
the whole ``tags`` analyzer (file read + both models + tag words), measured interleaved.

Usage: ``FRAMELENS_MODEL_DIR=../shared/models python benchmarks/tags.py [--repeat 10]``.
Uses scikit-image's photos (test extra): coffee, chelsea, astronaut.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
from skimage import data

from framelens.analyzers._classifier import ImageClassifier
from framelens.analyzers.detections import load_detector
from framelens.analyzers.tags import DEFAULT_CLASSIFIER, TagsAnalyzer
from framelens.engine.base import RunContext
from framelens.engine.run import run_analyzers
from framelens.models import ModelRegistry

PHOTOS = ("coffee", "chelsea", "astronaut")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    models = ModelRegistry(
        Path(os.environ.get("FRAMELENS_MODEL_DIR", "../shared/models")),
        Path("/tmp/framelens-bench-cache"),
    )
    classifier = ImageClassifier(
        models.session(DEFAULT_CLASSIFIER),
        models.manifest(DEFAULT_CLASSIFIER),
        models.labels(DEFAULT_CLASSIFIER),
    )
    detector = load_detector(models)
    plates = load_detector(models, "lpd_yunet_2023mar")
    ctx = RunContext(models=models)
    timings: dict[str, list[float]] = {
        "classifier (EfficientNet-Lite0, 224)": [],
        "detector (YOLOX-nano, 416)": [],
        "plate detector (LPD-YuNet, 320x240)": [],
        "tags analyzer, whole image (file in)": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        images, paths = [], []
        for name in PHOTOS:
            image = cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR)
            path = Path(tmp) / f"{name}.jpg"
            cv2.imwrite(str(path), image)
            images.append(image)
            paths.append(path)
        for image, path in zip(images, paths, strict=True):  # warm-up
            classifier.probabilities(image)
            run_analyzers(path, [TagsAnalyzer()], ctx)
        for _ in range(args.repeat):
            for image, path in zip(images, paths, strict=True):
                calls = (
                    lambda image=image: classifier.probabilities(image),
                    lambda image=image: detector.detect(image),
                    lambda image=image: plates.detect(image),
                    lambda path=path: run_analyzers(path, [TagsAnalyzer()], ctx),
                )
                for key, call in zip(timings, calls, strict=True):
                    t0 = time.perf_counter()
                    call()
                    timings[key].append(1000 * (time.perf_counter() - t0))
    print(f"photos: {', '.join(PHOTOS)} x {args.repeat}")
    print(f"{'measure':44} {'median ms':>10} {'p90 ms':>8} {'images/s':>9}")
    for key, values in timings.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{key:44} {median:10.1f} {p90:8.1f} {1000 / median:9.1f}")
    print(f"cpus: {len(os.sched_getaffinity(0))}, load: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
