"""Generated 720p H.264 clips for ``benchmarks/engine.py``, with their true scene boundaries.

Each shot pans over its own random texture (detail at several scales, so the encoder has real
work at every bitrate) with a box crossing it; shots last 2.5 to 5 s. Shots are joined by hard
cuts, one fade through black (``FADE`` frames out, ``BLACK`` black, ``FADE`` in) and one dissolve
(``DISSOLVE`` frames of blend). The same frames are encoded once per bitrate with libx264's
default GOP structure (preset ``medium``: B-frames with a B-pyramid, keyframes at scene cuts,
``keyint`` 250), single-pass ABR, so the clips differ only in bitrate.

Truth (display indexes): a cut's frame is the first frame of the new shot; a fade's and a
dissolve's span is the half-open range of the transition (fade-out + black + fade-in, or the
blend).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

    Image = npt.NDArray[np.uint8]

W, H, FPS = 1280, 720, 30
FADE, BLACK, DISSOLVE = 12, 4, 15
BITRATES = {"low": 150_000, "medium": 1_000_000, "typical": 3_500_000}


@dataclass(frozen=True)
class Boundary:
    """One true boundary: ``frame`` for cuts, ``[start, end)`` for gradual transitions."""

    kind: str
    frame: int
    start: int
    end: int


def _texture(rng: np.random.Generator, w: int, h: int) -> Image:
    """A BGR texture: random colour blobs at three scales plus fine grain."""
    import cv2
    import numpy as np

    out = np.zeros((h, w, 3), np.float32)
    for cells, weight in ((6, 0.55), (40, 0.3), (200, 0.15)):
        small = rng.uniform(0, 255, (max(2, cells * h // w), cells, 3)).astype(np.float32)
        out += weight * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    gain = rng.uniform(0.5, 1.1)
    return np.clip(out * gain + rng.uniform(-30, 40), 0, 255).astype(np.uint8)


def _plan(seconds: int, seed: int) -> list[tuple[str | None, int]]:
    """Shots as ``(how it is entered, frames)``: cuts, with a fade and a dissolve in the middle."""
    import numpy as np

    rng = np.random.default_rng(seed)
    total, plan = seconds * FPS, []
    used = 0
    while total - used >= int(7.5 * FPS):
        length = int(rng.integers(int(2.5 * FPS), 5 * FPS))
        plan.append((None if not plan else "cut", length))
        used += length
    plan.append((None if not plan else "cut", total - used))  # 2.5 to 7.5 s
    if len(plan) >= 5:
        plan[len(plan) // 3] = ("fade", plan[len(plan) // 3][1])
        plan[2 * len(plan) // 3] = ("dissolve", plan[2 * len(plan) // 3][1])
    return plan


class _Shot:
    """A shot's frames: a pan over its texture and a box moving across."""

    def __init__(self, seed: int) -> None:
        import numpy as np

        rng = np.random.default_rng(seed)
        self.texture = _texture(rng, W + 400, H + 200)
        self.dx, self.dy = int(rng.integers(1, 4)), int(rng.integers(-1, 2))
        self.colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        self.t = 0

    def next(self) -> Image:
        import numpy as np

        t = self.t
        self.t += 1
        x = (t * self.dx) % 400
        y = 100 + (t * self.dy) % 100 if self.dy else 100
        img = np.array(self.texture[y : y + H, x : x + W])
        bx = (t * 9) % (W - 160)
        img[300:420, bx : bx + 160] = self.colour
        return img


def _frames(seconds: int, seed: int) -> tuple[list[Boundary], Iterator[Image]]:
    """The truth and a generator of BGR frames."""
    import numpy as np

    plan = _plan(seconds, seed)
    truth: list[Boundary] = []
    index = 0
    for kind, length in plan:
        if kind == "cut":
            truth.append(Boundary("cut", index, index, index + 1))
        elif kind == "fade":
            span = 2 * FADE + BLACK
            truth.append(Boundary("fade", index + span // 2, index, index + span))
            index += span
        elif kind == "dissolve":
            truth.append(Boundary("dissolve", index + DISSOLVE // 2, index, index + DISSOLVE))
            index += DISSOLVE
        index += length

    def frames() -> Iterator[Image]:
        prev: _Shot | None = None
        for n, (kind, length) in enumerate(plan):
            shot = _Shot(seed * 1000 + n)
            if kind == "fade" and prev is not None:
                for i in range(FADE):
                    yield (prev.next() * (1 - (i + 1) / FADE)).astype(np.uint8)
                for _ in range(BLACK):
                    yield np.zeros((H, W, 3), np.uint8)
                for i in range(FADE):
                    yield (shot.next() * ((i + 1) / FADE)).astype(np.uint8)
            elif kind == "dissolve" and prev is not None:
                for i in range(DISSOLVE):
                    a = (i + 1) / (DISSOLVE + 1)
                    mix = prev.next() * (1 - a) + shot.next() * a
                    yield mix.astype(np.uint8)
            for _ in range(length):
                yield shot.next()
            prev = shot

    return truth, frames()


def generate(folder: Path, seconds: int, seed: int = 7) -> dict[str, Path]:
    """Encode the clip once per bitrate into ``folder`` (kept: reused when already there).

    Returns:
        ``{bitrate name: path}``; each path has a ``.truth.json`` beside it.
    """
    import av

    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"clip_{name}_{seconds}s.mp4" for name in BITRATES}
    truth_path = folder / f"clip_{seconds}s.truth.json"
    if truth_path.exists() and all(p.exists() for p in paths.values()):
        return paths
    truth, frames = _frames(seconds, seed)
    outs, streams = [], []
    for name, rate in BITRATES.items():
        out = av.open(str(paths[name]), "w")
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.bit_rate = rate
        stream.options = {"preset": "medium"}
        outs.append(out)
        streams.append(stream)
    for i, img in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(img, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        for out, stream in zip(outs, streams, strict=True):
            out.mux(stream.encode(frame))
    for out, stream in zip(outs, streams, strict=True):
        out.mux(stream.encode())
        out.close()
    truth_path.write_text(json.dumps([asdict(b) for b in truth]))
    return paths


def load_truth(folder: Path, seconds: int) -> list[Boundary]:
    """The boundaries ``generate`` wrote for clips of ``seconds``."""
    data = json.loads((folder / f"clip_{seconds}s.truth.json").read_text())
    return [Boundary(**b) for b in data]


def f1(truth: list[Boundary], found: list[int]) -> float:
    """Greedy matching, as the scene tests do: a cut within 2 frames, a gradual transition
    within its span +- 2; F1 of precision and recall."""
    unmatched = list(found)
    tp = 0
    for b in truth:
        lo, hi = (b.frame - 2, b.frame + 2) if b.kind == "cut" else (b.start - 2, b.end + 2)
        hit = next((f for f in unmatched if lo <= f <= hi), None)
        if hit is not None:
            unmatched.remove(hit)
            tp += 1
    if not tp:
        return 0.0
    precision, recall = tp / len(found), tp / len(truth)
    return 2 * precision * recall / (precision + recall)
