"""Per-face measures: sharpness, blur score, quality score, prominence, and face thumbnails.

Owns: how a face's sharpness (for the seed 002 representative face), its seed 002
``quality_score`` and ``blur_score``, its prominence in the frame and its JPEG thumbnail are
computed. Does not own: choosing representatives (``traces``) or storing bytes (``ctx.artifacts``).

``prominence`` (the basis of seed 001 ``relative_prominence``): the face's share of the frame's
area times its centrality, where centrality is 1 at the frame centre falling linearly to 0 at a
corner (distance of the box centre from the frame centre over half the diagonal). A face filling
a tenth of the frame at its centre scores 0.1; the same face at a corner 0. ``relative_prominence``
divides by the most prominent person of the same image or scene, so that person has 1.0.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from framelens.analyzers.faces.attributes import square_crop

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "THUMBNAIL_SIDE",
    "blur_score",
    "face_thumbnail",
    "jpeg_bytes",
    "prominence",
    "quality_score",
    "sharpness",
]

THUMBNAIL_SIDE = 160
_SHARP_SIDE = 64
_THUMB_PADDING = 0.25


def sharpness(image: npt.NDArray[np.uint8], box: tuple[float, float, float, float]) -> float:
    """Variance of the Laplacian of the face resized to 64x64 grey (higher = sharper).

    The fixed size makes faces of different sizes comparable within a trace.
    """
    import cv2

    crop = square_crop(image, box, 0.0, _SHARP_SIDE)
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def blur_score(sharp: float) -> float:
    """Seed 002's ``blur_score`` direction (lower = sharper) from ``sharpness``.

    Not FFmpeg blurdetect's scale: ``100 / (1 + sqrt(sharpness))``, monotone in sharpness.
    """
    return 100.0 / (1.0 + math.sqrt(max(0.0, sharp)))


def quality_score(box: tuple[float, float, float, float], score: float) -> float:
    """Seed 002's pre-selection score: box area (source pixels) x detection confidence."""
    return max(0.0, box[2]) * max(0.0, box[3]) * score


def prominence(box: tuple[float, float, float, float], width: int, height: int) -> float:
    """Area share x centrality of a face box (source pixels) in a ``width x height`` frame."""
    if width <= 0 or height <= 0:
        return 0.0
    x, y, w, h = box
    area = max(0.0, w) * max(0.0, h) / (width * height)
    dx = (x + w / 2.0) - width / 2.0
    dy = (y + h / 2.0) - height / 2.0
    centrality = 1.0 - min(1.0, math.hypot(dx, dy) / (math.hypot(width, height) / 2.0))
    return float(min(1.0, area) * centrality)


def face_thumbnail(
    image: npt.NDArray[np.uint8], box: tuple[float, float, float, float]
) -> npt.NDArray[np.uint8]:
    """A square ``THUMBNAIL_SIDE`` BGR crop of the face with a quarter of its side around it."""
    return square_crop(image, box, _THUMB_PADDING, THUMBNAIL_SIDE)


def jpeg_bytes(image: npt.NDArray[np.uint8], quality: int = 90) -> bytes:
    """``image`` (BGR) encoded as JPEG."""
    import cv2

    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(image), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buf.tobytes())
