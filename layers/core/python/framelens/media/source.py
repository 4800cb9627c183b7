"""Where media bytes are read from: a local path, a URL or any seekable binary file object.

Owns: ``MediaSource``, ``open_input`` and ``is_url``. A URL (``http(s)://``, e.g. a presigned
S3 GET) is opened by FFmpeg itself, which reads over HTTP with ``Range`` requests as it seeks:
the pipeline's per-segment work reads a segment's span this way. A file object lets a caller
decode a file it does not hold locally (a reader doing ranged GETs on a blob store reads only
the index and the GOPs a seek touches, not the whole file). Does not own any such reader (the
``jobs`` layer has one).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

__all__ = ["MediaSource", "is_url", "open_input", "url_name"]

MediaSource = Path | str | IO[bytes] | io.RawIOBase
_URL_SCHEMES = ("http://", "https://")


def is_url(source: object) -> bool:
    """Whether ``source`` is an ``http(s)://`` URL (a ``str``; a ``Path`` never is).

    Examples:
        >>> is_url("https://bucket.s3.amazonaws.com/media/a/f?X-Amz-Signature=1"), is_url("a.mp4")
        (True, False)
    """
    return isinstance(source, str) and source.startswith(_URL_SCHEMES)


def url_name(url: str) -> str:
    """The last path component of ``url``, without its query (a presigned URL's signature).

    Examples:
        >>> url_name("https://h/b/media/acme/clip.mp4?X-Amz-Signature=abc")
        'clip.mp4'
    """
    from urllib.parse import urlsplit

    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


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
