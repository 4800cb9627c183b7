"""Where media bytes are read from: a local path or any seekable binary file object.

Owns: ``MediaSource`` and ``open_input``. A file object lets a caller decode a file it does not
hold locally (a reader doing ranged GETs on a blob store reads only the index and the GOPs a
seek touches, not the whole file). Does not own any such reader (the ``jobs`` layer has one).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

__all__ = ["MediaSource", "open_input"]

MediaSource = Path | IO[bytes] | io.RawIOBase


def open_input(source: MediaSource) -> Any:
    """Open ``source`` for demuxing with PyAV (a file object is rewound first).

    Raises:
        av.FFmpegError: the container cannot be opened (callers translate it).
    """
    import av

    if isinstance(source, str | Path):
        return av.open(str(source))
    source.seek(0)
    return av.open(source, mode="r")
