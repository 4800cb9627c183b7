"""Which frames a request means: seed 002's ``start_frame``/``end_frame`` or times, and ``fps``.

Owns: ``FrameSpan`` (inclusive display indices) and ``select_span``, which validates the query
parameters against a ``FrameIndex``. Does not own what is done with the span (``media.span``,
``media.clip``, ``media.overlay_video``).

Rules (seed 002 ``GET .../clip``): frames win when given; ``end_frame`` is inclusive and needs
``start_frame``; times are the fallback and need both ends. With ``fps`` the times convert to
frame numbers by that rate (frame ``i`` starts at ``i / fps``), as the seed's "approximate
(FPS-dependent)" says; without it the real frame times are used, which is exact for VFR. A
time span covers the frames that start in ``[start_time, end_time)``; an end past the video is
clamped to its last frame, a frame number past it is an error naming the frame count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from framelens.errors import ValidationError

if TYPE_CHECKING:
    from framelens.media.frame_index import FrameIndex

__all__ = ["FrameSpan", "select_span"]


@dataclass(frozen=True, slots=True)
class FrameSpan:
    """Display frames ``start..end`` inclusive."""

    start: int
    end: int

    @property
    def frames(self) -> int:
        """Number of frames in the span."""
        return self.end - self.start + 1


def _seconds(name: str, value: float) -> Fraction:
    if not math.isfinite(value) or value < 0:
        raise ValidationError(f"{name} must be a finite number of seconds, 0 or more; got {value}.")
    return Fraction(value).limit_denominator(1_000_000)


def _by_frames(index: FrameIndex, start: int | None, end: int | None) -> FrameSpan:
    if start is None or end is None:
        missing = "start_frame" if start is None else "end_frame"
        raise ValidationError(
            f"Give both start_frame and end_frame (end inclusive); {missing} is missing.",
            details={"missing": missing},
        )
    if end < start:
        raise ValidationError(
            f"end_frame {end} is before start_frame {start}.",
            details={"start_frame": start, "end_frame": end},
        )
    index.check(start)
    index.check(end)
    return FrameSpan(start, end)


def _by_times(
    index: FrameIndex, start_time: float, end_time: float, fps: float | None
) -> FrameSpan:
    start_s, end_s = _seconds("start_time", start_time), _seconds("end_time", end_time)
    if end_s <= start_s:
        raise ValidationError(
            f"end_time {end_time} must be after start_time {start_time}.",
            details={"start_time": start_time, "end_time": end_time},
        )
    if fps is not None:
        if not math.isfinite(fps) or fps <= 0:
            raise ValidationError(f"fps must be a positive number; got {fps}.")
        rate = Fraction(fps).limit_denominator(1_000_000)
        first, after = math.ceil(start_s * rate), math.ceil(end_s * rate)
    else:
        first, after = index.first_at_or_after(start_s), index.first_at_or_after(end_s)
    if first >= index.frames:
        raise ValidationError(
            f"start_time {start_time} s is at or past the end of the video "
            f"({float(index.duration()):.3f} s, {index.frames} frames).",
            details={"start_time": start_time, "frames": index.frames},
        )
    last = min(after, index.frames) - 1
    if last < first:
        raise ValidationError(
            f"No frame starts between {start_time} s and {end_time} s.",
            details={"start_time": start_time, "end_time": end_time},
        )
    return FrameSpan(first, last)


def select_span(
    index: FrameIndex,
    *,
    start_frame: int | None = None,
    end_frame: int | None = None,
    start_time: float | None = None,
    end_time: float | None = None,
    fps: float | None = None,
) -> FrameSpan | None:
    """The span the parameters name, or ``None`` when none is named.

    Args:
        index: the video's frame index.
        start_frame: first frame (zero-based).
        end_frame: last frame, inclusive; needs ``start_frame``.
        start_time: seconds from the first frame (fallback when no frames are given).
        end_time: seconds, exclusive; needs ``start_time``.
        fps: rate to convert times to frame numbers (default: the frames' real times).

    Returns:
        The span, or ``None`` when no frame or time is given (a caller decides whether that is
        the whole video or an error).

    Raises:
        ValidationError: half a pair, a reversed span, a frame past the end (naming the frame
            count), a start time past the end, a non-positive ``fps``.

    Examples:
        >>> select_span(index, start_frame=0, end_frame=47)  # doctest: +SKIP
        FrameSpan(start=0, end=47)
    """
    if start_frame is not None or end_frame is not None:
        return _by_frames(index, start_frame, end_frame)
    if start_time is not None or end_time is not None:
        if start_time is None or end_time is None:
            missing = "start_time" if start_time is None else "end_time"
            raise ValidationError(
                f"Give both start_time and end_time; {missing} is missing.",
                details={"missing": missing},
            )
        return _by_times(index, start_time, end_time, fps)
    return None
