"""A write-only file object that collects a muxer's output so a generator can yield it in chunks.

It deliberately has no ``seek``/``tell``: PyAV then opens the output as non-seekable, so muxers
write streamable output (MPEG-TS, fragmented MP4) and never go back to patch an index.
"""

from __future__ import annotations

__all__ = ["ChunkSink"]


class ChunkSink:
    """Bytes written by a muxer, handed out in chunks of at least ``min_chunk`` bytes.

    Args:
        min_chunk: ``take`` returns nothing until this many bytes are buffered (unless forced),
            so HTTP chunks are not a few hundred bytes each.
    """

    def __init__(self, min_chunk: int = 64 << 10) -> None:
        self._buffer = bytearray()
        self._min_chunk = min_chunk
        self.written = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append what the muxer wrote."""
        self._buffer += data
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: bytes leave through ``take``."""

    def take(self, *, force: bool = False) -> bytes:
        """The buffered bytes if at least ``min_chunk`` (or any, when forced); else ``b""``."""
        if not self._buffer or (len(self._buffer) < self._min_chunk and not force):
            return b""
        out = bytes(self._buffer)
        self._buffer.clear()
        return out
