"""What a test media generator returns: the file and its ground truth.

Shared by ``tests.media`` (clips, fixtures) and ``tests.media_files`` (images, documents, bad
copies) so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fractions import Fraction
    from pathlib import Path

__all__ = ["Generated"]


@dataclass(frozen=True)
class Generated:
    """A generated file and what is true about it.

    Attributes:
        path: where it was written.
        frames: number of video frames (0 for non-video).
        fps: nominal frame rate (``None`` for non-video).
        width: display width (after rotation).
        height: display height.
        truth: generator-specific ground truth (documented on each generator).
    """

    path: Path
    frames: int = 0
    fps: Fraction | None = None
    width: int = 0
    height: int = 0
    truth: Any = field(default=None)
