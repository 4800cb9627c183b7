"""Audio for re-encoded spans: decode, cut to ``[start, end)`` by sample, re-encode as AAC.

Owns: ``AudioSection``, fed the source's audio packets in demux order; it resamples to the AAC
encoder's planar float format, drops samples outside the span (so audio starts with the first
video frame), and hands the encoder frames of exactly its frame size with PTS counted in
samples from the span's start. Does not own the video or the container (``media.encoder``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    from framelens.media.encoder import VideoEncoder

__all__ = ["AudioSection"]


class AudioSection:
    """Cut one source audio stream to ``[start_s, end_s)`` (stream seconds) into the encoder.

    Args:
        source: the input audio stream.
        encoder: the output, created with ``audio=(rate, channels)`` of ``layout_of(source)``.
        start_s: absolute stream time of the span's first video frame.
        end_s: absolute stream time where the span's last video frame ends.
    """

    def __init__(self, source: Any, encoder: VideoEncoder, start_s: Fraction, end_s: Fraction):
        import av

        self.source = source
        self.encoder = encoder
        self.rate = int(encoder.audio_stream.rate)
        layout = encoder.audio_stream.layout.name
        self.channels = 2 if layout == "stereo" else 1
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=self.rate)
        self.start_s, self.end_s = start_s, end_s
        self.total = max(0, round((end_s - start_s) * self.rate))
        self.buffer: npt.NDArray[np.float32] = np.zeros((self.channels, 0), np.float32)
        self.emitted = 0  # samples handed to the encoder
        self.received = 0  # samples of the span seen so far (buffered or emitted)

    @staticmethod
    def layout_of(source: Any) -> tuple[int, int]:
        """``(sample rate, channels)`` the AAC output uses for ``source`` (at most stereo)."""
        return int(source.rate or 48000), 2 if source.channels >= 2 else 1

    @property
    def done(self) -> bool:
        """Whether every sample of the span has been received."""
        return self.received >= self.total

    def feed(self, packet: Any) -> None:
        """Decode one source packet and keep the part of it inside the span."""
        if self.done:
            return
        for frame in packet.decode():
            if frame.pts is None:
                continue
            at = frame.pts * Fraction(frame.time_base) - self.start_s
            for resampled in self.resampler.resample(frame):
                self._keep(resampled, at)
                at += Fraction(resampled.samples, self.rate)
        self._emit(final=False)

    def _keep(self, frame: Any, at: Fraction) -> None:
        samples: npt.NDArray[np.float32] = frame.to_ndarray().reshape(self.channels, -1)
        first = round(at * self.rate)  # span sample number of this frame's first sample
        skip = max(0, self.received - first)  # before the span, or already received
        take = min(samples.shape[1], self.total - first) - skip
        if take <= 0:
            return
        if first + skip > self.received:  # a gap in the source: fill it with silence
            gap = np.zeros((self.channels, first + skip - self.received), np.float32)
            self.buffer = np.concatenate([self.buffer, gap], axis=1)
            self.received += gap.shape[1]
        self.buffer = np.concatenate([self.buffer, samples[:, skip : skip + take]], axis=1)
        self.received += take

    def _emit(self, *, final: bool) -> None:
        import av

        size = self.encoder.audio_stream.codec_context.frame_size or 1024
        while self.buffer.shape[1] >= size or (final and self.buffer.shape[1]):
            chunk = np.ascontiguousarray(self.buffer[:, :size])
            self.buffer = self.buffer[:, size:]
            layout = "stereo" if self.channels == 2 else "mono"
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate, frame.pts = self.rate, self.emitted
            frame.time_base = Fraction(1, self.rate)
            self.encoder.mux_audio(frame)
            self.emitted += chunk.shape[1]

    def finish(self) -> None:
        """Pad a short source with silence to the span's length and flush what is buffered."""
        if self.received < self.total:
            gap = np.zeros((self.channels, self.total - self.received), np.float32)
            self.buffer = np.concatenate([self.buffer, gap], axis=1)
            self.received = self.total
        self._emit(final=True)
