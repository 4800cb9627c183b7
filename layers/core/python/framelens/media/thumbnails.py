"""Frame thumbnails (seed 002 ``GET .../thumbnail``): frame N or the frame at time T, as JPEG.

Owns: ``Crop`` (the seed's ``x, y, w, h``: all four or none, inside the frame) and
``thumbnail``. Does not own seeking (``media.seek``), the frame index (``media.frame_index``)
or decoding and JPEG encoding (``media.av_images``: FFmpeg alone, no numpy, so the API Lambda
answers thumbnails inline).

Seed 002 answers a frame past the end with an FFmpeg 500; here it is a ``ValidationError`` (400)
naming the frame count, and a crop outside the frame is a ``ValidationError`` naming the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.errors import ValidationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from framelens.media.frame_index import FrameIndex
    from framelens.media.source import MediaSource

__all__ = ["Crop", "thumbnail"]


@dataclass(frozen=True, slots=True)
class Crop:
    """A crop rectangle in display pixels: left ``x``, top ``y``, width ``w``, height ``h``."""

    x: int
    y: int
    w: int
    h: int

    @classmethod
    def from_params(cls, x: int | None, y: int | None, w: int | None, h: int | None) -> Crop | None:
        """The crop the query asks for, ``None`` when all four are absent.

        Raises:
            ValidationError: some but not all of the four are given (the message names the
                missing ones), or a value is negative or a size is zero.

        Examples:
            >>> Crop.from_params(320, 240, 160, 160)
            Crop(x=320, y=240, w=160, h=160)
            >>> Crop.from_params(None, None, None, None) is None
            True
        """
        values = {"x": x, "y": y, "w": w, "h": h}
        missing = [name for name, value in values.items() if value is None]
        if len(missing) == len(values):
            return None
        if missing:
            raise ValidationError(
                f"Crop needs all of x, y, w and h or none of them; missing: {', '.join(missing)}.",
                details={"missing": missing},
            )
        assert x is not None and y is not None and w is not None and h is not None
        if x < 0 or y < 0:
            raise ValidationError(
                f"Crop x and y must be 0 or more; got x={x}, y={y}.", details=values
            )
        if w <= 0 or h <= 0:
            raise ValidationError(
                f"Crop w and h must be at least 1; got w={w}, h={h}.", details=values
            )
        return cls(x, y, w, h)

    def check_inside(self, width: int, height: int) -> None:
        """Raise ``ValidationError`` unless the crop lies inside a ``width`` x ``height`` frame."""
        problems = []
        if self.x + self.w > width:
            problems.append(f"x + w = {self.x + self.w} is past the frame width {width}")
        if self.y + self.h > height:
            problems.append(f"y + h = {self.y + self.h} is past the frame height {height}")
        if problems:
            raise ValidationError(
                f"Crop is not inside the {width}x{height} frame: {'; '.join(problems)}.",
                details={
                    "crop": [self.x, self.y, self.w, self.h],
                    "width": width,
                    "height": height,
                },
            )

    def apply(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """The cropped view of ``image`` (checked to be inside it first)."""
        height, width = image.shape[:2]
        self.check_inside(width, height)
        return image[self.y : self.y + self.h, self.x : self.x + self.w]


def _frame_number(index: FrameIndex, frame: int | None, time: Fraction | float | None) -> int:
    if (frame is None) == (time is None):
        raise ValidationError("Give either a frame number or a time, not both and not neither.")
    if frame is not None:
        index.check(frame)
        return frame
    assert time is not None
    seconds = time if isinstance(time, Fraction) else Fraction(time).limit_denominator(1_000_000)
    return index.index_at_time(seconds)


def thumbnail(
    source: MediaSource,
    index: FrameIndex,
    *,
    frame: int | None = None,
    time: Fraction | float | None = None,
    crop: Crop | None = None,
    quality: int = 90,
) -> bytes:
    """Frame ``frame`` (zero-based, display order) or the frame shown at ``time`` as a JPEG.

    Args:
        source: the video (a path or a seekable binary file).
        index: its ``FrameIndex`` (``media.frame_index.build_frame_index``).
        frame: zero-based frame number; exclusive with ``time``.
        time: seconds from the first frame; the frame on screen at that moment.
        crop: optional rectangle in display pixels, which must lie inside the frame.
        quality: JPEG quality 1..100.

    Returns:
        JPEG bytes.

    Raises:
        ValidationError: neither or both of frame/time, a frame past the end or a time outside
            the video (the message names the frame count or duration), a crop outside the frame.
        UnprocessableMediaError: the frame cannot be decoded.

    Examples:
        >>> jpeg = thumbnail(source, build_frame_index(path), frame=1000)  # doctest: +SKIP
    """
    from framelens.media.av_images import decode_frame, display_size, frame_jpeg

    number = _frame_number(index, frame, time)

    def encode(picture: Any) -> bytes:
        if crop is None:
            return frame_jpeg(picture, quality=quality)
        crop.check_inside(*display_size(picture))
        return frame_jpeg(picture, crop=(crop.x, crop.y, crop.w, crop.h), quality=quality)

    return decode_frame(source, number, index, encode)
