"""The re-encode loop shared by clips and overlay videos: decode a span, draw, encode, stream.

Owns: ``transcode``, which seeks to the keyframe at or before the span, decodes forward, hands
every frame of the span (in display order, each exactly once) to an optional ``draw`` hook,
encodes H.264 (plus the span's audio as AAC) and yields the container's bytes as they are
produced. Memory stays flat in the span's length: one decoded frame and the muxer's buffer.
Closing the generator (a client that disconnects) closes the decoder and the encoder at once.
Does not own what is drawn (``media.clip``, ``media.overlay_video``).

Frames without drawing and without rotation go to the encoder as decoded (no BGR round trip).
Output timestamps are the frames' own times from the span's first frame, so VFR stays VFR.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.errors import UnprocessableMediaError
from framelens.media._audio import AudioSection
from framelens.media._sink import ChunkSink
from framelens.media.encoder import ContainerKind, VideoEncoder
from framelens.media.source import open_input

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import numpy as np
    import numpy.typing as npt

    from framelens.media.frame_index import FrameIndex
    from framelens.media.selection import FrameSpan
    from framelens.media.source import MediaSource

__all__ = ["transcode"]


class _Run:
    """State of one transcode: the encoder appears with the first frame (its size is known)."""

    def __init__(
        self,
        src: Any,
        index: FrameIndex,
        span: FrameSpan,
        sink: ChunkSink,
        options: dict[str, Any],
    ) -> None:
        self.src, self.index, self.span, self.sink = src, index, span, sink
        self.options = options
        self.video = src.streams.video[0]
        self.video.thread_type = "AUTO"
        wanted = options["audio"] and src.streams.audio
        self.audio_in = src.streams.audio[0] if wanted else None
        self.encoder: VideoEncoder | None = None
        self.audio: AudioSection | None = None
        tb = Fraction(self.video.time_base)
        self.t0 = index.time_of(span.start)
        frame_s = 1 / (index.fps or Fraction(25))
        self.abs_start = index.pts[0] * tb + self.t0 if not index.index_clocked else self.t0
        self.abs_end = self.abs_start - self.t0 + index.time_of(span.end) + frame_s

    def _open(self, width: int, height: int) -> VideoEncoder:
        layout = AudioSection.layout_of(self.audio_in) if self.audio_in is not None else None
        encoder = VideoEncoder(
            self.sink,
            width=width,
            height=height,
            fps=self.index.fps or Fraction(25),
            container=self.options["container"],
            crf=self.options["crf"],
            audio=layout,
        )
        if self.audio_in is not None:
            self.audio = AudioSection(self.audio_in, encoder, self.abs_start, self.abs_end)
        return encoder

    def on_audio(self, packet: Any) -> None:
        if self.audio is not None:
            self.audio.feed(packet)

    def add(self, position: int, frame: Any) -> None:
        from framelens.media.frames import _to_display_bgr

        draw = self.options["draw"]
        direct = draw is None and not frame.rotation and frame.width % 2 == frame.height % 2 == 0
        image = None if direct else _to_display_bgr(frame)
        if self.encoder is None:
            height, width = (frame.height, frame.width) if image is None else image.shape[:2]
            self.encoder = self._open(width, height)
        pts = self.index.time_of(position) - self.t0
        if image is None:
            self.encoder.write_frame(frame, pts)
            return
        if draw is not None:
            image = draw(position, image)
        self.encoder.write_image(image, pts)

    def finish_audio(self) -> None:
        if self.audio is None or self.audio_in is None:
            return
        if not self.audio.done:
            for packet in self.src.demux(self.audio_in):
                if packet.size:
                    self.audio.feed(packet)
                if self.audio.done:
                    break
        self.audio.finish()


def transcode(
    source: MediaSource,
    index: FrameIndex,
    span: FrameSpan,
    *,
    container: ContainerKind,
    draw: Callable[[int, npt.NDArray[np.uint8]], npt.NDArray[np.uint8]] | None = None,
    audio: bool = True,
    crf: int = 23,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Re-encode frames ``span.start..span.end`` (inclusive) of ``source`` as H.264 (+ AAC).

    Args:
        source: the video (a path or a seekable binary file).
        index: its frame index.
        span: the frames to encode, frame-exact.
        container: ``fmp4`` or ``mpegts`` (streamable; ``mp4`` cannot stream).
        draw: called with each frame's display index and BGR image; returns the image to encode.
        audio: encode the span's audio (if the source has any) as AAC.
        crf: x264 quality.
        progress: called with the number of frames encoded so far, after each frame.

    Yields:
        Container bytes in chunks while encoding; the first chunk comes long before the end.

    Raises:
        ValidationError: the span is outside the video.
        UnprocessableMediaError: the video cannot be decoded or encoded.
    """
    if container == "mp4":
        raise ValueError("transcode streams its output: use 'fmp4' or 'mpegts', not 'mp4'")
    index.check(span.start)
    index.check(span.end)
    options = {"container": container, "draw": draw, "audio": audio, "crf": crf}
    # Checked above, before the first chunk is asked for: errors must precede a response.
    return _encode(source, index, span, options, progress)


def _encode(
    source: MediaSource,
    index: FrameIndex,
    span: FrameSpan,
    options: dict[str, Any],
    progress: Callable[[int], None] | None,
) -> Iterator[bytes]:
    import av

    from framelens.media.seek import decode_from

    sink = ChunkSink()
    run: _Run | None = None
    complete = False
    try:
        with open_input(source) as src:
            run = _Run(src, index, span, sink, options)
            sidecar = (run.audio_in, run.on_audio) if run.audio_in is not None else None
            frames = decode_from(src, run.video, index, span.start, sidecar=sidecar)
            try:
                for position, frame in frames:
                    run.add(position, frame)
                    if progress is not None:
                        progress(position - span.start + 1)
                    chunk = sink.take()
                    if chunk:
                        yield chunk
                    if position >= span.end:
                        break
            finally:
                frames.close()
            run.finish_audio()
            complete = True
    except av.FFmpegError as exc:
        raise UnprocessableMediaError(
            f"The video could not be re-encoded ({exc.strerror}); the file may be corrupt."
        ) from exc
    finally:
        if run is not None and run.encoder is not None:
            run.encoder.close(flush=complete)
    tail = sink.take(force=True)
    if tail:
        yield tail
