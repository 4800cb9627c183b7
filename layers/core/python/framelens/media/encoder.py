"""H.264 encoding into MP4, fragmented MP4 or MPEG-TS on any writable file object, with PyAV.

Owns: ``VideoEncoder`` (one H.264 stream, optionally one AAC stream, exact ``Fraction``
timestamps in a 1/90000 time base) and the container choices. Does not own what the frames show
(``media.overlay``, ``media.clip``) or audio trimming (``media._audio``). There is no ffmpeg
binary: PyAV's bundled libx264 and AAC encoders run in process.

Containers: ``mp4`` needs a seekable file (the index is written last); ``fmp4`` (fragmented,
``frag_keyframe+empty_moov``) and ``mpegts`` write streamable output to a write-only sink.
"""

from __future__ import annotations

from fractions import Fraction
from typing import IO, TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from types import TracebackType

    import numpy.typing as npt

__all__ = ["ContainerKind", "VideoEncoder"]

ContainerKind = Literal["mp4", "fmp4", "mpegts"]
TIME_BASE = Fraction(1, 90_000)
_FORMATS: dict[str, tuple[str, dict[str, str]]] = {
    "mp4": ("mp4", {}),
    "fmp4": ("mp4", {"movflags": "frag_keyframe+empty_moov+default_base_moof"}),
    "mpegts": ("mpegts", {}),
}


class VideoEncoder:
    """Encode frames to H.264 (and optionally AAC) in ``fp``.

    Args:
        fp: where the container goes: a seekable binary file for ``mp4``, anything with
            ``write`` for ``fmp4`` and ``mpegts``.
        width: frame width; odd sizes are padded to even (yuv420p needs even dimensions).
        height: frame height.
        fps: nominal frame rate (rate control uses it; timestamps come from ``write_*``).
        container: ``mp4``, ``fmp4`` or ``mpegts``.
        crf: x264 quality (lower = better, bigger; seed 002's clips use the default 23).
        preset: x264 speed preset.
        audio: ``(sample rate, channels)`` to add an AAC stream, or ``None``.

    Examples:
        >>> with VideoEncoder(buf, width=640, height=360, fps=Fraction(25)) as enc:
        ...     enc.write_image(image, Fraction(0))  # doctest: +SKIP
    """

    def __init__(
        self,
        fp: IO[bytes] | Any,
        *,
        width: int,
        height: int,
        fps: Fraction,
        container: ContainerKind = "mp4",
        crf: int = 23,
        preset: str = "veryfast",
        audio: tuple[int, int] | None = None,
    ) -> None:
        import av

        self.width, self.height = width + width % 2, height + height % 2
        fmt, options = _FORMATS[container]
        self._container = av.open(fp, mode="w", format=fmt, options=options)
        rate = fps.limit_denominator(1001) if fps > 0 else Fraction(25)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = TIME_BASE
        self._stream.codec_context.time_base = TIME_BASE
        self._stream.options = {"preset": preset, "crf": str(crf)}
        self.audio_stream: Any = None
        if audio is not None:
            sample_rate, channels = audio
            self.audio_stream = self._container.add_stream("aac", rate=sample_rate)
            self.audio_stream.layout = "stereo" if channels >= 2 else "mono"
        self._last_pts: int | None = None
        self._closed = False
        self.frames = 0

    def _ticks(self, pts: Fraction) -> int:
        ticks = round(pts / TIME_BASE)
        # MP4 needs strictly increasing PTS; duplicates (rounding, repeated frames) move by 1 tick.
        if self._last_pts is not None and ticks <= self._last_pts:
            ticks = self._last_pts + 1
        self._last_pts = ticks
        return ticks

    def write_image(self, image: npt.NDArray[np.uint8], pts: Fraction) -> None:
        """Append one BGR frame (``HxWx3`` uint8) shown at ``pts`` seconds (non-decreasing)."""
        import av

        h, w = image.shape[:2]
        if (w, h) != (self.width, self.height):
            padded = np.zeros((self.height, self.width, 3), dtype=np.uint8)
            padded[: min(h, self.height), : min(w, self.width)] = image[: self.height, : self.width]
            image = padded
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        self.write_frame(frame, pts)

    def write_frame(self, frame: Any, pts: Fraction) -> None:
        """Append a decoded ``av.VideoFrame`` of the encoder's size, shown at ``pts`` seconds."""
        frame.pts, frame.time_base = self._ticks(pts), TIME_BASE
        self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def mux_audio(self, frame: Any) -> None:
        """Encode and mux one audio frame (already in the AAC stream's format and frame size)."""
        self._container.mux(self.audio_stream.encode(frame))

    def close(self, *, flush: bool = True) -> None:
        """Flush the encoders (unless abandoning the output) and finish the container."""
        if self._closed:
            return
        self._closed = True
        try:
            if flush:
                self._container.mux(self._stream.encode())
                if self.audio_stream is not None:
                    self._container.mux(self.audio_stream.encode())
        finally:
            self._container.close()

    def __enter__(self) -> VideoEncoder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(flush=exc_type is None)
