"""Downloading a model file into the cache, verified before it becomes visible.

Owns: streaming a URL (``https://``, ``http://`` or ``file://``) to a temporary file, checking its
sha256 and atomically renaming it into place. Does not own: which URL or digest (the manifests) or
the models bucket (an injected fetcher, see ``ModelRegistry``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from framelens.errors import ModelError

__all__ = ["download_verified", "install_verified"]

_CHUNK = 1 << 20


def install_verified(tmp: Path, dest: Path, sha256: str, *, source: str) -> Path:
    """Move a fully written ``tmp`` to ``dest`` if its digest is ``sha256``; delete it otherwise.

    Raises:
        ModelError: the digest differs (the message names both digests and the source).
    """
    sha = hashlib.sha256()
    with tmp.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            sha.update(chunk)
    actual = sha.hexdigest()
    if actual != sha256:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"sha256 mismatch for {dest.name} from {source}: expected {sha256}, got {actual}",
            details={"file": dest.name, "expected": sha256, "actual": actual},
        )
    # rename is atomic within one filesystem: readers never see a half-written model.
    tmp.replace(dest)
    return dest


def download_verified(url: str, dest: Path, sha256: str, *, timeout_s: float = 120.0) -> Path:
    """Download ``url`` to ``dest`` and verify it.

    Args:
        url: ``https://``, ``http://`` or ``file://`` address of the file.
        dest: final path (its folder is created).
        sha256: expected hex digest.
        timeout_s: network timeout per read.

    Returns:
        ``dest``.

    Raises:
        ModelError: the download failed or the digest differs.
    """
    import httpx  # lazy: only `models pull` needs it

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(name)
    parsed = urlparse(url)
    try:
        with os.fdopen(fd, "wb") as out:
            if parsed.scheme == "file":
                with Path(unquote(parsed.path)).open("rb") as src:
                    shutil.copyfileobj(src, out, _CHUNK)
            elif parsed.scheme in ("http", "https"):
                with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=True) as resp:
                    resp.raise_for_status()
                    for chunk in resp.iter_bytes(_CHUNK):
                        out.write(chunk)
            else:
                raise ModelError(f"cannot download a model from a {parsed.scheme!r} URL: {url}")
    except (OSError, httpx.HTTPError) as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"download of {dest.name} from {url} failed: {exc}") from exc
    except ModelError:
        tmp.unlink(missing_ok=True)
        raise
    return install_verified(tmp, dest, sha256, source=url)
