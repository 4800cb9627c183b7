"""Errors of reading documents safely: archives refused before they can hurt the reader.

Owns: ``UnsafeDocumentError`` and its subclasses. They are ``UnprocessableMediaError``s (422): the
content is a recognised format that Framelens refuses to open. A ZIP that is not a DOCX is an
``UnsupportedMediaError`` and a damaged one an ``UnprocessableMediaError`` (``framelens.errors``).
"""

from __future__ import annotations

from framelens.errors import UnprocessableMediaError

__all__ = ["UnsafeDocumentError", "XmlEntityError", "ZipBombError", "ZipPathError"]


class UnsafeDocumentError(UnprocessableMediaError):
    """A document archive was refused because reading it could exhaust memory or time."""

    code = "unsafe_document"
    http_status = 422


class ZipBombError(UnsafeDocumentError):
    """A document archive expands past the size, ratio, member or image limits."""

    code = "document_too_large_uncompressed"


class XmlEntityError(UnsafeDocumentError):
    """A document part declares a DTD or entities (entity expansion), or an unreadable encoding."""

    code = "document_xml_entities"


class ZipPathError(UnsafeDocumentError):
    """A document archive member has an absolute, parent-relative, duplicate or link name."""

    code = "document_member_path"
