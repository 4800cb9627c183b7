"""The change test: whether a frame may show different text from the last frame OCR read.

Owns: a cheap comparison (a few hundred microseconds) of a frame with the reference frame, so OCR
(hundreds of milliseconds) is skipped on frames whose text cannot have changed. Does not own:
deciding which frames are sampled or what is done with a skipped frame (``analyzers.ocr``).

Method: both frames as grey thumbnails (longer side ``side`` px), their absolute difference
averaged over ``cell`` x ``cell`` blocks; the frame changed when any block's mean difference
exceeds ``threshold`` grey levels. Text strokes are high-contrast, so a caption appearing,
disappearing or changing moves the blocks it covers by tens of levels, while codec noise on a
static picture stays at 1-3. The reference is the last frame that was read, not the previous
sample, so slow drift adds up until it is read again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["ChangeTest"]


class ChangeTest:
    """Compares frames (grey ``HxW`` or BGR ``HxWx3`` uint8) with the last frame read.

    Examples:
        >>> test = ChangeTest()  # doctest: +SKIP
        >>> if test.changed(frame.image): ...  # run OCR, then:
        >>> test.remember(frame.image)
    """

    def __init__(self, side: int = 320, cell: int = 8, threshold: float = 10.0) -> None:
        self.side = side
        self.cell = cell
        self.threshold = threshold
        self._reference: npt.NDArray[np.uint8] | None = None

    def _thumb(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        import cv2
        import numpy as np

        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        h, w = gray.shape[:2]
        scale = min(1.0, self.side / max(h, w))
        size = (max(self.cell, round(w * scale)), max(self.cell, round(h * scale)))
        return np.ascontiguousarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))

    def changed(self, image: npt.NDArray[np.uint8]) -> bool:
        """True when ``image`` may show other text than the reference (always before one)."""
        import cv2

        if self._reference is None:
            return True
        thumb = self._thumb(image)
        if thumb.shape != self._reference.shape:
            return True
        diff = cv2.absdiff(thumb, self._reference)
        h, w = diff.shape[:2]
        blocks = cv2.resize(
            diff, (max(1, w // self.cell), max(1, h // self.cell)), interpolation=cv2.INTER_AREA
        )
        return bool(blocks.max() > self.threshold)

    def remember(self, image: npt.NDArray[np.uint8]) -> None:
        """Make ``image`` (just read by OCR) the reference."""
        self._reference = self._thumb(image)

    def reset(self) -> None:
        """Forget the reference (a new segment or a new shot)."""
        self._reference = None
