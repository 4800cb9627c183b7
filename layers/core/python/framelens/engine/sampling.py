"""The sampling rule: which frames a "N frames per second" reader gets, by presentation time.

Owns: ``on_tick``, used by the engine to deliver each analyzer its rate and by analyzers that
receive every frame but act on a lower rate (tracking draws every frame, detects at ``fps``), so
both pick exactly the same frames. Sampling by PTS does not depend on where a segment starts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fractions import Fraction

__all__ = ["on_tick"]


def on_tick(pts: Fraction, prev: Fraction | None, rate: Fraction | None) -> bool:
    """Whether the frame at ``pts`` is the first at or after some tick ``k / rate``.

    ``prev`` is the previous frame's PTS (``None``: no previous frame, so the frame is taken);
    ``rate`` ``None`` means every frame.

    Examples:
        >>> from fractions import Fraction as F
        >>> [on_tick(F(i, 10), F(i - 1, 10), F(2)) for i in range(1, 7)]
        [False, False, False, False, True, False]
    """
    if rate is None or prev is None:
        return True
    return math.floor(pts * rate) > math.floor(prev * rate)
