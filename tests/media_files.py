"""Generated images, documents and damaged copies for tests, with their ground truth.

Owns: JPEG/PNG gradients, a PNG that lies about its size, a minimal DOCX, truncated and corrupt
copies of real files, text under a video name. ``tests.media`` re-exports them and builds the
session fixtures.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import cv2
import numpy as np

from tests.generated import Generated

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = [
    "corrupt_copy",
    "docx_file",
    "huge_dimensions_png",
    "jpeg_image",
    "png_image",
    "text_file_as_mp4",
    "truncated_copy",
]


def truncated_copy(src: Path, dst: Path, keep_bytes: int) -> Path:
    """The first ``keep_bytes`` of ``src``: the magic is intact, the index (MP4 ``moov``, written
    last) or the frame data is missing. Truth: validation answers unprocessable."""
    dst.write_bytes(src.read_bytes()[:keep_bytes])
    return dst


def corrupt_copy(src: Path, dst: Path, keep_bytes: int = 64, seed: int = 1) -> Path:
    """``src`` with everything after its first ``keep_bytes`` replaced by random bytes (same size).

    Truth: the magic still says video/image, but nothing decodes: validation answers unprocessable.
    """
    data = src.read_bytes()
    noise = np.random.default_rng(seed).integers(0, 256, len(data) - keep_bytes, dtype=np.uint8)
    dst.write_bytes(data[:keep_bytes] + noise.tobytes())
    return dst


def text_file_as_mp4(path: Path) -> Path:
    """Plain text saved under a ``.mp4`` name. Truth: unsupported (detected as plain text)."""
    path.write_text("This is not a video, only a note saved as movie.mp4.\n" * 20)
    return path


def _gradient(width: int, height: int) -> np.ndarray:
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None].repeat(width, 1)
    return np.dstack([x, y, np.full_like(x, 128)])


def jpeg_image(path: Path, width: int = 320, height: int = 240, quality: int = 90) -> Generated:
    """A JPEG of a smooth colour gradient. Truth: decodes to ``width`` x ``height``."""
    ok, buf = cv2.imencode(".jpg", _gradient(width, height), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    path.write_bytes(buf.tobytes())
    return Generated(path, width=width, height=height)


def png_image(path: Path, width: int = 320, height: int = 240) -> Generated:
    """A lossless PNG of a colour gradient. Truth: size, and pixel ``(y, x)`` = ``_gradient``'s."""
    ok, buf = cv2.imencode(".png", _gradient(width, height))
    assert ok
    path.write_bytes(buf.tobytes())
    return Generated(path, width=width, height=height, truth=_gradient(width, height))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_dimensions_png(path: Path, width: int = 30000, height: int = 30000) -> Generated:
    """A PNG of a few hundred bytes whose IHDR declares ``width`` x ``height`` (8-bit grey).

    Only two rows of pixel data follow, so a decoder would allocate the full frame (900 MB at
    30000x30000) before failing. Truth: the pixel limit must be checked from the header, before
    decoding, and refused as too large (``MediaTooLongError``).
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" + bytes(width) + b"\x00" + bytes(width))
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", rows)
    path.write_bytes(data + _png_chunk(b"IEND", b""))
    return Generated(path, width=width, height=height)


def docx_file(path: Path, paragraphs: Sequence[str] = ("Hello Framelens",)) -> Generated:
    """A minimal valid DOCX (content types, relationships, ``word/document.xml``).

    Truth: ``truth`` = the paragraphs, in order, one ``<w:p>`` each.
    """
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>'
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
    return Generated(path, truth=list(paragraphs))
