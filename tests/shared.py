"""Paths of ``../shared`` (models and real media) beside the checkout, wherever it is cloned.

CI runs a fresh clone with ``../shared`` beside it; tests find it from this file, never from an
absolute path. ``FRAMELENS_MODEL_DIR`` (set by the Makefile) wins for models.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MEDIA", "MODELS", "SHARED", "media"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MEDIA = SHARED / "media"
MODELS = Path(os.environ.get("FRAMELENS_MODEL_DIR") or SHARED / "models").resolve()


def media(name: str) -> Path:
    """A clip of ``../shared/media`` by file name (see its MANIFEST.md)."""
    return MEDIA / name
