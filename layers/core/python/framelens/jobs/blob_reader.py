"""A seekable, read-only file over a blob, fetched by byte ranges as the reader asks.

Owns: ``BlobReader``. Decoders given a file object (``framelens.media.source``) seek to the
container's index and to the GOPs they need; over S3 this reads those bytes only instead of
downloading the whole video to a temporary file first. Blocks are cached (least recently used)
so the demuxer's small back-and-forth reads do not each become a request. Does not own the blob
store (any ``BlobStore`` port works).
"""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from framelens.stores.ports import BlobStore

__all__ = ["BlobReader"]


class BlobReader(io.RawIOBase):
    """Read ``key`` of ``blobs`` like a local file.

    Args:
        blobs: the store.
        key: the blob.
        size: its size in bytes (``blobs.size(key)`` when ``None``).
        block: bytes per ranged read.
        cached_blocks: how many blocks to keep.

    Examples:
        >>> reader = BlobReader(store, "media/acme/f_1")  # doctest: +SKIP
        >>> reader.seek(-10, 2); reader.read(10)  # doctest: +SKIP
    """

    def __init__(
        self,
        blobs: BlobStore,
        key: str,
        *,
        size: int | None = None,
        block: int = 1 << 20,
        cached_blocks: int = 16,
    ) -> None:
        super().__init__()
        self._blobs, self._key = blobs, key
        self._size = blobs.size(key) if size is None else size
        self._block, self._capacity = block, cached_blocks
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._pos = 0
        self.requests = 0  # ranged reads made so far

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Always seekable."""
        return True

    def tell(self) -> int:
        """Current position."""
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` from the start, the current position or the end."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _fetch(self, number: int) -> bytes:
        cached = self._blocks.get(number)
        if cached is not None:
            self._blocks.move_to_end(number)
            return cached
        start = number * self._block
        end = min(self._size, start + self._block) - 1
        data = self._blocks[number] = self._blobs.get_range(self._key, start, end)
        self.requests += 1
        if len(self._blocks) > self._capacity:
            self._blocks.popitem(last=False)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the current position; 0 at the end."""
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            number, offset = divmod(self._pos, self._block)
            data = self._fetch(number)[offset:]
            count = min(len(data), len(view) - done)
            if count == 0:
                break
            view[done : done + count] = data[:count]
            done += count
            self._pos += count
        return done
