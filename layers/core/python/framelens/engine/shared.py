"""Shared per-frame work: computed once per decoded frame for every analyzer that asked.

Owns: combining the ``SharedWork`` declarations of one run by key and caching each work's value
for the frame being delivered. Does not own what a work computes (the analyzers that declare it,
e.g. one detector call per sampled frame for ``objects``, ``tags`` and ``tracking``).

Values are computed lazily, on the first ``Frame.shared(work)`` call for a frame, so an analyzer
that receives every frame but needs detections on some (tracking) costs detections only there.
Only the values of the last few frames are kept (lookback frames are delivered just before the
current one at a segment start): memory does not grow with the video.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from framelens.engine.base import Frame

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from framelens.engine.base import SharedWork
    from framelens.engine.decode import DecodedFrame

__all__ = ["SharedWorks"]

_KEEP_FRAMES = 4


class SharedWorks:
    """The run's shared works, combined by key, with a one-frame cache."""

    def __init__(self, declared: Sequence[SharedWork]) -> None:
        self._works: dict[str, SharedWork] = {}
        for work in declared:
            known = self._works.get(work.key)
            self._works[work.key] = work if known is None else known.combine(work)
        self._values: OrderedDict[int, dict[str, Any]] = OrderedDict()

    @property
    def keys(self) -> frozenset[str]:
        """The keys analyzers declared."""
        return frozenset(self._works)

    def bind(self, frame: DecodedFrame) -> Callable[[str], Any]:
        """The lookup ``Frame.shared`` uses for ``frame``."""
        if frame.index not in self._values:
            self._values[frame.index] = {}
            while len(self._values) > _KEEP_FRAMES:
                self._values.popitem(last=False)
        return lambda key: self._value(frame, key)

    def _value(self, frame: DecodedFrame, key: str) -> Any:
        values = self._values.get(frame.index)
        if values is None:
            raise RuntimeError("shared work asked for a frame that is no longer current")
        if key not in values:
            work = self._works.get(key)
            if work is None:
                raise KeyError(f"no analyzer of this run declared shared work {key!r}")
            image, scale = frame.image(work.max_side, work.colour)
            values[key] = work.compute(
                Frame(frame.index, frame.pts, image, scale, frame.is_keyframe)
            )
        return values[key]
