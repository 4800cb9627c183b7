"""Spans by stream copy (seed 002 ``GET .../video?start_frame=&end_frame=``, ``audio=off``).

Owns: ``copy_span``, a remux of a frame span (or of the whole file) into fragmented MP4 with no
re-encoding, streamed as byte chunks, and ``span_bounds`` (which frames it really holds). Does
not own re-encoded, frame-accurate clips (``media.clip``).

Seed 002's comparison table: ``/video`` copies (``-c copy``, bit-exact), so it can only start on
a keyframe: the span starts at the keyframe at or before ``start`` and the client sees a few
frames early. At the end every packet up to the last one shown at or before ``end`` is kept in
decode order; with B-frames that includes the reference frames they need, so up to the
stream's reorder depth of frames past ``end`` may follow (usually one). Audio packets are kept
from the keyframe's time to the end frame's end; ``audio=False`` drops the audio streams.

Output is fragmented MP4 (``frag_keyframe+empty_moov``): no index to patch at the end, so bytes
leave as they are produced; browsers play it progressively. Timestamps are shifted so the first
decode time is 0.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.errors import UnprocessableMediaError
from framelens.media._sink import ChunkSink
from framelens.media.selection import FrameSpan
from framelens.media.source import open_input

if TYPE_CHECKING:
    from collections.abc import Iterator

    from framelens.media.frame_index import FrameIndex
    from framelens.media.source import MediaSource

__all__ = ["FRAGMENTED_MP4", "copy_span", "span_bounds"]

FRAGMENTED_MP4 = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
# B-frame reordering never spans more packets than this (as in ``media.frames``).
_REORDER_MARGIN = 32
# Audio packets demuxed before the first video keyframe that are kept for the start (~5 s).
_EARLY_AUDIO = 256


def span_bounds(index: FrameIndex, span: FrameSpan | None) -> FrameSpan:
    """The frames a copy of ``span`` starts and ends with: from the keyframe at or before."""
    if span is None:
        return FrameSpan(0, index.frames - 1)
    return FrameSpan(index.keyframe_at_or_before(span.start), span.end)


class _Copier:
    """Packet selection and timestamp shifting for one remux."""

    def __init__(self, src: Any, out: Any, index: FrameIndex, bounds: FrameSpan, audio: bool):
        self.vin = src.streams.video[0]
        self.vout = out.add_stream_from_template(self.vin)
        self.audio = {
            s.index: out.add_stream_from_template(s) for s in (src.streams.audio if audio else ())
        }
        self.index = index
        self.start_pts = index.pts[bounds.start]
        self.end_pts = index.pts[bounds.end]
        self.whole = bounds.start == 0 and bounds.end == index.frames - 1
        tb = Fraction(self.vin.time_base)
        last = index.time_of(bounds.end) + 1 / (index.fps or Fraction(25))
        self.start_s = self.start_pts * tb
        self.end_s = self.start_s - index.time_of(bounds.start) + last
        self.shift_s: Fraction | None = None
        self.started = False
        self.pending: list[Any] = []
        self.early_audio: list[Any] = []
        self.video_done = False

    def streams(self) -> list[Any]:
        return [self.vin, *(s for s in self.vin.container.streams.audio if s.index in self.audio)]

    def _shifted(self, packet: Any, out: Any) -> Any:
        tb = Fraction(packet.time_base)
        shift = round(self.shift_s / tb) if self.shift_s else 0
        if packet.pts is not None:
            packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        packet.stream = out
        return packet

    def video(self, packet: Any) -> list[Any]:
        """The packets to mux now for one demuxed video packet."""
        if self.video_done or packet.pts is None:
            return []
        if not self.started:
            if not (packet.is_keyframe and packet.pts == self.start_pts):
                return []
            self.started = True
            dts = packet.dts if packet.dts is not None else packet.pts
            self.shift_s = dts * Fraction(packet.time_base)
            early, self.early_audio = self.early_audio, []
            return [p for a in early for p in self.sound(a)] + self.video(packet)
        if packet.pts < self.start_pts:
            return []  # an open GOP's leading frames reference the previous GOP
        if self.whole or packet.pts <= self.end_pts:
            ready = [*self.pending, packet]
            self.pending = []
            return [self._shifted(p, self.vout) for p in ready]
        self.pending.append(packet)
        if len(self.pending) > _REORDER_MARGIN:
            self.video_done = True
        return []

    def sound(self, packet: Any) -> list[Any]:
        """The packets to mux now for one demuxed audio packet."""
        if packet.pts is None:
            return []
        if not self.started or self.shift_s is None:
            # demuxing after the seek may reach audio before the keyframe's packet
            if len(self.early_audio) < _EARLY_AUDIO:
                self.early_audio.append(packet)
            return []
        at = packet.pts * Fraction(packet.time_base)
        if not self.whole and not self.start_s <= at < self.end_s:
            return []
        return [self._shifted(packet, self.audio[packet.stream.index])]

    def finished(self, packet: Any) -> bool:
        """Whether nothing after ``packet`` can be needed."""
        if self.whole or not self.video_done:
            return False
        if not self.audio or packet.pts is None:
            return True
        return bool(packet.pts * Fraction(packet.time_base) >= self.end_s)


def _seek(src: Any, stream: Any, pts: int) -> None:
    src.seek(pts, stream=stream, backward=True, any_frame=False)


def copy_span(
    source: MediaSource, index: FrameIndex, span: FrameSpan | None = None, *, audio: bool = True
) -> Iterator[bytes]:
    """Remux ``span`` (``None``: the whole file) into fragmented MP4, without re-encoding.

    Args:
        source: the video (a path or a seekable binary file).
        index: its frame index.
        span: the frames asked for; the copy starts at the keyframe at or before ``start``.
        audio: keep the audio streams (``False`` drops them, seed 002 ``audio=off``).

    Yields:
        Chunks of the MP4 as they are produced; closing the generator stops the copy.

    Raises:
        ValidationError: the span is outside the video.
        UnprocessableMediaError: the file cannot be demuxed or the keyframe is not found.

    Examples:
        >>> data = b"".join(copy_span(source, index, FrameSpan(100, 150)))  # doctest: +SKIP
    """
    bounds = span_bounds(index, span)
    index.check(bounds.start)
    index.check(bounds.end)
    # Checked above, before the first chunk is asked for: errors must precede a response.
    return _copy(source, index, bounds, audio)


def _copy(
    source: MediaSource, index: FrameIndex, bounds: FrameSpan, audio: bool
) -> Iterator[bytes]:
    import av

    sink = ChunkSink()
    try:
        with open_input(source) as src, av.open(sink, "w", "mp4", FRAGMENTED_MP4) as out:
            copier = _Copier(src, out, index, bounds, audio)
            _seek(src, copier.vin, 0 if bounds.start == 0 else copier.start_pts)
            for packet in src.demux(copier.streams()):
                if packet.size == 0:
                    continue
                kind = packet.stream.type
                ready = copier.video(packet) if kind == "video" else copier.sound(packet)
                for item in ready:
                    out.mux(item)
                if copier.finished(packet):
                    break
                chunk = sink.take()
                if chunk:
                    yield chunk
            if not copier.started:
                raise UnprocessableMediaError(
                    f"The keyframe of frame {bounds.start} was not found; the file may be corrupt."
                )
    except av.FFmpegError as exc:
        raise UnprocessableMediaError(
            f"The video could not be remuxed ({exc.strerror}); the file may be corrupt."
        ) from exc
    tail = sink.take(force=True)
    if tail:
        yield tail
