"""Shots over one analyzer's own sampled frames, and joining them across segments.

Owns: ``ShotFollower`` (which sampled frame starts a shot, whether a segment began inside a shot,
where the last shot ends) and ``join_shots`` (merging per-segment shot lists in time order).
Does not own: the cut test itself (``_shots.ShotWatcher``) or what an analyzer keeps per shot
(``activity``, ``tags``).

Segment edges: an analyzer using the follower asks the engine for ``LOOKBACK`` samples before its
segment. They only feed the cut test, whose history is then the single pass's, so "is the first
sample of this segment a cut?" gets the single-pass answer. If it is not, the segment's first
shot is marked ``continues_previous`` and ``join_shots`` joins it to the previous segment's last
shot (marked ``open_end``). How the two halves' payloads combine is the analyzer's choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from framelens.analyzers._shots import ShotWatcher
from framelens.schemas.results_shots import ShotSpan

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from fractions import Fraction

    from framelens.engine.base import Frame, MediaInfo, RunContext

__all__ = ["LOOKBACK", "ShotFollower", "join_shots"]

# ShotWatcher compares each step with the median of its last 8 steps: 9 samples fill that.
LOOKBACK = 9

S = TypeVar("S", bound=ShotSpan)


class ShotFollower:
    """Tells an analyzer, frame by frame, when a new shot starts.

    Examples:
        >>> follower = ShotFollower()  # doctest: +SKIP
        >>> follower.start(media, ctx)
        >>> follower.update(frame)  # None: lookback; True: a shot starts here; False: same shot
    """

    def __init__(self) -> None:
        self._watcher = ShotWatcher()
        self._segment_start: Fraction | None = None
        self._started = False
        self.first_continues = False
        self.open_end = False
        self.end: Fraction | None = None

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Forget every earlier frame; remember the segment's edges."""
        self._watcher = ShotWatcher()
        self._segment_start = ctx.segment.start
        self._started = False
        self.first_continues = False
        self.open_end = ctx.segment.end is not None
        self.end = ctx.segment.end if ctx.segment.end is not None else media.duration

    def update(self, frame: Frame) -> bool | None:
        """Feed the next sampled frame.

        Returns:
            ``None`` for a lookback frame (it only primes the cut test), ``True`` when the frame
            starts a shot (the segment's first frame always does), ``False`` otherwise.
        """
        cut = self._watcher.update(frame.image)
        if frame.is_lookback:
            return None
        if not self._started:
            self._started = True
            self.first_continues = bool(self._segment_start) and not cut
            return True
        return cut


def join_shots(
    parts: Sequence[Sequence[S]],
    combine: Callable[[S, S], dict[str, Any]],
    settle: Callable[[S], S],
) -> list[S]:
    """Concatenate per-segment shots (time order), joining shots split by a segment edge.

    Args:
        parts: each segment's shots, segments in time order.
        combine: ``(earlier, later) -> field updates`` for the analyzer's own fields of a joined
            shot (span fields are joined here).
        settle: applied to every shot at the end, e.g. to drop merge state from shots that no
            longer touch an open edge (``ShotSpan.has_open_edge``).

    Returns:
        The joined shots; a shot that starts a segment with a cut ends the previous shot.
    """
    out: list[S] = []
    for shots in parts:
        for i, shot in enumerate(shots):
            if i == 0 and out:
                prev = out[-1]
                if shot.continues_previous:
                    update = {
                        "end_seconds": shot.end_seconds,
                        "last_frame": shot.last_frame,
                        "samples": prev.samples + shot.samples,
                        "open_end": shot.open_end,
                        **combine(prev, shot),
                    }
                    out[-1] = prev.model_copy(update=update)
                    continue
                out[-1] = prev.model_copy(
                    update={"end_seconds": shot.start_seconds, "open_end": False}
                )
            out.append(shot)
    return [settle(s) for s in out]
