"""Frame index: every frame's PTS in display order and where the keyframes are.

Owns: ``FrameIndex`` (built once per file by demuxing packets, no decoding; serialisable so a
caller can keep it next to the file) and the questions random access asks of it: a frame's
time, the frame shown at a time, the keyframe at or before a frame. Does not own decoding
(``media.seek``) or choosing spans from request parameters (``media.selection``).

Why an index: ``index / fps`` lands on the wrong frame for variable frame rate, and with
B-frames packets arrive out of display order. Sorting the packets' PTS gives the display order
exactly; one frame per packet is what every codec we decode produces. AVI stores no PTS (FFmpeg
numbers its packets in decode order), so there the index is the clock: time = index / fps.
Times are exact ``Fraction`` seconds from the first frame, as in ``engine.decode``.
"""

from __future__ import annotations

import bisect
import json
import math
import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.errors import UnprocessableMediaError, ValidationError
from framelens.media.source import open_input

if TYPE_CHECKING:
    from framelens.media.source import MediaSource

__all__ = ["FrameIndex", "build_frame_index"]

_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class FrameIndex:
    """Display-order frame times and keyframes of a video's first video stream.

    Attributes:
        time_base: the stream's time base (seconds per PTS tick).
        pts: every frame's PTS in display order (strictly increasing unless ``index_clocked``).
        keyframes: display indices of keyframes, ascending (always starts with 0).
        fps: nominal frame rate (``None`` when unknown).
        index_clocked: ``True`` when PTS are not presentation times (AVI): times are index/fps.
    """

    time_base: Fraction
    pts: tuple[int, ...]
    keyframes: tuple[int, ...]
    fps: Fraction | None
    index_clocked: bool = False

    @property
    def frames(self) -> int:
        """Number of frames."""
        return len(self.pts)

    def check(self, index: int) -> None:
        """Raise ``ValidationError`` naming the frame count unless ``index`` is a frame."""
        if index < 0:
            raise ValidationError(
                f"Frame numbers start at 0; got {index}.", details={"frame": index}
            )
        if index >= self.frames:
            raise ValidationError(
                f"Frame {index} is past the end: the video has {self.frames} frames "
                f"(valid frame numbers 0..{self.frames - 1}).",
                details={"frame": index, "frames": self.frames},
            )

    def _rate(self) -> Fraction:
        return self.fps if self.fps and self.fps > 0 else Fraction(25)

    def time_of(self, index: int) -> Fraction:
        """Seconds from the first frame at which frame ``index`` is shown."""
        self.check(index)
        if self.index_clocked:
            return index / self._rate()
        return (self.pts[index] - self.pts[0]) * self.time_base

    def duration(self) -> Fraction:
        """Seconds from the first frame to the end of the last (the last lasts one frame)."""
        if not self.pts:
            return Fraction(0)
        if self.index_clocked or len(self.pts) < 2:
            return self.frames / self._rate()
        last = (self.pts[-1] - self.pts[-2]) * self.time_base
        return self.time_of(self.frames - 1) + last

    def index_at_time(self, seconds: Fraction) -> int:
        """The frame shown at ``seconds`` from the first frame.

        Raises:
            ValidationError: ``seconds`` is negative or at/after the end of the video.
        """
        end = self.duration()
        if seconds < 0 or seconds >= end:
            raise ValidationError(
                f"Time {float(seconds):.3f} s is outside the video (0 to {float(end):.3f} s).",
                details={"time": float(seconds), "duration": float(end)},
            )
        if self.index_clocked:
            return min(self.frames - 1, math.floor(seconds * self._rate()))
        tick = self.pts[0] + seconds / self.time_base
        return max(0, bisect.bisect_right(self.pts, tick) - 1)

    def first_at_or_after(self, seconds: Fraction) -> int:
        """The first frame shown at or after ``seconds`` (``frames`` when none is)."""
        if self.index_clocked:
            return min(self.frames, math.ceil(seconds * self._rate()))
        tick = self.pts[0] + seconds / self.time_base
        return bisect.bisect_left(self.pts, math.ceil(tick))

    def keyframe_at_or_before(self, index: int) -> int:
        """Display index of the last keyframe at or before frame ``index``."""
        self.check(index)
        position = bisect.bisect_right(self.keyframes, index) - 1
        return self.keyframes[max(0, position)]

    def index_of_pts(self, pts: int) -> int | None:
        """Display index of the frame with this PTS, or ``None``."""
        position = bisect.bisect_left(self.pts, pts)
        if position < self.frames and self.pts[position] == pts:
            return position
        return None

    def to_bytes(self) -> bytes:
        """Compact serialisation (zlib JSON of PTS deltas), for caching next to the file."""
        deltas = [b - a for a, b in zip(self.pts, self.pts[1:], strict=False)]
        doc = {
            "v": _FORMAT_VERSION,
            "tb": [self.time_base.numerator, self.time_base.denominator],
            "fps": [self.fps.numerator, self.fps.denominator] if self.fps else None,
            "clock": self.index_clocked,
            "first": self.pts[0] if self.pts else None,
            "deltas": deltas,
            "keys": list(self.keyframes),
        }
        return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> FrameIndex:
        """Inverse of ``to_bytes``.

        Raises:
            ValueError: the bytes are not a serialised index of this version.
        """
        try:
            doc: dict[str, Any] = json.loads(zlib.decompress(data))
        except (zlib.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError("not a serialised frame index") from exc
        if doc.get("v") != _FORMAT_VERSION:
            raise ValueError("frame index of another format version")
        pts: list[int] = []
        if doc["first"] is not None:
            pts.append(int(doc["first"]))
            for delta in doc["deltas"]:
                pts.append(pts[-1] + int(delta))
        return cls(
            time_base=Fraction(*doc["tb"]),
            pts=tuple(pts),
            keyframes=tuple(int(k) for k in doc["keys"]),
            fps=Fraction(*doc["fps"]) if doc["fps"] else None,
            index_clocked=bool(doc["clock"]),
        )


def _scan(container: Any, stream: Any) -> tuple[list[int], set[int], bool]:
    pts: list[int] = []
    key_pts: set[int] = set()
    missing = False
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        if packet.pts is None:
            missing = True
            pts.append(len(pts))
        else:
            pts.append(int(packet.pts))
        if packet.is_keyframe:
            key_pts.add(pts[-1])
    return pts, key_pts, missing


def build_frame_index(source: MediaSource) -> FrameIndex:
    """Demux a video's packets (no decoding) into its ``FrameIndex``.

    Args:
        source: the video (a path or a seekable binary file).

    Returns:
        The index of its first video stream.

    Raises:
        UnprocessableMediaError: no video stream, no frames, or the file cannot be demuxed.

    Examples:
        >>> build_frame_index(Path("clip.mp4")).frames  # doctest: +SKIP
        100
    """
    import av

    from framelens.media.frames import is_index_clocked

    try:
        with open_input(source) as container:
            if not container.streams.video:
                raise UnprocessableMediaError("The file has no video stream.")
            stream = container.streams.video[0]
            pts, key_pts, missing = _scan(container, stream)
            clocked = missing or is_index_clocked(container)
            rate = stream.average_rate or stream.guessed_rate
            time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 90_000)
    except av.FFmpegError as exc:
        raise UnprocessableMediaError(
            f"The video could not be read ({exc.strerror}); the file may be corrupt."
        ) from exc
    if not pts:
        raise UnprocessableMediaError("The video stream holds no frames.")
    if clocked:
        ordered = list(range(len(pts)))
        keys = sorted({i for i, p in enumerate(pts) if p in key_pts} | {0})
    else:
        ordered = sorted(pts)
        keys = sorted({bisect.bisect_left(ordered, p) for p in key_pts} | {0})
    return FrameIndex(
        time_base=time_base,
        pts=tuple(ordered),
        keyframes=tuple(keys),
        fps=Fraction(rate) if rate else None,
        index_clocked=clocked,
    )
