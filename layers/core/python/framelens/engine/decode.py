"""The one decode loop: PyAV frames in display order with exact global index and PTS.

Owns: opening the video stream, threaded decoding, skipping non-reference frames when the run
allows it, seeking for a segment, frame indexes and ``Fraction`` timestamps. Does not own: the
working-size images (``engine.derive``), which analyzer gets which frame (``engine.run``),
decoding the skipped frames again where an analyzer asks (``engine.refine``) or random access to
single frames (``framelens.media.frames``).

Timestamps are relative to the first decoded frame's PTS, so streams whose first PTS is not 0
still start at 0. A frame's index is the number of frames shown before it, counted from the
packets' PTS, never from the frames decoded: the loop demuxes ``_AHEAD`` packets ahead of the
decoder, so when a frame comes out every packet displayed before it has been seen, whether the
decoder skipped it or not (B-frame reordering never spans more; VFR needs no frame rate). When
a segment starts later than 0 the decoder seeks to the keyframe before it and the count starts
from the packets before that keyframe, demuxed from the start (no decoding). AVI stores no
presentation times: there every frame is decoded and counted (``media.frames.is_index_clocked``).

Skipping (``skip_nonref``): H.264 and HEVC mark the frames no other frame predicts from
(``nal_ref_idc`` 0, HEVC's sub-layer non-reference pictures), most B-frames; the decoder can
drop them unparsed (``skip_frame="NONREF"``), which with libx264's defaults halves the frames
decoded and about halves the decode time. Which frames are skipped depends only on the
bitstream, never on where decoding started, so segments see the frames the single pass sees.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.engine.derive import derive
from framelens.errors import UnprocessableMediaError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

__all__ = ["DecodedFrame", "decode_video", "read_image", "skips_nonref"]

# B-frame reordering never spans more packets than this (as in ``media.frames``).
_AHEAD = 32
# Codecs whose decoder skips non-reference frames on request (FFmpeg's AVDISCARD_NONREF).
_SKIPPING_CODECS = frozenset({"h264", "hevc"})


@dataclass(slots=True)
class DecodedFrame:
    """One decoded frame before any analyzer-specific conversion.

    Attributes:
        index: global display-order index.
        pts: exact seconds from the first frame.
        is_keyframe: decoder keyframe flag.
        raw: the ``av.VideoFrame`` (video) or a BGR array (image).
        rotation: clockwise degrees to turn the picture for display (0, 90, 180, 270).
        ticks: the frame's PTS in stream time-base ticks (``None`` for images and frames
            without one); ``engine.refine`` seeks by it.
    """

    index: int
    pts: Fraction
    is_keyframe: bool
    raw: Any
    rotation: int = 0
    ticks: int | None = None
    _cache: dict[tuple[int | None, str], Any] = field(default_factory=dict)

    def image(self, max_side: int | None, colour: str) -> tuple[npt.NDArray[np.uint8], float]:
        """The frame at working size in display orientation, computed once per (size, colour).

        Returns:
            ``(image, scale)``: read-only ``HxW`` grey or ``HxWx3`` BGR uint8; scale = working /
            source size. Callers share the array, so it is marked read-only.
        """
        key = (max_side, colour)
        hit = self._cache.get(key)
        if hit is None:
            hit = derive(self.raw, self.rotation, max_side, colour)
            hit[0].flags.writeable = False
            self._cache[key] = hit
        return hit


def clockwise(frame: Any) -> int:
    """Clockwise display rotation of a decoded ``av.VideoFrame`` (0, 90, 180, 270)."""
    # frame.rotation is counter-clockwise (display matrix); players turn by its negation.
    rotation = getattr(frame, "rotation", 0) or 0
    return int(round(-rotation / 90.0) * 90 % 360)


def skips_nonref(stream: Any) -> bool:
    """Whether the decoder of ``stream`` can skip non-reference frames."""
    return str(stream.codec_context.name) in _SKIPPING_CODECS


class _Counter:
    """Display index of decoded frames from the PTS of every packet demuxed so far.

    ``index_of(pts)`` = ``base`` + the number of demuxed PTS in ``[first, pts)``, where
    ``first`` is the first frame's PTS and ``base`` is ``count_before(first)`` (0 from the start;
    after a seek, the frames before the landing point). Only PTS not yet passed are held.
    """

    def __init__(self, count_before: Callable[[int], int]) -> None:
        self._count_before = count_before
        self._pending: list[int] = []
        self._base: int | None = None
        self._passed = 0

    def saw(self, pts: int) -> None:
        heapq.heappush(self._pending, pts)

    def index_of(self, pts: int) -> int:
        pending = self._pending
        if self._base is None:
            self._base = self._count_before(pts)
            while pending and pending[0] < pts:  # before the first frame: counted in base
                heapq.heappop(pending)
        while pending and pending[0] < pts:
            heapq.heappop(pending)
            self._passed += 1
        return self._base + self._passed


def _decoded(container: Any, stream: Any, counter: _Counter | None) -> Iterator[Any]:
    """Decoded frames; the packets' PTS go to ``counter`` ``_AHEAD`` packets before decoding."""
    ahead: deque[Any] = deque()
    for packet in container.demux(stream):
        if counter is not None and packet.pts is not None and packet.size:
            counter.saw(packet.pts)
        ahead.append(packet)
        if len(ahead) > _AHEAD:
            yield from ahead.popleft().decode()
    while ahead:
        yield from ahead.popleft().decode()


