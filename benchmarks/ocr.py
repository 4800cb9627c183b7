"""OCR speed: PP-OCRv4 on a 720p image (detection / angle classifier / recognition split) and the
``ocr`` analyzer on the AC3 test card as x real time at its default sampling (1 fps + shot
starts), with and without the change test, side by side in one run.

Usage: ``python benchmarks/ocr.py [--repeat 5]`` (the models ship in rapidocr-onnxruntime).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from framelens.analyzers.ocr import OcrAnalyzer
from framelens.engine.base import RunContext
from framelens.engine.run import run_analyzers
from framelens.media.probe import media_info
from framelens.models.ocr import ocr_engine
from framelens.schemas.results_ocr import OcrResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.media_text import fonts, text_image

CLIP = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "media"
    / "text_overlay_ac3_testcard_640x480.avi"
)
LINES = ["Quarterly results 2024", "Revenue grew 12 percent", "Entrance -> Lobby", "Platform 4"]


def _page_720p() -> np.ndarray:
    """A 1280x720 picture with four lines of text of different sizes over a gradient."""
    page = np.tile(np.linspace(90, 250, 1280, dtype=np.uint8), (720, 1)).astype(np.uint8)
    page = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)
    for i, text in enumerate(LINES):
        band = text_image(text, fonts()[i % 2 + 1], 28 + 10 * i, size=(1280, 180))
        page[180 * i : 180 * (i + 1)] = np.minimum(page[180 * i : 180 * (i + 1)], band)
    return page


def bench_image(repeat: int) -> None:
    engine = ocr_engine()
    page = _page_720p()
    engine.read(page)  # warm-up: first-run graph optimisation
    runs = [engine.read(page) for _ in range(repeat)]
    det = statistics.median(r.det_s for r in runs) * 1000
    cls = statistics.median(r.cls_s for r in runs) * 1000
    rec = statistics.median(r.rec_s for r in runs) * 1000
    print(f"\n720p image, {len(runs[0].lines)} lines, median of {repeat} ({engine.name})")
    print("| stage | ms |\n|---|---|")
    print(f"| detection (DB) | {det:.0f} |\n| angle classifier | {cls:.0f} |")
    print(f"| recognition (CRNN) | {rec:.0f} |\n| total | {det + cls + rec:.0f} |")


def bench_clip(clip: Path) -> None:
    media = media_info(clip)
    duration = float(media.duration or 0)
    rows = []
    for change_test in (True, False):
        start = time.perf_counter()
        result = run_analyzers(clip, [OcrAnalyzer({"change_test": change_test})], RunContext())[
            "ocr"
        ]
        wall = time.perf_counter() - start
        assert isinstance(result, OcrResult)
        rows.append((change_test, wall, result))
    print(f"\n`ocr` on {clip.name} ({duration:.1f} s), 1 fps + shot starts")
    print("| change test | sampled | OCR runs | segments | wall s | x real time |")
    print("|---|---|---|---|---|---|")
    for change_test, wall, result in rows:
        on = "on" if change_test else "off"
        print(
            f"| {on} | {result.frames_sampled} | {result.frames_read} | "
            f"{len(result.segments)} | {wall:.1f} | {duration / wall:.2f} |"
        )
    saved = 1 - rows[0][1] / rows[1][1]
    fewer = rows[1][2].frames_read - rows[0][2].frames_read
    print(f"\nchange test: {fewer} fewer OCR runs, {saved:.0%} less time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clip", type=Path, default=CLIP)
    args = parser.parse_args()
    bench_image(args.repeat)
    bench_clip(args.clip)


if __name__ == "__main__":
    main()
