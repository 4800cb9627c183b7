"""Generated clips with known scene boundaries: hard cuts, fades through black, dissolves.

Each shot is a distinct random block texture with a small box moving across it (so shots are
not static), encoded with PyAV as H.264 at a small size. ``SceneClip.truth`` lists every boundary:
a hard cut's ``frame`` is the first frame of the new shot; a fade's / dissolve's ``span`` is the
half-open frame range of the transition (fade-out + black + fade-in, or the blend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import av
import cv2
import numpy as np

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Boundary", "SceneClip", "make_scene_clip"]

Kind = Literal["cut", "fade", "dissolve"]


@dataclass(frozen=True)
class Boundary:
    """One true boundary: ``frame`` for cuts, ``span`` ``[a, b)`` for gradual transitions."""

    kind: Kind
    frame: int
    span: tuple[int, int]


@dataclass(frozen=True)
class SceneClip:
    """A generated clip and its ground truth."""

    path: Path
    frames: int
    fps: int
    truth: list[Boundary]


def _shot(seed: int, w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    # Bias each shot's brightness so histograms differ as in real footage.
    small = np.clip(small.astype(int) * rng.uniform(0.4, 1.0) + rng.integers(0, 60), 0, 255)
    return cv2.resize(small.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)


def _with_box(base: np.ndarray, t: int) -> np.ndarray:
    img = base.copy()
    h, w = img.shape[:2]
    x = (t * 2) % (w - 16)
    img[h // 3 : h // 3 + 16, x : x + 16] = (255, 255, 255)
    return img


def make_scene_clip(
    path: Path,
    plan: list[tuple[Kind | None, int]],
    *,
    fps: int = 25,
    size: tuple[int, int] = (160, 96),
    transition_len: int = 10,
    seed: int = 0,
    x264_params: str = "",
) -> SceneClip:
    """Write a clip of shots joined by the given transitions.

    Args:
        path: output ``.mp4``.
        plan: ``[(kind, frames), ...]``: each shot's length and how it is entered (``None`` for
            the first shot). A fade spends ``transition_len`` frames out, 4 black, and
            ``transition_len`` in; a dissolve blends for ``transition_len`` frames.
        fps: constant frame rate.
        size: ``(width, height)``.
        transition_len: frames per fade half / dissolve.
        seed: texture seed.
        x264_params: libx264 parameters (``bframes=3:b-adapt=0:scenecut=0``: cuts land on
            non-reference frames).

    Returns:
        The clip with its truth (frame indexes in display order).
    """
    w, h = size
    frames: list[np.ndarray] = []
    truth: list[Boundary] = []
    t = 0
    prev_shot: np.ndarray | None = None
    for n, (kind, length) in enumerate(plan):
        shot = _shot(seed * 100 + n, w, h)
        if kind == "cut":
            truth.append(Boundary("cut", len(frames), (len(frames), len(frames) + 1)))
        elif kind == "fade" and prev_shot is not None:
            a = len(frames)
            for i in range(transition_len):
                frames.append(
                    (_with_box(prev_shot, t) * (1 - (i + 1) / transition_len)).astype(np.uint8)
                )
                t += 1
            frames.extend(np.zeros((h, w, 3), np.uint8) for _ in range(4))
            for i in range(transition_len):
                frames.append((_with_box(shot, t) * ((i + 1) / transition_len)).astype(np.uint8))
                t += 1
            truth.append(Boundary("fade", (a + len(frames)) // 2, (a, len(frames))))
        elif kind == "dissolve" and prev_shot is not None:
            a = len(frames)
            for i in range(transition_len):
                alpha = (i + 1) / (transition_len + 1)
                mix = cv2.addWeighted(
                    _with_box(prev_shot, t), 1 - alpha, _with_box(shot, t), alpha, 0
                )
                frames.append(mix)
                t += 1
            truth.append(Boundary("dissolve", (a + len(frames)) // 2, (a, len(frames))))
        for _ in range(length):
            frames.append(_with_box(shot, t))
            t += 1
        prev_shot = shot
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "25", "crf": "18"}
        if x264_params:
            stream.options = {**stream.options, "x264-params": x264_params}
        for img in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return SceneClip(path, len(frames), fps, truth)
