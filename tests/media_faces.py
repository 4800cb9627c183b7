"""Real faces for tests, made at test time (never committed): photos and generated clips.

Photos: scikit-image's ``astronaut`` shows one woman; ``coffee`` shows no face; the violinist
clip (``../shared/media``) shows one man in 4 shots (cuts at frames 223, 403, 584), and its frame
600 (the last shot) shows his face alone; ``pair`` puts the astronaut beside the violinist, two
faces.

Clips:
``two_people_clip`` composes, at 640x360 and 10 fps: the astronaut (left) and the violinist
(right) side by side for ``both_seconds``, then the astronaut alone for ``alone_seconds``, then
(when ``third_seconds``) scikit-image's grey camera man alone on the right. Truth: the astronaut
and the violinist are together from frame 0 to ``both_seconds * fps - 1``; the camera man never
appears with anyone. Faces are 300 px squares at fixed places: left ``(10, 30)``, right
``(330, 30)``.

Needs scikit-image (test extra) and the violinist clip of ``../shared/media``; callers skip
without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import av
import cv2
import numpy as np

from tests.media import write_video
from tests.shared import media

if TYPE_CHECKING:
    from pathlib import Path

VIOLIN = media("violinist_faces_cuts_640x360.mp4")
FPS = 10
SIDE = 300
LEFT = (10, 30)
RIGHT = (330, 30)
BACKGROUND = 235


def astronaut() -> np.ndarray:
    """scikit-image's astronaut photo, BGR."""
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def coffee() -> np.ndarray:
    """A cup of coffee, BGR (no face)."""
    from skimage import data

    return cv2.cvtColor(np.ascontiguousarray(data.coffee()), cv2.COLOR_RGB2BGR)


def pair() -> np.ndarray:
    """The astronaut and the violinist side by side: two faces."""
    right = cv2.resize(violin_frame(100)[:, 80:440], (300, 512))
    return np.hstack([astronaut()[:, 100:400], right])


def encode(image: np.ndarray, suffix: str = ".png") -> bytes:
    """The image as PNG (or JPEG with ``.jpg``) bytes."""
    ok, data = cv2.imencode(suffix, image)
    assert ok, suffix
    return bytes(data.tobytes())


def camera_man() -> np.ndarray:
    """scikit-image's grey camera photo (a man with a camera), BGR."""
    from skimage import data

    return cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR)


def violin_frame(index: int) -> np.ndarray:
    """Frame ``index`` of the violinist clip, BGR."""
    with av.open(str(VIOLIN)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"no frame {index}")


def square(image: np.ndarray, cx: int, cy: int, half: int, side: int) -> np.ndarray:
    """The square of ``2 * half`` around ``(cx, cy)``, resized to ``side``."""
    crop = image[max(0, cy - half) : cy + half, max(0, cx - half) : cx + half]
    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)


def _place(canvas: np.ndarray, picture: np.ndarray, at: tuple[int, int]) -> None:
    x, y = at
    canvas[y : y + SIDE, x : x + SIDE] = picture


def two_people_clip(
    path: Path,
    *,
    both_seconds: int = 3,
    alone_seconds: int = 2,
    third_seconds: int = 0,
) -> Path:
    """Write the clip (see the module docstring) to ``path``; returns it."""
    woman = square(astronaut(), 223, 120, 110, SIDE)
    man = square(violin_frame(100), 205, 75, 110, SIDE)
    blank = np.full((360, 640, 3), BACKGROUND, np.uint8)
    both, alone, third = blank.copy(), blank.copy(), blank.copy()
    _place(both, woman, LEFT)
    _place(both, man, RIGHT)
    _place(alone, woman, LEFT)
    _place(third, square(camera_man(), 255, 110, 100, SIDE), RIGHT)
    images = (
        [both] * (both_seconds * FPS)
        + [alone] * (alone_seconds * FPS)
        + [third] * (third_seconds * FPS)
    )
    write_video(path, images, fps=FPS)
    return path
