"""``MediaInfo``: what is known about a media file before its first frame is decoded.

It lives in ``media`` (which builds it from the probe) and is re-exported by ``engine.base``
(which hands it to analyzers), so dependencies point one way: engine -> media.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from fractions import Fraction

__all__ = ["MediaInfo"]


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the engine knows about the media before the first frame (from the probe)."""

    media_type: Literal["image", "video", "document"]
    width: int  # display width, after rotation (0 for documents)
    height: int
    fps: Fraction | None = None
    frames: int | None = None
    duration: Fraction | None = None
    rotation: int = 0
    name: str = ""
