"""Secrets the embedded backend keeps for itself in its data folder (created once, mode 0600).

Owns: ``local_secret``, a random key generated on first use and read back after restarts (so
links it signed stay valid across a restart). Does not own what the key signs (``jobs.links``).
"""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["local_secret"]


def local_secret(data_dir: Path, name: str, nbytes: int = 32) -> bytes:
    """The secret ``<data_dir>/<name>.key``, created (readable by this user only) if missing."""
    path = data_dir / f"{name}.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(nbytes)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return value