def _index_before(path: Path | str, pts: int, first_pts: int) -> int:
    """Number of frames with ``first_pts <= PTS < pts``: from the container's sample index where
    it is exact (``_indexed_count``: no packet is read, so a segment read over HTTP does not
    fetch the file up to its start), else by demuxing packets (no decoding)."""
    import av

    count = 0
    past = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        indexed = _indexed_count(container, stream, pts)
        if indexed is not None:
            return indexed
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            if first_pts <= packet.pts < pts:
                count += 1
                past = 0
            elif packet.pts >= pts:
                past += 1
                if past > _AHEAD:
                    break
    return count


# Demuxers whose index lists every frame, in decode order, once the header is read.
_FULL_INDEX_FORMATS = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "avi"})


def _indexed_count(container: Any, stream: Any, pts: int) -> int | None:
    """Frames shown before the keyframe shown at ``pts``, counted in the sample index.

    In a closed GOP every frame decoded before a keyframe is shown before it, so the count is
    the keyframe's position in decode order: the last keyframe entry whose timestamp (a DTS,
    never after its PTS) is at or before ``pts``. Used only where the index is complete (one
    entry per frame: MP4/MOV, AVI; not fragmented MP4, whose fragments are indexed as they are
    read) and ``pts`` is a seek's landing frame (a keyframe). ``None``: count by demuxing.
    """
    if not set(container.format.name.split(",")) & _FULL_INDEX_FORMATS:
        return None
    entries = getattr(stream, "index_entries", None)
    if entries is None or not stream.frames or len(entries) != stream.frames:
        return None
    key = None
    for position, entry in enumerate(entries):
        if entry.timestamp > pts:
            break
        if entry.is_keyframe:
            key = position
    return key


def _seek(
    container: Any, stream: Any, path: Path | str, first_pts: int, seek_to: Fraction, by_pts: bool
) -> tuple[Iterator[Any], _Counter | int] | None:
    """Seek to the keyframe at or before ``seek_to``: the frames from there, and their counter
    (``by_pts``) or the index of the first of them (where the index is the clock).

    Returns ``None`` when the seek lands after the target (broken index): decode from 0 instead.
    """
    target = first_pts + int(seek_to / Fraction(stream.time_base))
    container.seek(target, stream=stream, backward=True, any_frame=False)
    counter = _Counter(lambda pts: _index_before(path, pts, first_pts)) if by_pts else None
    frames = _decoded(container, stream, counter)
    for head in frames:
        if head.pts is None or head.pts > target:
            return None

        def chain(first: Any = head) -> Iterator[Any]:
            yield first
            yield from frames

        # Index-clocked (AVI) PTS count packets in decode order; a keyframe is not reordered.
        return chain(), counter or _index_before(path, head.pts, first_pts)
    return None


