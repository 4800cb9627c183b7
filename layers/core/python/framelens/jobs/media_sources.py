"""Reading a stored file for decoding, and its frame index, for the media service.

Owns: ``MediaSources``: a stored file opened for decoding (the embedded store's own file, a
temporary download, or a ``BlobReader`` doing ranged reads), and its ``FrameIndex``, built once
per file and kept both in memory (a few recent files) and in the blob store next to the renders.
Does not own what is decoded (``framelens.media``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import TYPE_CHECKING

from framelens.jobs.blob_reader import BlobReader

if TYPE_CHECKING:
    from collections.abc import Iterator

    from framelens.jobs.render_cache import RenderCache
    from framelens.media.frame_index import FrameIndex
    from framelens.media.source import MediaSource
    from framelens.schemas import FileRecord

__all__ = ["MediaSources"]

_INDEX_FORMAT = "frame-index;v=1"


class MediaSources:
    """Stored files as decoder inputs, and their frame indexes.

    Args:
        cache: the render cache (frame indexes are stored through it).
        ranged_reads: read through a ``BlobReader`` (ranged GETs) instead of
            ``BlobStore.local_path`` (which downloads whole objects from S3).
        remembered: how many frame indexes to keep in memory.
    """

    def __init__(self, cache: RenderCache, *, ranged_reads: bool, remembered: int = 32) -> None:
        self._cache = cache
        self._ranged = ranged_reads
        self._remembered = remembered
        self._indexes: OrderedDict[str, FrameIndex] = OrderedDict()
        self._lock = threading.Lock()  # routers call from a thread pool

    @contextmanager
    def open(self, record: FileRecord) -> Iterator[MediaSource]:
        """The file's bytes as a path or a seekable file, for the duration of the block.

        Raises:
            NotFoundError: the file's blob is missing.
        """
        blobs = self._cache.blobs
        if self._ranged:
            with BlobReader(blobs, record.blob_key, size=blobs.size(record.blob_key)) as reader:
                yield reader
            return
        with blobs.local_path(record.blob_key) as path:
            yield path

    def index_key(self, record: FileRecord) -> str:
        """The blob key the file's frame index is stored under."""
        return self._cache.key(record, "frame-index", _INDEX_FORMAT, "bin")

    def has_index(self, record: FileRecord) -> bool:
        """Whether the file's frame index is built (in memory or stored); builds nothing."""
        with self._lock:
            if f"{record.blob_key}:{record.size}" in self._indexes:
                return True
        return self._cache.blobs.exists(self.index_key(record))

    def frame_index(self, record: FileRecord, source: MediaSource | None = None) -> FrameIndex:
        """The file's ``FrameIndex``: from memory, else the blob store, else built and stored.

        Args:
            record: the file.
            source: an already open source to build from (else the file is opened).

        Raises:
            UnprocessableMediaError: the file has no decodable video stream.
        """
        from framelens.media.frame_index import FrameIndex, build_frame_index

        memo = f"{record.blob_key}:{record.size}"
        with self._lock:
            known = self._indexes.get(memo)
            if known is not None:
                self._indexes.move_to_end(memo)
                return known
        key = self.index_key(record)
        stored = self._cache.get(key)
        index: FrameIndex | None = None
        if stored is not None:
            try:
                index = FrameIndex.from_bytes(stored)
            except ValueError:
                index = None  # another format version: rebuild and overwrite
        if index is None:
            if source is not None:
                index = build_frame_index(source)
            else:
                with self.open(record) as opened:
                    index = build_frame_index(opened)
            self._cache.keep(key, index.to_bytes(), "application/octet-stream")
        with self._lock:
            self._indexes[memo] = index
            if len(self._indexes) > self._remembered:
                self._indexes.popitem(last=False)
        return index
