"""Reading a DOCX document safely into ordered blocks: text and embedded images.

Owns: ``read_document`` and its block types. Text of paragraphs, table cells (one block per cell,
merged cells once, nested tables after their cell) and headers/footers, in document order
(headers, body, footers), read with python-docx; the embedded images (DrawingML ``a:blip`` and
legacy VML ``v:imagedata``) where they occur, split out of the paragraph text around them. Before
python-docx sees anything, the archive passes ``media._docx_archive``'s limits and every XML part
its DTD check. Does not own: decoding the images or reading their text (the engine and the
``ocr`` analyzer).

Not read: footnotes, endnotes, comments and deleted (tracked) text; text boxes are read inline in
the paragraph that anchors them.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from framelens.errors import MediaTooLargeError, UnprocessableMediaError
from framelens.media._docx_archive import (
    DocxLimits,
    check_archive,
    check_xml_prolog,
    looks_like_xml,
    main_part_name,
    read_member,
)
from framelens.media._sniff import image_header_size, sniff
from framelens.media.exceptions import ZipBombError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["DocumentContent", "DocumentImage", "DocumentText", "DocxLimits", "read_document"]

TextKind = Literal["paragraph", "table_cell", "header", "footer"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_V = "{urn:schemas-microsoft-com:vml}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_TEXT_TAGS = {f"{_W}t": None, f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n"}
_IMAGE_TAGS = {f"{_A}blip": f"{_R}embed", f"{_V}imagedata": f"{_R}id"}
_MAX_FILE_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class DocumentText:
    """A block of text: a paragraph (or the part of it between images), a cell, header or footer.

    Attributes:
        index: position of the block in the document (blocks of all kinds share the count).
        kind: where the text sits.
        text: the text; tabs and line breaks kept, never empty.
        table, row, column: for table cells, the table's position in the document (0-based, in
            document order) and the cell's row and first grid column.
    """

    index: int
    kind: TextKind
    text: str
    table: int | None = None
    row: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class DocumentImage:
    """An embedded image where it occurs.

    Attributes:
        index: position of the block in the document.
        data: the image file's bytes as stored in the package.
        content_type: its MIME type as the package declares it.
        part: its part name, e.g. ``/word/media/image1.png``.
        within: the kind of text block it sits in.
    """

    index: int
    data: bytes
    content_type: str
    part: str
    within: TextKind


DocumentBlock = DocumentText | DocumentImage


@dataclass(frozen=True, slots=True)
class DocumentContent:
    """A document as ordered blocks; ``main_part`` is the package's main part name."""

    blocks: tuple[DocumentBlock, ...]
    main_part: str

    @property
    def text(self) -> str:
        """All text blocks joined by newlines (images excluded)."""
        return "\n".join(b.text for b in self.blocks if isinstance(b, DocumentText))


@dataclass(frozen=True, slots=True)
class _ImageRef:
    part: Any  # a python-docx ImagePart (any related part with a blob)


def read_document(source: Path | bytes, limits: DocxLimits | None = None) -> DocumentContent:
    """Read a DOCX into ordered text and image blocks, refusing unsafe archives first.

    Args:
        source: the file, or its bytes.
        limits: archive limits (defaults: ``DocxLimits()``).

    Returns:
        The blocks in document order.

    Raises:
        ZipBombError, ZipPathError, XmlEntityError: an unsafe archive (422).
        UnsupportedMediaError: a ZIP that is not a DOCX.
        UnprocessableMediaError: damaged, encrypted or not parseable.

    Examples:
        >>> content = read_document(Path("report.docx"))  # doctest: +SKIP
        >>> [b.text for b in content.blocks if isinstance(b, DocumentText)][:2]
        ['AI Models Server Deployment Guide', 'Purpose & Scope:']
    """
    limits = limits or DocxLimits()
    data = _read_source(source)
    main = _check_package(data, limits)
    document = _open(data)
    walker = _Walker(limits)
    walker.run(document)
    return DocumentContent(tuple(walker.blocks), main)


