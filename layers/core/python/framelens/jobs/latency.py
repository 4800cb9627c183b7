"""Observed processing latency per media unit, for ``GET /v1/latency`` (seed 001).

Owns: the latency counters (``latency#<type>#ms`` and ``latency#<type>#units``, running sums
in the ``CounterStore``) and the seed-shaped answer. A unit is a second of video time, or one
image. Does not own: measuring a job (``jobs.service`` records finished jobs here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from framelens.errors import ValidationError

if TYPE_CHECKING:
    from framelens.stores.ports import CounterStore

__all__ = ["MEDIA_UNITS", "LatencyStats"]

MediaType = Literal["video", "image"]
# seed 001: "video: latency per second of video time. image: latency per individual image"
MEDIA_UNITS: dict[str, str] = {"video": "second", "image": "image"}


class LatencyStats:
    """Running latency averages per media type.

    Examples:
        >>> stats = LatencyStats(stores.counters)  # doctest: +SKIP
        >>> stats.record("image", units=2, elapsed_ms=240)  # doctest: +SKIP
        >>> stats.get("image")  # doctest: +SKIP
        {'media_type': 'image', 'unit': 'image', 'latency_ms_per_unit': 120.0}
    """

    def __init__(self, counters: CounterStore) -> None:
        """Args:
        counters: The atomic counter store.
        """
        self._counters = counters

    def record(self, media_type: MediaType, units: float, elapsed_ms: float) -> None:
        """Add one finished job: ``units`` seconds of video (or images) took ``elapsed_ms``.

        Jobs with no units or a negative time teach nothing and are ignored.

        Raises:
            ValidationError: ``media_type`` is not ``"video"`` or ``"image"``.
        """
        _check(media_type)
        if units <= 0 or elapsed_ms < 0:
            return
        # Two increments, not one transaction: a reader between them sees an average that is
        # off by one job, which is fine for a statistic.
        self._counters.incr(f"latency#{media_type}#ms", elapsed_ms)
        self._counters.incr(f"latency#{media_type}#units", units)

    def get(self, media_type: str) -> dict[str, Any]:
        """The seed 001 answer: ``{"media_type", "unit", "latency_ms_per_unit"}``.

        ``latency_ms_per_unit`` is the total milliseconds over total units, rounded to 0.1 ms,
        and ``None`` (JSON ``null``) while nothing has been observed, so a client never
        mistakes "no data" for "instant".

        Raises:
            ValidationError: ``media_type`` is not ``"video"`` or ``"image"``.
        """
        _check(media_type)
        units = self._counters.get(f"latency#{media_type}#units")
        per_unit = None
        if units > 0:
            per_unit = round(self._counters.get(f"latency#{media_type}#ms") / units, 1)
        return {
            "media_type": media_type,
            "unit": MEDIA_UNITS[media_type],
            "latency_ms_per_unit": per_unit,
        }


def _check(media_type: str) -> None:
    if media_type not in MEDIA_UNITS:
        raise ValidationError(
            f"unknown media_type {media_type!r}: use 'video' or 'image'",
            details={"allowed": sorted(MEDIA_UNITS)},
        )
