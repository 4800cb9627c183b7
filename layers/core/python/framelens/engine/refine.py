"""The refinement decode: the frames the main pass skipped between two of its decoded frames.

Owns: ``GapDecoder``, a second demuxer and decoder on the same file that, asked for the gap
between decoded frames ``a`` and ``b``, decodes every frame after ``a`` up to ``b`` and returns
the ones displayed between them. Does not own deciding where to refine (the analyzers answer
``Analyzer.refine``; ``engine.run`` asks them) or the main pass (``engine.decode``).

Why a second decoder: a non-reference frame can only be decoded while the frames it is
predicted from are in the decoder, and by the time the main pass has decoded ``b`` (the frame
that shows a gap may hide a change) its decoder has moved past the skipped frames. The second
decoder starts at the keyframe at or before ``a`` and decodes only reference frames up to ``a``
(non-reference frames there are never needed), then everything. Gaps are asked for in display
order, so it then stays where it is: the next gap is reached by decoding forward (reference
frames only up to the gap) unless the main pass has seen a keyframe in between, from which a
seek is never more work. A burst of gaps (a fade, a dissolve, fast motion) thus costs one seek.
The gap's frames get the indexes between ``a``'s and ``b``'s (they are exactly the frames
displayed between the two) and times from their own PTS.
"""

from __future__ import annotations

import logging
from collections import deque
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.engine.decode import DecodedFrame, clockwise

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["GapDecoder"]

_log = logging.getLogger(__name__)
# Keyframes remembered for the seek-or-decode-on choice (older ones only cost a longer decode).
_KEEP_KEYS = 64


class GapDecoder:
    """Decodes the frames skipped between two decoded frames of a video (see the module doc).

    Opened on the first request and kept open for the run; close it with ``close()``. The last
    gap is cached, so analyzers asking for the same gap share one decode.
    """

    def __init__(self, path: Path | str) -> None:
        self._path = path
        self._container: Any = None
        self._packets: Iterator[Any] | None = None
        self._ready: deque[Any] = deque()  # decoded, not yet looked at, in display order
        self._pos: int | None = None  # PTS of the last frame looked at since the last seek
        self._lo = 0  # packets displayed after this PTS are decoded in full
        self._keys: list[int] = []  # keyframe PTS the main pass saw after ``_pos``
        self._last: tuple[tuple[int, int], list[DecodedFrame]] | None = None

    def keyframe(self, ticks: int | None) -> None:
        """The main pass decoded a keyframe at ``ticks`` (a seek target, may beat decoding on)."""
        if ticks is not None:
            self._keys.append(ticks)
            del self._keys[:-_KEEP_KEYS]

    def between(self, after: DecodedFrame, before: DecodedFrame) -> list[DecodedFrame]:
        """The frames displayed strictly between ``after`` and ``before``, in display order.

        Args:
            after: a decoded video frame (with ``ticks``).
            before: a later decoded video frame (with ``ticks``); gaps come in display order.

        Returns:
            Frames with indexes ``after.index + 1`` to ``before.index - 1``; fewer if the file
            holds fewer decodable frames there (logged).
        """
        key = (after.index, before.index)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        frames: list[DecodedFrame] = []
        if before.index > after.index + 1 and after.ticks is not None and before.ticks is not None:
            frames = self._decode(after, before, after.ticks, before.ticks)
        self._last = (key, frames)
        return frames

    def _decode(
        self, after: DecodedFrame, before: DecodedFrame, lo: int, hi: int
    ) -> list[DecodedFrame]:
        raw = self._gap(lo, hi)
        wanted = before.index - after.index - 1
        if len(raw) != wanted:
            _log.warning(
                "refinement between frames %d and %d decoded %d frames, expected %d",
                after.index,
                before.index,
                len(raw),
                wanted,
            )
        tb = Fraction(after.raw.time_base)
        return [
            DecodedFrame(
                after.index + 1 + k,
                after.pts + (frame.pts - lo) * tb,
                bool(frame.key_frame),
                frame,
                clockwise(frame),
                frame.pts,
            )
            for k, frame in enumerate(raw[:wanted])
        ]

    def _gap(self, lo: int, hi: int) -> list[Any]:
        """Raw frames with ``lo < PTS < hi``: decoding on from where it is, or after a seek."""
        pos = self._pos
        self._keys = [k for k in self._keys if pos is None or k > pos]
        if pos is None or pos > lo or any(k <= lo for k in self._keys):
            found = self._after_seek(lo, hi, lo)
            if found is not None:
                return found
            return self._after_seek(lo, hi, None) or []  # landed after the gap: from the start
        self._lo = lo
        return self._collect(lo, hi)

    def _after_seek(self, lo: int, hi: int, seek_to: int | None) -> list[Any] | None:
        """Seek to the keyframe at or before ``seek_to`` (``None``: the start), then collect;
        ``None`` when the first frame decoded there is already past ``lo``."""
        import av

        if self._container is None:
            self._container = av.open(str(self._path))
            self._container.streams.video[0].thread_type = "SLICE"
        stream = self._container.streams.video[0]
        self._container.seek(seek_to or 0, stream=stream, backward=True, any_frame=False)
        self._packets = iter(self._container.demux(stream))
        self._ready.clear()
        self._pos, self._lo = None, lo
        head = self._next()
        if head is None or (seek_to is not None and head.pts > lo):
            return None
        self._ready.appendleft(head)
        return self._collect(lo, hi)

    def _collect(self, lo: int, hi: int) -> list[Any]:
        out: list[Any] = []
        while (frame := self._next()) is not None:
            self._pos = frame.pts
            if frame.pts >= hi:
                break
            if frame.pts > lo:
                out.append(frame)
        return out

    def _next(self) -> Any:
        """The next decoded frame in display order (``None`` at the end of the file)."""
        assert self._packets is not None
        stream = self._container.streams.video[0]
        while not self._ready:
            packet = next(self._packets, None)
            if packet is None:
                return None
            # Before the gap only reference frames are needed (the gap's are predicted from
            # them); from the gap on, everything, as the next gap may follow at once.
            inside = packet.pts is not None and packet.pts > self._lo
            stream.codec_context.skip_frame = "DEFAULT" if inside else "NONREF"
            self._ready.extend(f for f in packet.decode() if f.pts is not None)
        return self._ready.popleft()

    def close(self) -> None:
        """Close the second demuxer (if it was opened)."""
        if self._container is not None:
            self._container.close()
            self._container = None
        self._packets, self._pos, self._last = None, None, None
        self._ready.clear()
