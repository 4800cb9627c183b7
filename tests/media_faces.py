"""Photos of real faces for the identity tests, made at test time (never committed).

Ground truth: scikit-image's ``astronaut`` shows one woman; ``coffee`` shows no face; the
violinist clip (``../shared/media``) shows one man in 4 shots (cuts at frames 223, 403, 584),
and its frame 600 (the last shot) shows his face alone; ``pair`` puts the astronaut beside the
violinist, two faces.
"""

from __future__ import annotations

import av
import cv2
import numpy as np

from tests.shared import media

__all__ = [
    "VIOLIN",
    "astronaut",
    "coffee",
    "encode",
    "pair",
    "violin_frame",
]

VIOLIN = media("violinist_faces_cuts_640x360.mp4")


def _skimage(name: str) -> np.ndarray:
    from skimage import data

    rgb = getattr(data, name)()
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)


def astronaut() -> np.ndarray:
    """The astronaut photo, BGR (512x512, one face)."""
    return _skimage("astronaut")


def coffee() -> np.ndarray:
    """A cup of coffee, BGR (no face)."""
    return _skimage("coffee")


def violin_frame(index: int) -> np.ndarray:
    """Frame ``index`` of the violinist clip, BGR."""
    with av.open(str(VIOLIN)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"the violinist clip has no frame {index}")


def pair() -> np.ndarray:
    """The astronaut and the violinist side by side: two faces."""
    right = cv2.resize(violin_frame(100)[:, 80:440], (300, 512))
    return np.hstack([astronaut()[:, 100:400], right])


def encode(image: np.ndarray, suffix: str = ".png") -> bytes:
    """The image as PNG (or JPEG with ``.jpg``) bytes."""
    ok, data = cv2.imencode(suffix, image)
    assert ok, suffix
    return data.tobytes()
