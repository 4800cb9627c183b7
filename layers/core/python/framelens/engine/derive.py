"""Working-size images derived from a decoded frame: grey from the luma plane, or BGR.

Owns: the size rule (longer side at most ``max_side``), downscaling (decimate, then area-average)
and display rotation. Does not own decoding (``engine.decode``) or caching per frame
(``DecodedFrame.image``).

Downscaling is the engine's largest per-frame cost after decoding, paid on every frame for the
scene measure. A plain area average reads every source pixel; here the picture is first
decimated by the largest power of two that leaves at least two source samples per output pixel
in each direction (a strided copy of the luma plane: 1280x720 -> 96 px reads one pixel in 16),
then area-averaged down in exact halvings (OpenCV's fast path), and the last step, less than a
halving, is bilinear. 1280x720 -> 96x54 costs about 70 us instead of 560 us, -> 480x270 about
0.2 ms instead of 1 ms; what the decimation loses is detail finer than the working size, which
no analyzer at that size can see anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["derive", "shrink", "target_size"]

# Pixel formats whose plane 0 is 8-bit luma: grey comes from it with a numpy view, no swscale.
_LUMA_FORMATS = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)


def target_size(width: int, height: int, max_side: int | None) -> tuple[int, int, float]:
    """``(width, height, scale)`` with the longer side at most ``max_side`` (``None``: as is)."""
    if max_side is None or max(width, height) <= max_side:
        return width, height, 1.0
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale)), scale


def shrink(image: npt.NDArray[np.uint8], tw: int, th: int) -> npt.NDArray[np.uint8]:
    """Downscale to ``(tw, th)``: decimate, area-average in halvings, then one bilinear step.

    Args:
        image: ``HxW`` or ``HxWx3`` uint8, any strides (a view of a plane is fine).
        tw: target width (at most the image's).
        th: target height (at most the image's).
    """
    import cv2
    import numpy as np

    h, w = image.shape[:2]
    step = 1
    while w // (step * 2) >= 2 * tw and h // (step * 2) >= 2 * th:
        step *= 2
    if step > 1:
        image = np.ascontiguousarray(image[::step, ::step])
        h, w = image.shape[:2]
    while w // 2 >= tw and h // 2 >= th:
        w, h = w // 2, h // 2
        image = cast(
            "npt.NDArray[np.uint8]", cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        )
    if (w, h) != (tw, th):
        # Less than a halving is left: bilinear already weighs every source pixel, and OpenCV's
        # area average is about 5x slower at a non-integer ratio (640 -> 480: 0.8 ms a frame).
        image = cast(
            "npt.NDArray[np.uint8]", cv2.resize(image, (tw, th), interpolation=cv2.INTER_LINEAR)
        )
    return image


def _rotate(image: npt.NDArray[np.uint8], clockwise: int) -> npt.NDArray[np.uint8]:
    import numpy as np

    if not clockwise:
        return image
    # np.rot90 turns counter-clockwise for positive k.
    return np.ascontiguousarray(np.rot90(image, k=-(clockwise // 90)))


def derive(
    raw: Any, rotation: int, max_side: int | None, colour: str
) -> tuple[npt.NDArray[np.uint8], float]:
    """The working-size image of one decoded frame.

    Args:
        raw: an ``av.VideoFrame``, or a BGR array in display orientation (an image).
        rotation: clockwise degrees to turn a video frame for display.
        max_side: longer side of the result at most this (``None``: full size).
        colour: ``"gray"`` or ``"bgr"``.

    Returns:
        ``(image, scale)``: ``HxW`` grey or ``HxWx3`` BGR uint8, scale = working / source size.
    """
    import cv2
    import numpy as np

    if isinstance(raw, np.ndarray):  # an image: already BGR in display orientation
        h, w = raw.shape[:2]
        tw, th, scale = target_size(w, h, max_side)
        img = cast(
            "npt.NDArray[np.uint8]",
            raw if colour == "bgr" else cv2.cvtColor(raw, cv2.COLOR_BGR2GRAY),
        )
        if scale != 1.0:
            img = shrink(img, tw, th)
        return np.ascontiguousarray(img), scale
    w, h = raw.width, raw.height
    tw, th, scale = target_size(w, h, max_side)
    if colour == "gray" and raw.format.name in _LUMA_FORMATS:
        plane = raw.planes[0]
        # A view of the luma plane honouring its line-size padding: no copy, no swscale.
        y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        img = shrink(y, tw, th) if scale != 1.0 else y.copy()
    elif colour == "gray":
        img = raw.reformat(width=tw, height=th, format="gray", interpolation="AREA").to_ndarray()
    else:
        # swscale scales and converts in one go; cheaper at working size than convert-then-resize.
        img = raw.reformat(width=tw, height=th, format="bgr24", interpolation="AREA").to_ndarray()
    return _rotate(img, rotation), scale
