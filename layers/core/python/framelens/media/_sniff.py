"""Content sniffing: what a file is from its first bytes, and an image's size from its header.

Owns: the magic-byte table (supported and known-unsupported formats) and cheap header parsers that
read an image's declared width and height without decoding it, so a pixel-limit check can run
before a decoder allocates anything. Does not own: decoding or error policy (``media.validate``).
Pure stdlib: importing it costs nothing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DOCX_CONTENT_TYPE",
    "HEAD_BYTES",
    "SUPPORTED_FORMATS",
    "Sniffed",
    "image_header_size",
    "sniff",
]

HEAD_BYTES = 4096
"""How many leading bytes ``sniff`` needs (MPEG-TS is recognised by sync bytes 188 apart)."""

SUPPORTED_FORMATS = (
    "images (JPEG, PNG, BMP, TIFF, WebP, GIF), videos (MP4, MOV, AVI, MKV, WebM, MPEG-TS, "
    "MPEG-PS, FLV) and DOCX documents"
)

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the leading bytes say a file is.

    Attributes:
        kind: ``"image"``, ``"video"``, ``"zip"`` (DOCX or not is decided by opening the archive)
            or ``"unsupported"`` (a recognised format Framelens does not accept).
        container: short format name (``"mp4"``, ``"png"``, ``"pdf"``...), or a description.
        content_type: the MIME type the content implies.
    """

    kind: Literal["image", "video", "zip", "unsupported"]
    container: str
    content_type: str


def _is_mpegts(head: bytes) -> bool:
    # Sync byte 0x47 every 188 bytes; checking three packets rules out chance matches.
    if len(head) < 189 or head[0] != 0x47 or head[188] != 0x47:
        return False
    return len(head) < 377 or head[376] == 0x47


def _is_m2ts(head: bytes) -> bool:
    # Blu-ray M2TS: a 4-byte timestamp before each 188-byte packet.
    return len(head) >= 197 and head[4] == 0x47 and head[196] == 0x47


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the head is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(b >= 0x20 or b in (0x09, 0x0A, 0x0D) for b in head[:512])


def sniff(head: bytes) -> Sniffed | None:
    """Identify a file from its first ``HEAD_BYTES`` bytes.

    Args:
        head: the file's leading bytes (fewer is fine for short files).

    Returns:
        What the bytes say, or ``None`` when nothing is recognised.

    Examples:
        >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8)).container
        'png'
    """
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "jpeg", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "png", "image/png")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("image", "gif", "image/gif")
    if head.startswith(b"BM") and len(head) >= 26:
        return Sniffed("image", "bmp", "image/bmp")
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return Sniffed("image", "tiff", "image/tiff")
    if head.startswith(b"RIFF") and len(head) >= 12:
        riff_type = head[8:12]
        if riff_type == b"WEBP":
            return Sniffed("image", "webp", "image/webp")
        if riff_type == b"AVI ":
            return Sniffed("video", "avi", "video/x-msvideo")
        if riff_type == b"WAVE":
            return Sniffed("unsupported", "WAV audio", "audio/wav")
        return None
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return Sniffed("unsupported", "HEIF/AVIF image", "image/heif")
        if brand == b"qt  ":
            return Sniffed("video", "mov", "video/quicktime")
        return Sniffed("video", "mp4", "video/mp4")
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        # Old QuickTime files start with an atom other than ftyp.
        return Sniffed("video", "mov", "video/quicktime")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head[:64]:
            return Sniffed("video", "webm", "video/webm")
        return Sniffed("video", "mkv", "video/x-matroska")
    if _is_mpegts(head) or _is_m2ts(head):
        return Sniffed("video", "mpegts", "video/mp2t")
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return Sniffed("video", "mpeg", "video/mpeg")
    if head.startswith(b"FLV\x01"):
        return Sniffed("video", "flv", "video/x-flv")
    if head.startswith(b"PK\x03\x04"):
        return Sniffed("zip", "zip", "application/zip")
    return _sniff_unsupported(head)


def _sniff_unsupported(head: bytes) -> Sniffed | None:
    # Recognised only to name them in the error message.
    if head.startswith(b"%PDF"):
        return Sniffed("unsupported", "PDF document", "application/pdf")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return Sniffed("unsupported", "MP3 audio", "audio/mpeg")
    if head.startswith(b"OggS"):
        return Sniffed("unsupported", "Ogg audio/video", "application/ogg")
    if head.startswith(b"fLaC"):
        return Sniffed("unsupported", "FLAC audio", "audio/flac")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return Sniffed("unsupported", "legacy Office (OLE) document", "application/x-ole-storage")
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return Sniffed("unsupported", "compressed archive", "application/octet-stream")
    if _is_text(head):
        return Sniffed("unsupported", "plain text", "text/plain")
    return None


def image_header_size(head: bytes, container: str) -> tuple[int, int] | None:
    """The width and height an image's header declares, without decoding it.

    Args:
        head: the file's leading bytes (JPEG may need more than ``HEAD_BYTES``; pass the file).
        container: the ``Sniffed.container`` of an image.

    Returns:
        ``(width, height)``, or ``None`` when the header cannot be read.

    Examples:
        >>> image_header_size(b"GIF89a" + struct.pack("<HH", 7, 5), "gif")
        (7, 5)
    """
    try:
        if container == "png" and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if container == "gif":
            return struct.unpack("<HH", head[6:10])
        if container == "bmp":
            width, height = struct.unpack("<ii", head[18:26])
            return width, abs(height)  # a negative height means top-down rows
        if container == "jpeg":
            return _jpeg_size(head)
        if container == "webp":
            return _webp_size(head)
        if container == "tiff":
            return _tiff_size(head)
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    # Walk the marker segments to the first start-of-frame (SOF0..SOF15 except DHT/JPG/DAC).
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    # Read ImageWidth (256) and ImageLength (257) from the first IFD.
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    found: dict[int, int] = {}
    for i in range(count):
        entry = data[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        tag, typ = struct.unpack(order + "HH", entry[:4])
        if tag in (256, 257):
            fmt = "H" if typ == 3 else "I"
            found[tag] = struct.unpack(order + fmt, entry[8 : 10 if typ == 3 else 12])[0]
    if 256 in found and 257 in found:
        return found[256], found[257]
    return None
