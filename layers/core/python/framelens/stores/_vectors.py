"""Face embeddings as bytes: little-endian float32, the binary form both adapters store.

Owns: packing and unpacking one vector. Uses ``struct`` (no numpy: stores are imported on the
API's cold path).
"""

from __future__ import annotations

import struct

from framelens.errors import StoreError

__all__ = ["pack_vector", "unpack_vector"]


def pack_vector(vector: list[float]) -> bytes:
    """``vector`` as ``4 * len`` bytes of little-endian float32."""
    return struct.pack(f"<{len(vector)}f", *vector)


def unpack_vector(data: bytes) -> list[float]:
    """The floats ``pack_vector`` wrote. Raises ``StoreError`` for a truncated value."""
    if len(data) % 4:
        raise StoreError("A stored face embedding is corrupt (its length is not 4 x n bytes).")
    return [float(v) for v in struct.unpack(f"<{len(data) // 4}f", data)]
