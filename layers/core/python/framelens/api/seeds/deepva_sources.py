"""Seed 003's source table, as a native job's sources.

Owns: what each kind of DeepVA source becomes: ``storage://`` stays; public ``https://`` URLs
stay (the job service applies the SSRF guard and refuses YouTube and Vimeo links with the
reason); a local path ("On-Prem only!") becomes ``file://<real path>`` after
``jobs.source_rules`` has checked it (embedded backend, inside ``FRAMELENS_LOCAL_SOURCE_ROOTS``),
and a directory becomes its files, in name order. Anything else is a 400 listing the kinds.
Does not own reading the sources (``orchestration.sources``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import ValidationError
from framelens.jobs.source_rules import LOCAL_SCHEME, resolve_local_path, split_roots

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.config import Settings

__all__ = ["MAX_SOURCES", "native_sources"]

MAX_SOURCES = 100
_KINDS = (
    "storage://<id> (POST /api/v1/storage/), a public https:// URL of a media file, or a local "
    "path on a server that allows them"
)


def _directory_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if not p.name.startswith(".") and p.is_file())


def _local(path: str, settings: Settings) -> list[str]:
    roots = split_roots(settings.local_source_roots)
    real = resolve_local_path(path, roots, settings.backend)
    if not real.is_dir():
        return [f"{LOCAL_SCHEME}{real}"]
    files = []
    for child in _directory_files(real):
        # Each file is checked again: a symlink inside the directory may point elsewhere.
        files.append(f"{LOCAL_SCHEME}{resolve_local_path(str(child), roots, settings.backend)}")
    if not files:
        raise ValidationError(f"local directory {path!r} holds no files", details={"source": path})
    return files


def native_sources(sources: list[str], settings: Settings) -> list[str]:
    """The native job's sources for the DeepVA ``sources``.

    Raises:
        ValidationError: an unknown kind of source, a refused local path, or more than
            ``MAX_SOURCES`` files in all.
    """
    out: list[str] = []
    for src in sources:
        if src.startswith(("storage://", "https://", "http://")):
            out.append(src)
        elif src.startswith("/"):
            out.extend(_local(src, settings))
        else:
            raise ValidationError(
                f"source {src[:200]!r} is not supported; use {_KINDS}", details={"source": src}
            )
    if len(out) > MAX_SOURCES:
        raise ValidationError(
            f"a job takes at most {MAX_SOURCES} files; these sources hold {len(out)}"
        )
    return out