def _read_source(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    path = Path(source)
    if path.stat().st_size > _MAX_FILE_BYTES:
        raise MediaTooLargeError(
            f"The document is larger than {_MAX_FILE_BYTES} bytes.",
            details={"max_bytes": _MAX_FILE_BYTES},
        )
    return path.read_bytes()


def _check_package(data: bytes, limits: DocxLimits) -> str:
    """All of ``_docx_archive``'s checks, and the DTD check on every XML part python-docx reads."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_archive(archive, limits)
            main = main_part_name(archive, limits)
            for info in archive.infolist():
                if info.is_dir():
                    continue
                part = read_member(archive, info.filename, limits)
                if looks_like_xml(part):
                    check_xml_prolog(part, info.filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise _unreadable() from exc
    return main


def _unreadable() -> UnprocessableMediaError:
    return UnprocessableMediaError(
        "The DOCX document could not be read; it may be truncated or corrupt. Save it again "
        "from Word and re-upload it.",
        details={"detected": "docx"},
    )


def _open(data: bytes) -> Any:
    import docx
    from docx.opc.exceptions import OpcError
    from lxml import etree

    try:
        return docx.Document(io.BytesIO(data))
    except (OpcError, ValueError, KeyError, etree.LxmlError, zipfile.BadZipFile) as exc:
        raise _unreadable() from exc


def _in_fallback(element: Any) -> bool:
    # mc:AlternateContent repeats a drawing as a VML fallback: read only the preferred choice.
    return any(a.tag == _MC_FALLBACK for a in element.iterancestors())


class _Walker:
    """Collects blocks in document order: headers, body, footers."""

    def __init__(self, limits: DocxLimits) -> None:
        self.limits = limits
        self.blocks: list[DocumentBlock] = []
        self.tables = 0
        self.images = 0

    def run(self, document: Any) -> None:
        stories = list(_stories(document, "header"))
        for story in stories:
            self.story(story, "header")
        self.story(document, "paragraph")
        for story in _stories(document, "footer"):
            self.story(story, "footer")

    def story(self, container: Any, kind: TextKind) -> None:
        from docx.text.paragraph import Paragraph

        for item in container.iter_inner_content():
            if isinstance(item, Paragraph):
                self.emit(_pieces(item), kind)
            else:
                self.table(item, kind)

    def table(self, table: Any, kind: TextKind) -> None:
        from docx.text.paragraph import Paragraph

        number = self.tables
        self.tables += 1
        seen: set[Any] = set()
        cell_kind: TextKind = "table_cell" if kind == "paragraph" else kind
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row.cells):
                if cell._tc in seen:  # a merged cell repeats for every grid column it spans
                    continue
                seen.add(cell._tc)
                pieces: list[str | _ImageRef] = []
                nested = []
                for item in cell.iter_inner_content():
                    if isinstance(item, Paragraph):
                        pieces += [*_pieces(item), "\n"]
                    else:
                        nested.append(item)
                self.emit(pieces, cell_kind, (number, r, c))
                for inner in nested:
                    self.table(inner, kind)

    def emit(
        self,
        pieces: Iterable[str | _ImageRef],
        kind: TextKind,
        cell: tuple[int, int, int] | None = None,
    ) -> None:
        text: list[str] = []
        for piece in pieces:
            if isinstance(piece, str):
                text.append(piece)
                continue
            self.text("".join(text), kind, cell)
            text = []
            self.image(piece, kind)
        self.text("".join(text), kind, cell)

    def text(self, text: str, kind: TextKind, cell: tuple[int, int, int] | None) -> None:
        text = text.strip()
        if text:
            table, row, column = cell or (None, None, None)
            self.blocks.append(DocumentText(len(self.blocks), kind, text, table, row, column))

    def image(self, ref: _ImageRef, within: TextKind) -> None:
        self.images += 1
        if self.images > self.limits.max_images:
            raise ZipBombError(
                f"The document places more than {self.limits.max_images} images.",
                details={"max_images": self.limits.max_images},
            )
        data: bytes = ref.part.blob
        _check_pixels(data, str(ref.part.partname), self.limits)
        self.blocks.append(
            DocumentImage(
                len(self.blocks), data, str(ref.part.content_type), str(ref.part.partname), within
            )
        )


def _stories(document: Any, which: str) -> Iterator[Any]:
    """Each section's distinct header (or footer) definitions, once each."""
    seen: set[Any] = set()
    for section in document.sections:
        for name in (f"first_page_{which}", which, f"even_page_{which}"):
            story = getattr(section, name)
            if story.is_linked_to_previous:
                continue
            if story.part in seen:
                continue
            seen.add(story.part)
            yield story


def _pieces(paragraph: Any) -> list[str | _ImageRef]:
    """The paragraph's text runs and images, in order."""
    out: list[str | _ImageRef] = []
    related = paragraph.part.related_parts
    for element in paragraph._element.iter(*_TEXT_TAGS, *_IMAGE_TAGS):
        if _in_fallback(element):
            continue
        tag = element.tag
        if tag in _TEXT_TAGS:
            out.append(_TEXT_TAGS[tag] or element.text or "")
            continue
        part = related.get(element.get(_IMAGE_TAGS[tag]))
        if part is not None and hasattr(part, "blob"):
            out.append(_ImageRef(part))
    return out


def _check_pixels(data: bytes, part: str, limits: DocxLimits) -> None:
    sniffed = sniff(data[:4096])
    if sniffed is None or sniffed.kind != "image":
        return  # EMF, WMF, SVG...: the engine skips what it cannot decode
    size = image_header_size(data, sniffed.container)
    if size is not None and size[0] * size[1] > limits.max_image_pixels:
        raise ZipBombError(
            f"The embedded image {part[:100]!r} declares {size[0]}x{size[1]} pixels, more than "
            f"the limit of {limits.max_image_pixels}.",
            details={"member": part[:200], "width": size[0], "height": size[1]},
        )
