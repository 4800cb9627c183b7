"""Annotated video: frames with boxes drawn, encoded as H.264 — the one writer of such videos.

Owns: ``AnnotatedVideo``, which draws ``OverlayBox``es on each frame it is given
(``media.overlay``) and encodes every frame, drawn or not, with exact timestamps
(``media.encoder``). Tracking feeds it the engine's frames; ``media.overlay_video`` feeds it
frames decoded from a stored file. Does not own what the boxes mean or where the bytes go.

Without a target file it writes a temporary MP4 and ``finish`` returns its bytes (tracking hands
them to ``ctx.artifacts``); with a write-only sink and ``container="fmp4"`` it streams.
"""

from __future__ import annotations

import tempfile
from typing import IO, TYPE_CHECKING, Any

from framelens.media.encoder import ContainerKind, VideoEncoder
from framelens.media.overlay import draw_boxes

if TYPE_CHECKING:
    from collections.abc import Sequence
    from fractions import Fraction
    from types import TracebackType

    import numpy as np
    import numpy.typing as npt

    from framelens.media.overlay import OverlayBox

__all__ = ["AnnotatedVideo"]


class AnnotatedVideo:
    """Draw boxes on frames and encode every frame as H.264.

    Args:
        fps: nominal frame rate (timestamps come from ``add``).
        fp: where the video goes; ``None`` = a temporary file whose bytes ``finish`` returns.
        container: ``mp4`` (needs a seekable ``fp``), ``fmp4`` or ``mpegts``.
        highlight: track id drawn highlighted, all other boxes dimmed (``media.overlay``).
        crf: x264 quality.

    Examples:
        >>> video = AnnotatedVideo(fps=Fraction(25))
        >>> video.add(image, Fraction(0), [OverlayBox((10, 10, 50, 40), "person", track_id=1)])
        ...  # doctest: +SKIP
        >>> mp4 = video.finish()  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        fps: Fraction,
        fp: IO[bytes] | Any | None = None,
        container: ContainerKind = "mp4",
        highlight: int | None = None,
        crf: int = 26,
    ) -> None:
        self._own = fp is None
        self._fp: Any = tempfile.TemporaryFile() if fp is None else fp  # noqa: SIM115 - finish
        self._fps = fps
        self._container: ContainerKind = container
        self._highlight = highlight
        self._crf = crf
        self._encoder: VideoEncoder | None = None

    @property
    def frames(self) -> int:
        """Frames written so far."""
        return self._encoder.frames if self._encoder is not None else 0

    def add(
        self,
        image: npt.NDArray[np.uint8],
        pts: Fraction,
        boxes: Sequence[OverlayBox] = (),
        *,
        scale: float = 1.0,
    ) -> None:
        """Draw ``boxes`` (source pixels × ``scale``) on ``image`` and append it at ``pts`` s."""
        if self._encoder is None:
            height, width = image.shape[:2]
            self._encoder = VideoEncoder(
                self._fp,
                width=width,
                height=height,
                fps=self._fps,
                container=self._container,
                crf=self._crf,
            )
        if boxes:
            image = draw_boxes(image, boxes, scale=scale, highlight=self._highlight)
        self._encoder.write_image(image, pts)

    def close(self, *, flush: bool = True) -> None:
        """Finish the container (``flush=False`` abandons frames still in the encoder)."""
        if self._encoder is not None:
            self._encoder.close(flush=flush)

    def finish(self) -> bytes:
        """Close and return the temporary file's bytes (``b""`` when no frame was added).

        Raises:
            ValueError: the video was written to a caller's ``fp``.
        """
        if not self._own:
            raise ValueError("finish() reads back a temporary file; close() a caller's fp")
        self.close()
        try:
            self._fp.seek(0)
            data: bytes = self._fp.read()
        finally:
            self._fp.close()
        return data

    def __enter__(self) -> AnnotatedVideo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(flush=exc_type is None)
        if self._own:
            self._fp.close()
