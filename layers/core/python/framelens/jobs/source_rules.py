"""Rules for job sources beyond the SSRF guard: local paths and video-platform links.

Owns: which local paths a job may read (``file://`` sources: the embedded backend only, and only
inside ``FRAMELENS_LOCAL_SOURCE_ROOTS``; symlinks and ``..`` are resolved before the check, so
neither can leave a root), opening such a file without following a last-moment symlink, and
refusing YouTube and Vimeo page links with the reason. Does not own fetching ``https://``
sources (``jobs.fetch``) or reading them in the pipeline (``orchestration.sources``).

Examples:
    >>> platform_refusal("https://www.youtube.com/watch?v=UwsrzCVZAb8") is not None
    True
    >>> platform_refusal("https://demo.example.com/demo1.jpg") is None
    True
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from framelens.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "LOCAL_SCHEME",
    "ROOTS_SETTING",
    "check_local_source",
    "open_local_source",
    "platform_refusal",
    "resolve_local_path",
    "split_roots",
]

LOCAL_SCHEME = "file://"
ROOTS_SETTING = "FRAMELENS_LOCAL_SOURCE_ROOTS"

# Page links of video platforms: what they serve is an HTML page and a player, not a media file.
_PLATFORMS = {
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "youtube-nocookie.com": "YouTube",
    "vimeo.com": "Vimeo",
}


def platform_refusal(url: str) -> str | None:
    """Why ``url`` is not fetched when it is a YouTube or Vimeo link, else ``None``."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    for domain, name in _PLATFORMS.items():
        if host == domain or host.endswith("." + domain):
            return (
                f"{name} links are not fetched: the link is a web page with a streaming player, "
                f"not a media file, and {name}'s terms do not allow downloading its videos. "
                "Upload the video file with POST /api/v1/storage/ (or POST /v1/media) and use "
                "its storage:// url, or give a direct https:// link to the file"
            )
    return None


def split_roots(value: str) -> tuple[Path, ...]:
    """``FRAMELENS_LOCAL_SOURCE_ROOTS`` as paths: ``:``-separated like ``PATH``; empty: none."""
    return tuple(Path(r) for r in value.split(os.pathsep) if r)


def _refuse(message: str, source: str) -> ValidationError:
    return ValidationError(message, details={"source": source, "setting": ROOTS_SETTING})


def resolve_local_path(path: str, roots: Sequence[Path], backend: str) -> Path:
    """The real path of a local source (a file or a directory) inside one of ``roots``.

    Symlinks and ``..`` are resolved first, so a link or a relative step that leads out of every
    root is refused like any other path outside them.

    Raises:
        ValidationError: not the embedded backend, no roots configured, a relative path, a path
            that does not exist, or one outside every root (each message names the setting).
    """
    if backend != "embedded":
        raise _refuse(
            f"local path {path!r}: local paths are read only by the local server (the embedded "
            f"backend, with {ROOTS_SETTING}); in AWS upload the file or drop it in the media "
            "bucket",
            path,
        )
    if not roots:
        raise _refuse(
            f"local path {path!r}: this server reads no local paths; the operator lists the "
            f"directories it may read in {ROOTS_SETTING} (separated by ':')",
            path,
        )
    if not path.startswith("/"):
        raise _refuse(f"local path {path!r} must be absolute", path)
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise _refuse(f"local path {path!r} does not exist or cannot be read", path) from exc
    for root in roots:
        try:
            real_root = root.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real.is_relative_to(real_root):
            return real
    raise _refuse(
        f"local path {path!r} is outside the directories this server may read "
        f"({ROOTS_SETTING}: {os.pathsep.join(str(r) for r in roots)})",
        path,
    )


def check_local_source(uri: str, roots: Sequence[Path], backend: str) -> Path:
    """Check a ``file://`` source: it must be a regular file inside a root.

    Raises:
        ValidationError: see ``resolve_local_path``; also a directory or a special file.
    """
    real = resolve_local_path(uri.removeprefix(LOCAL_SCHEME), roots, backend)
    if not real.is_file():
        raise _refuse(f"local path {str(real)!r} is not a regular file", uri)
    return real


def open_local_source(uri: str, roots: Sequence[Path], backend: str) -> BinaryIO:
    """Open a checked ``file://`` source for reading.

    The resolved path is opened with ``O_NOFOLLOW`` and checked to be a regular file after
    opening, so a symlink swapped in after the check is refused rather than followed.

    Raises:
        ValidationError: the path fails ``check_local_source`` or changed under it.
    """
    real = check_local_source(uri, roots, backend)
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise _refuse(f"local path {str(real)!r} cannot be opened", uri) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _refuse(f"local path {str(real)!r} is not a regular file", uri)
    return os.fdopen(fd, "rb")
