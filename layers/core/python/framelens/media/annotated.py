"""Annotated video: draw detections/tracks on frames and encode them as H.264 MP4 with PyAV.

Owns: ``annotate`` (boxes, class labels, track ids via supervision's annotators) and
``AnnotatedVideoWriter`` (frames with exact PTS → a seekable binary file). Does not own: where the
bytes go (the analyzer hands them to ``ctx.artifacts``) or what the boxes mean.

There is no ffmpeg binary: PyAV's bundled libx264 encodes. Frames keep their source PTS in a
1/90000 time base, so variable-frame-rate input stays in sync.
"""

from __future__ import annotations

from fractions import Fraction
from typing import IO, TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from types import TracebackType

    import numpy.typing as npt
    import supervision as sv

__all__ = ["AnnotatedVideoWriter", "annotate"]

_TIME_BASE = Fraction(1, 90_000)
_ANNOTATORS: dict[str, Any] = {}


def _annotators() -> tuple[Any, Any]:
    # Built once per process: the annotators hold only drawing settings.
    if not _ANNOTATORS:
        import supervision as sv

        _ANNOTATORS["box"] = sv.BoxAnnotator(thickness=2, color_lookup=sv.ColorLookup.TRACK)
        _ANNOTATORS["label"] = sv.LabelAnnotator(
            text_scale=0.45, text_padding=3, color_lookup=sv.ColorLookup.TRACK
        )
    return _ANNOTATORS["box"], _ANNOTATORS["label"]


def annotate(image: npt.NDArray[np.uint8], detections: sv.Detections) -> npt.NDArray[np.uint8]:
    """Draw boxes and ``#<track id> <class>`` labels on a copy of ``image``.

    Args:
        image: HxWx3 BGR uint8.
        detections: boxes in ``image`` pixels with ``tracker_id`` and ``data["class_name"]``.

    Returns:
        The annotated copy (``image`` is not modified).
    """
    scene = image.copy()
    if len(detections) == 0:
        return scene
    box, label = _annotators()
    names = detections.data.get("class_name", [""] * len(detections))
    ids = detections.tracker_id if detections.tracker_id is not None else [None] * len(detections)
    labels = [
        f"#{tid} {name}" if tid is not None else str(name)
        for tid, name in zip(ids, names, strict=True)
    ]
    scene = box.annotate(scene, detections)
    return cast("npt.NDArray[np.uint8]", label.annotate(scene, detections, labels=labels))


class AnnotatedVideoWriter:
    """Encode BGR frames to an H.264 MP4 in ``fp`` (a seekable binary file).

    Args:
        fp: where the MP4 goes (a temporary file or ``io.BytesIO``; MP4 needs seeking).
        width: frame width; odd sizes are padded to even (yuv420p needs even dimensions).
        height: frame height.
        fps: nominal frame rate (the encoder's rate control uses it; PTS come from ``write``).
        crf: x264 quality (lower = better, bigger).

    Examples:
        >>> with AnnotatedVideoWriter(buf, width=640, height=360, fps=Fraction(25)) as w:
        ...     w.write(image, Fraction(0))  # doctest: +SKIP
    """

    def __init__(
        self, fp: IO[bytes], *, width: int, height: int, fps: Fraction, crf: int = 26
    ) -> None:
        import av

        self.width, self.height = width + width % 2, height + height % 2
        self._container = av.open(fp, mode="w", format="mp4")
        rate = fps.limit_denominator(1001) if fps > 0 else Fraction(25)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = _TIME_BASE
        self._stream.codec_context.time_base = _TIME_BASE
        # veryfast: the encoder must not dominate a pass whose point is detection.
        self._stream.options = {"preset": "veryfast", "crf": str(crf)}
        self._last_pts: int | None = None
        self.frames = 0

    def write(self, image: npt.NDArray[np.uint8], pts: Fraction) -> None:
        """Append one BGR frame shown at ``pts`` seconds (non-decreasing)."""
        import av

        h, w = image.shape[:2]
        if (w, h) != (self.width, self.height):
            padded = np.zeros((self.height, self.width, 3), dtype=np.uint8)
            padded[: min(h, self.height), : min(w, self.width)] = image[: self.height, : self.width]
            image = padded
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        ticks = round(pts / _TIME_BASE)
        # MP4 needs strictly increasing PTS; duplicates (rounding, repeated frames) move by 1 tick.
        if self._last_pts is not None and ticks <= self._last_pts:
            ticks = self._last_pts + 1
        frame.pts, frame.time_base = ticks, _TIME_BASE
        self._last_pts = ticks
        self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and write the MP4 index."""
        self._container.mux(self._stream.encode())
        self._container.close()

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
