"""Naming why storage failed: a full disk, a read-only file system or database, or other.

Owns: turning the exception a write raised (``OSError`` with its errno, ``sqlite3`` errors, or a
``StoreError`` that wraps either) into a short reason an operator can act on. Used by the
embedded adapter's error messages and by the storage health probe. Does not own detecting
failures (the adapters) or what to do about them (health, the runner's sweep).
"""

from __future__ import annotations

import errno

__all__ = ["FULL", "READ_ONLY", "disk_failure", "failure_reason"]

FULL = "the disk is full"
READ_ONLY = "the storage is read-only"

_ERRNO_REASONS = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "the file size limit is reached",
    errno.EROFS: READ_ONLY,
    errno.EACCES: "permission denied",
    errno.EIO: "an I/O error",
}
# The errnos of a disk that refuses writes (not of a missing file or a bad path).
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
# sqlite3 reports these as text only (Python < 3.11.? exposes no error code on every error).
_SQLITE_REASONS = (
    ("database or disk is full", FULL),
    ("readonly database", READ_ONLY),
    ("disk i/o error", "an I/O error"),
    ("unable to open database", "the database cannot be opened"),
)


def failure_reason(exc: BaseException) -> str:
    """The most specific reason found along ``exc``'s cause chain.

    Examples:
        >>> failure_reason(OSError(errno.ENOSPC, "No space left on device"))
        'the disk is full'
        >>> import sqlite3
        >>> failure_reason(sqlite3.OperationalError("attempt to write a readonly database"))
        'the storage is read-only'
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[seen.errno]
        text = str(seen).lower()
        for needle, reason in _SQLITE_REASONS:
            if needle in text:
                return reason
        seen = seen.__cause__ or seen.__context__
    return f"{type(exc).__name__}: {exc}"[:200]


def disk_failure(exc: BaseException) -> str | None:
    """The reason when ``exc`` (or its cause) is a disk refusing a write, else ``None``.

    Examples:
        >>> disk_failure(OSError(errno.ENOSPC, "No space left on device"))
        'the disk is full'
        >>> disk_failure(FileNotFoundError(errno.ENOENT, "gone")) is None
        True
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _DISK_ERRNOS:
            return _ERRNO_REASONS[seen.errno]
        seen = seen.__cause__ or seen.__context__
    return None
