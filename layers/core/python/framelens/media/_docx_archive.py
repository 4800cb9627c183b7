"""Opening a DOCX archive safely, with the standard library only.

Owns: the limits on a DOCX's ZIP container (member count, declared and real uncompressed sizes,
compression ratio, member names) and on its XML parts (no DTD, hence no entity expansion), and
finding the main document part from ``[Content_Types].xml``. The API's upload path uses it
(``media.validate``), so it imports nothing outside the standard library. Does not own: reading
the document's text (``media.document``, python-docx).

Why these checks: a DOCX is a ZIP, so a small upload can declare gigabytes of XML (zip bomb), name
members ``../../etc/passwd`` or twice (ambiguous parts), or carry an XML part whose DTD defines
nested entities that expand exponentially (billion laughs). Central-directory sizes are checked
before anything is decompressed; reads are capped at the declared size (CPython's ``zipfile``
stops there and checks the CRC, so a lying header fails instead of growing); every XML part's
prolog is parsed with expat up to its root element and refused if it declares a DOCTYPE.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING
from xml.etree import ElementTree
from xml.parsers import expat

from framelens.errors import UnprocessableMediaError, UnsupportedMediaError
from framelens.media.exceptions import XmlEntityError, ZipBombError, ZipPathError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "DOCX_MAIN_TYPE",
    "DocxLimits",
    "check_archive",
    "check_xml_prolog",
    "inspect_docx",
    "looks_like_xml",
    "main_part_name",
    "read_member",
]

DOCX_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_CONTENT_TYPES = "[Content_Types].xml"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_WORD_DOCUMENT = "http://schemas.openxmlformats.org/wordprocessingml/2006/main document"
_OTHER_OFFICE = {
    "spreadsheetml": "an Excel workbook (XLSX)",
    "presentationml": "a PowerPoint presentation (PPTX)",
}
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1 << 16
_MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class DocxLimits:
    """What a DOCX may expand to before it is refused.

    Attributes:
        max_members: files in the archive (real documents have tens, a few hundred with images).
        max_total_bytes: sum of the members' uncompressed sizes.
        max_member_bytes: uncompressed size of one member.
        max_ratio: uncompressed / compressed size of a member larger than ``ratio_floor``; XML
            deflates 5-30x, so 100x is a bomb (the OWASP guidance).
        ratio_floor: members smaller than this are never refused for their ratio.
        max_images: embedded image placements (each is OCR'd; bounds the work per document).
        max_image_pixels: declared pixels of one embedded image.
    """

    max_members: int = 1000
    max_total_bytes: int = 128 * _MIB
    max_member_bytes: int = 64 * _MIB
    max_ratio: float = 100.0
    ratio_floor: int = _MIB
    max_images: int = 300
    max_image_pixels: int = 40_000_000


def _check_name(info: zipfile.ZipInfo, seen: set[str]) -> None:
    name = info.filename
    parts = name.split("/")
    bad = (
        not name
        or "\x00" in name
        or "\\" in name
        or name.startswith("/")
        or _DRIVE.match(name) is not None
        or ".." in parts
    )
    if bad:
        raise ZipPathError(
            f"The document contains a member with an unsafe path ({name[:100]!r}): absolute or "
            "parent-relative names are refused. Save the document again from Word.",
            details={"member": name[:200]},
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ZipPathError(
            f"The document contains a symbolic link ({name[:100]!r}); links are refused.",
            details={"member": name[:200]},
        )
    # OPC part names are case-insensitive: two spellings of one name make the part ambiguous.
    key = name.casefold()
    if key in seen:
        raise ZipPathError(
            f"The document contains the member {name[:100]!r} twice; an ambiguous archive is "
            "refused.",
            details={"member": name[:200]},
        )
    seen.add(key)


def check_archive(archive: zipfile.ZipFile, limits: DocxLimits) -> None:
    """Refuse an archive from its central directory alone, before decompressing anything.

    Raises:
        ZipBombError: too many members, or sizes or ratios over ``limits``.
        ZipPathError: an unsafe, duplicate or link member name.
        UnprocessableMediaError: an encrypted member.
    """
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ZipBombError(
            f"The document archive has {len(infos)} members, more than the limit of "
            f"{limits.max_members}.",
            details={"members": len(infos), "max_members": limits.max_members},
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        _check_name(info, seen)
        if info.flag_bits & 0x1:
            raise UnprocessableMediaError(
                "The document is encrypted (password-protected); remove the password and upload "
                "it again.",
                details={"member": info.filename[:200]},
            )
        _check_size(info, limits)
        total += info.file_size
    if total > limits.max_total_bytes:
        raise ZipBombError(
            f"The document expands to {total} bytes, more than the limit of "
            f"{limits.max_total_bytes}.",
            details={"uncompressed": total, "max_total_bytes": limits.max_total_bytes},
        )


def _check_size(info: zipfile.ZipInfo, limits: DocxLimits) -> None:
    size = info.file_size
    ratio = size / max(1, info.compress_size)
    details = {"member": info.filename[:200], "uncompressed": size, "ratio": round(ratio, 1)}
    if size > limits.max_member_bytes:
        raise ZipBombError(
            f"The document member {info.filename[:100]!r} expands to {size} bytes, more than the "
            f"limit of {limits.max_member_bytes}.",
            details=details,
        )
    if size > limits.ratio_floor and size > limits.max_ratio * max(1, info.compress_size):
        raise ZipBombError(
            f"The document member {info.filename[:100]!r} expands {ratio:.0f} times (limit "
            f"{limits.max_ratio:g}); the archive looks like a zip bomb.",
            details=details,
        )


def read_member(archive: zipfile.ZipFile, name: str, limits: DocxLimits) -> bytes:
    """A member's bytes, never more than its declared size or ``limits.max_member_bytes``.

    Raises:
        ZipBombError: it decompresses past the limit.
        UnprocessableMediaError: it is missing or damaged (bad CRC, truncated).
    """
    try:
        with archive.open(name) as fh:
            data = _read_capped(fh, limits.max_member_bytes)
    except (KeyError, zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise UnprocessableMediaError(
            f"The document part {name[:100]!r} could not be read; the file may be truncated or "
            "corrupt. Save the document again and re-upload it.",
            details={"member": name[:200]},
        ) from exc
    return data


def _read_capped(fh: IO[bytes], cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := fh.read(_CHUNK):
        size += len(chunk)
        if size > cap:
            raise ZipBombError(
                f"A document part decompresses past the limit of {cap} bytes.",
                details={"max_member_bytes": cap},
            )
        chunks.append(chunk)
    return b"".join(chunks)


def looks_like_xml(data: bytes) -> bool:
    """Whether a part is XML (starts with ``<`` after an optional BOM/whitespace, any UTF)."""
    head = data[:8].lstrip(b" \t\r\n")
    return head.startswith((b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00<"))


class _RootFound(Exception):
    """Raised from expat's start-element handler: the prolog has been read."""


def check_xml_prolog(data: bytes | Iterable[bytes], part: str) -> str:
    """Parse an XML part up to its root element, refusing any DTD; return the root's name.

    A DOCTYPE (the only place entities can be declared) may appear only before the root element,
    so reading the prolog is enough, and expat reads UTF-8 and UTF-16 alike.

    Args:
        data: the part, whole or as a stream of chunks (read only up to the root element).
        part: its name, for messages.

    Returns:
        The root element as ``"namespace localname"``.

    Raises:
        XmlEntityError: the part declares a DOCTYPE or entities.
        UnprocessableMediaError: it is not well-formed XML (or uses an unknown encoding).
    """

    def refuse(*_: object) -> None:
        raise XmlEntityError(
            f"The document part {part[:100]!r} declares a DTD or entities, which Word never "
            "writes; it is refused to prevent entity expansion.",
            details={"member": part[:200]},
        )

    def root(name: str, _attrs: object) -> None:
        raise _RootFound(name)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = root
    chunks = (
        (data[i : i + _CHUNK] for i in range(0, len(data), _CHUNK))
        if isinstance(data, bytes)
        else data
    )
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _RootFound as found:
        return str(found.args[0])
    except (expat.ExpatError, LookupError, ValueError) as exc:
        raise _malformed(part) from exc
    raise _malformed(part)


def _malformed(part: str) -> UnprocessableMediaError:
    return UnprocessableMediaError(
        f"The document part {part[:100]!r} is not well-formed XML; the file may be corrupt.",
        details={"member": part[:200]},
    )


def main_part_name(archive: zipfile.ZipFile, limits: DocxLimits) -> str:
    """The main document part named by ``[Content_Types].xml`` (usually ``word/document.xml``).

    Raises:
        UnsupportedMediaError: a ZIP that is not a Word document (the message says what it is).
        XmlEntityError, ZipBombError, UnprocessableMediaError: as ``read_member`` / the prolog.
    """
    if _CONTENT_TYPES not in archive.namelist():
        raise _not_docx("it has no [Content_Types].xml naming a word/document.xml main part")
    data = read_member(archive, _CONTENT_TYPES, limits)
    check_xml_prolog(data, _CONTENT_TYPES)
    try:
        # No DTD (checked above), so expat has nothing to expand.
        types = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise _malformed(_CONTENT_TYPES) from exc
    seen: list[str] = []
    for override in types.iter(f"{_CT_NS}Override"):
        content_type = override.get("ContentType", "")
        seen.append(content_type)
        if content_type == DOCX_MAIN_TYPE:
            name = override.get("PartName", "").lstrip("/")
            if name not in archive.namelist():
                raise UnprocessableMediaError(
                    f"The document's main part {name[:100]!r} is missing; the file may be corrupt.",
                    details={"member": name[:200]},
                )
            return name
    for marker, what in _OTHER_OFFICE.items():
        if any(marker in t for t in seen):
            raise _not_docx(f"it is {what}")
    raise _not_docx("its content types name no Word main part such as word/document.xml")


def _not_docx(why: str) -> UnsupportedMediaError:
    from framelens.media._sniff import SUPPORTED_FORMATS

    return UnsupportedMediaError(
        f"The file is a ZIP archive but not a DOCX document ({why}). Supported: "
        f"{SUPPORTED_FORMATS}.",
        details={"detected": "zip"},
    )


def inspect_docx(fh: IO[bytes], limits: DocxLimits | None = None) -> str:
    """Prove by content that ``fh`` is a DOCX that is safe to open; return its main part name.

    Cheap enough for the upload path: the central directory, ``[Content_Types].xml`` and the
    main part's prolog are read; nothing else is decompressed.

    Raises:
        UnsupportedMediaError: a ZIP that is not a DOCX.
        UnprocessableMediaError: damaged or encrypted; ``UnsafeDocumentError`` subclasses
            (``ZipBombError``, ``ZipPathError``, ``XmlEntityError``) for refused archives.

    Examples:
        >>> with open("report.docx", "rb") as fh:  # doctest: +SKIP
        ...     inspect_docx(fh)
        'word/document.xml'
    """
    limits = limits or DocxLimits()
    try:
        with zipfile.ZipFile(fh) as archive:
            check_archive(archive, limits)
            name = main_part_name(archive, limits)
            root = _prolog_of(archive, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise UnprocessableMediaError(
            "The file looks like a ZIP/DOCX archive but could not be read; it may be truncated "
            "or corrupt. Save the document again and re-upload it.",
            details={"detected": "zip"},
        ) from exc
    if root != _WORD_DOCUMENT:
        raise _not_docx(f"its main part's root element is {root.split(' ')[-1]!r}")
    return name


def _prolog_of(archive: zipfile.ZipFile, name: str) -> str:
    # Stream the main part only up to its root element, never the whole (possibly large) document;
    # check_archive already bounded its declared size, which zipfile never reads past.
    with archive.open(name) as fh:
        return check_xml_prolog(iter(lambda: fh.read(_CHUNK), b""), name)
