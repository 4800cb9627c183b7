"""``FramePager``: per-frame results written out in pages as an analyzer goes.

Owns: collecting one analyzer's per-frame entries (pydantic models with a ``frame`` index) and,
when the run has a page sink (``RunContext.pages``: the pipeline's analyze stage), writing them
out every ``PAGE_FRAMES`` entries as a JSON array, so a worker holds at most one page whatever
the video's length. Without a sink (a direct ``run_analyzers`` call) the entries stay in memory.
Does not own: where pages are stored (the sink's keys) or reading them back
(``schemas.parts_pages.Paged.unpage``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from framelens.engine.base import ArtifactSink

__all__ = ["PAGE_FRAMES", "FramePager"]

# About 100-300 KiB of JSON for a detection or OCR page: few puts, a small resident page.
PAGE_FRAMES = 256
T = TypeVar("T", bound=BaseModel)


class FramePager(Generic[T]):
    """Append per-frame entries; ``close()`` gives the entries kept and the page keys written.

    Examples:
        >>> pager = FramePager("objects", sink=None)
        >>> pager.close()
        ([], [])
    """

    def __init__(self, name: str, sink: ArtifactSink | None, page_frames: int = PAGE_FRAMES):
        self._name = name
        self._sink = sink
        self._page_frames = max(1, page_frames)
        self._entries: list[T] = []
        self._keys: list[str] = []

    def add(self, entry: T) -> None:
        """Keep ``entry``; a full page goes to the sink."""
        self._entries.append(entry)
        if self._sink is not None and len(self._entries) >= self._page_frames:
            self._flush()

    def close(self) -> tuple[list[T], list[str]]:
        """``(entries, page keys)``: with a sink every entry is in a page (entries empty), so
        all parts of a pipeline run are paged alike; without one, no pages."""
        if self._sink is not None and self._entries:
            self._flush()
        entries, keys = self._entries, self._keys
        self._entries, self._keys = [], []
        return entries, keys

    def _flush(self) -> None:
        assert self._sink is not None
        first = getattr(self._entries[0], "frame", len(self._keys))
        body = b"[" + b",".join(e.model_dump_json().encode() for e in self._entries) + b"]"
        name = f"{self._name}/{int(first):09d}_{len(self._keys):05d}.json"  # unique, in order
        self._keys.append(self._sink.put(name, body, "application/json"))
        self._entries = []