def decode_video(
    path: Path | str, seek_to: Fraction | None = None, *, skip_nonref: bool = False
) -> Iterator[DecodedFrame]:
    """Decode a video once, in display order, streaming (no frame lists), to its end.

    Args:
        path: the video file.
        seek_to: start decoding at the keyframe at or before this time (``None``/0: from 0).
        skip_nonref: let the decoder skip non-reference frames where the codec marks them
            (``skips_nonref``); indexes stay global, so delivered indexes then have gaps.

    Yields:
        ``DecodedFrame`` with global index and PTS in exact seconds from the first frame.

    Raises:
        UnprocessableMediaError: no video stream, or the decoder failed.
    """
    import av

    from framelens.media.frames import is_index_clocked

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise UnprocessableMediaError("The file has no video stream to analyze.")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if stream.time_base is None:
                raise UnprocessableMediaError(
                    "The video stream has no time base; the file may be corrupt."
                )
            index_clock = is_index_clocked(container)
            if skip_nonref and not index_clock and skips_nonref(stream):
                stream.codec_context.skip_frame = "NONREF"
            counter = None if index_clock else _Counter(lambda _pts: 0)
            frames = _decoded(container, stream, counter)
            first = next(frames, None)
            if first is None:
                return

            def from_start(head: Any = first) -> Iterator[Any]:
                yield head
                yield from frames

            source: Iterator[Any] = from_start()
            first_pts = first.pts if first.pts is not None else 0
            clock: _Counter | int = 0 if counter is None else counter
            if seek_to is not None and seek_to > 0:
                sought = _seek(container, stream, path, first_pts, seek_to, counter is not None)
                if sought is not None:
                    source, clock = sought
            yield from _frames(source, clock, first_pts, stream)
    except av.FFmpegError as exc:
        raise UnprocessableMediaError(
            f"The video could not be decoded ({exc.strerror}); the file may be corrupt."
        ) from exc


def _frames(
    source: Iterator[Any], clock: _Counter | int, first_pts: int, stream: Any
) -> Iterator[DecodedFrame]:
    """Index and time the decoded frames: by PTS (``clock`` a ``_Counter``), or by count from
    index ``clock`` where the index is the clock."""
    tb = Fraction(stream.time_base)
    frame_s = 1 / Fraction(stream.average_rate or stream.guessed_rate or 25)
    counter = clock if isinstance(clock, _Counter) else None
    index = clock - 1 if isinstance(clock, int) else -1
    last_pts = first_pts - 1
    for frame in source:
        if counter is None:
            index += 1
            rel = index * frame_s
        elif frame.pts is None:
            # A frame without PTS takes the next index and tick after the previous one.
            index, last_pts = index + 1, last_pts + 1
            rel = (last_pts - first_pts) * tb
        else:
            index, last_pts = counter.index_of(frame.pts), frame.pts
            rel = (frame.pts - first_pts) * tb
        yield DecodedFrame(index, rel, bool(frame.key_frame), frame, clockwise(frame), frame.pts)


def read_image(path: Path) -> DecodedFrame:
    """An image as a one-frame stream (index 0, pts 0); EXIF orientation applied by OpenCV.

    Raises:
        UnprocessableMediaError: OpenCV cannot decode it.
    """
    import cv2
    import numpy as np

    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise UnprocessableMediaError("The image could not be decoded.")
    return DecodedFrame(0, Fraction(0), True, image)
