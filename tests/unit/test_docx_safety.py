"""Unsafe DOCX archives are refused with clear 422s on both the upload check and the reader.

Zip bombs, too many members, path tricks (parent-relative, absolute, duplicate, symlink) and XML
entity expansion (billion laughs, also UTF-16 encoded) never reach python-docx; a ZIP that is
another Office format is an unsupported type (415, the seed 000 OCR route's 400).
"""

from __future__ import annotations

import stat
import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING

import pytest

from framelens.errors import UnsupportedMediaError
from framelens.media import inspect_media
from framelens.media.document import read_document
from framelens.media.exceptions import (
    UnsafeDocumentError,
    XmlEntityError,
    ZipBombError,
    ZipPathError,
)
from tests.media import docx_file

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

LIMITS = {"max_image_pixels": 50_000_000, "max_video_seconds": 3600.0}
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def _rewrite(
    src: Path, dst: Path, change: Callable[[zipfile.ZipFile, zipfile.ZipFile], None]
) -> Path:
    """Copy a DOCX member by member, letting ``change`` write into (or instead of) the copy."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        change(old, new)
    return dst


def _with(
    extra: dict[str, bytes], replace: bool = True
) -> Callable[[zipfile.ZipFile, zipfile.ZipFile], None]:
    def change(old: zipfile.ZipFile, new: zipfile.ZipFile) -> None:
        for info in old.infolist():
            if not (replace and info.filename in extra):
                new.writestr(info, old.read(info))
        for name, data in extra.items():
            new.writestr(name, data)

    return change


def _bomb(tmp_path: Path, docx_path: Path) -> Path:
    # 20 MB of zeros deflates ~1000x: refused from the central directory, nothing inflated.
    return _rewrite(
        docx_path, tmp_path / "bomb.docx", _with({"word/media/zeros.bin": bytes(20 << 20)})
    )


def _many_members(tmp_path: Path, docx_path: Path) -> Path:
    extra = {f"customXml/item{i}.xml": b"<a/>" for i in range(1200)}
    return _rewrite(docx_path, tmp_path / "many.docx", _with(extra))


def _parent_path(tmp_path: Path, docx_path: Path) -> Path:
    return _rewrite(docx_path, tmp_path / "dotdot.docx", _with({"word/../../evil.xml": b"<a/>"}))


def _absolute_path(tmp_path: Path, docx_path: Path) -> Path:
    return _rewrite(docx_path, tmp_path / "abs.docx", _with({"/etc/evil.xml": b"<a/>"}))


def _duplicate(tmp_path: Path, docx_path: Path) -> Path:
    def change(old: zipfile.ZipFile, new: zipfile.ZipFile) -> None:
        _with({})(old, new)
        new.writestr("WORD/DOCUMENT.XML", old.read("word/document.xml"))

    return _rewrite(docx_path, tmp_path / "dup.docx", change)


def _symlink(tmp_path: Path, docx_path: Path) -> Path:
    def change(old: zipfile.ZipFile, new: zipfile.ZipFile) -> None:
        _with({})(old, new)
        link = zipfile.ZipInfo("word/media/link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        new.writestr(link, "/etc/passwd")

    return _rewrite(docx_path, tmp_path / "link.docx", change)


def _entities(tmp_path: Path, docx_path: Path) -> Path:
    return _rewrite(
        docx_path, tmp_path / "lol.docx", _with({"word/document.xml": BILLION_LAUGHS.encode()})
    )


def _entities_utf16(tmp_path: Path, docx_path: Path) -> Path:
    data = BILLION_LAUGHS.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode(
        "utf-16"
    )
    return _rewrite(docx_path, tmp_path / "lol16.docx", _with({"word/document.xml": data}))


def _entities_in_styles(tmp_path: Path, docx_path: Path) -> Path:
    # Not the main part: only the full reader parses it, and it must be checked too.
    styles = b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "y">]><s/>'
    return _rewrite(docx_path, tmp_path / "styles.docx", _with({"word/styles.xml": styles}))


CASES = [
    ("zip bomb", _bomb, ZipBombError),
    ("too many members", _many_members, ZipBombError),
    ("parent-relative member", _parent_path, ZipPathError),
    ("absolute member", _absolute_path, ZipPathError),
    ("duplicate member", _duplicate, ZipPathError),
    ("symlink member", _symlink, ZipPathError),
    ("billion laughs", _entities, XmlEntityError),
    ("billion laughs in UTF-16", _entities_utf16, XmlEntityError),
]


@pytest.fixture(scope="module")
def plain_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return docx_file(tmp_path_factory.mktemp("docx") / "plain.docx", ("Hello",)).path


@pytest.mark.parametrize(("label", "make", "error"), CASES, ids=[c[0] for c in CASES])
def test_upload_check_refuses_unsafe_archives(
    label: str,
    make: Callable[[Path, Path], Path],
    error: type[Exception],
    tmp_path: Path,
    plain_docx: Path,
) -> None:
    # GIVEN an unsafe DOCX WHEN the upload path inspects it THEN it is refused with a clear 422
    with pytest.raises(error) as caught:
        inspect_media(make(tmp_path, plain_docx), **LIMITS)
    assert isinstance(caught.value, UnsafeDocumentError)
    assert caught.value.http_status == 422
    assert caught.value.message


@pytest.mark.parametrize(("label", "make", "error"), CASES, ids=[c[0] for c in CASES])
def test_reader_refuses_unsafe_archives(
    label: str,
    make: Callable[[Path, Path], Path],
    error: type[Exception],
    tmp_path: Path,
    plain_docx: Path,
) -> None:
    # GIVEN an unsafe DOCX WHEN the analysis reader opens it THEN the same error, before parsing
    with pytest.raises(error):
        read_document(make(tmp_path, plain_docx))


def test_reader_checks_every_xml_part_not_only_the_main_one(
    tmp_path: Path, plain_docx: Path
) -> None:
    # GIVEN a DOCX whose styles part declares entities
    path = _entities_in_styles(tmp_path, plain_docx)
    # WHEN read THEN refused (the upload check, which reads only the main part, lets it pass)
    with pytest.raises(XmlEntityError, match=r"styles\.xml"):
        read_document(path)
    assert inspect_media(path, **LIMITS).media_type == "document"


def test_a_spreadsheet_zip_is_unsupported_and_named(tmp_path: Path, plain_docx: Path) -> None:
    # GIVEN an XLSX-like package (its main part is a workbook)
    xlsx = tmp_path / "sheet.docx"
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
    )
    with zipfile.ZipFile(xlsx, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("xl/workbook.xml", "<workbook/>")
    # WHEN inspected THEN unsupported, saying what it is
    with pytest.raises(UnsupportedMediaError, match="Excel"):
        inspect_media(xlsx, **LIMITS)


def test_upload_check_of_a_docx_imports_nothing_heavy(plain_docx: Path) -> None:
    # GIVEN a fresh interpreter (the API's cold path) WHEN it validates a DOCX
    code = (
        "import sys; from pathlib import Path; from framelens.media.validate import inspect_media;"
        f"inspect_media(Path({str(plain_docx)!r}), max_image_pixels=1, max_video_seconds=1.0);"
        "print(sorted(m for m in ('docx', 'lxml', 'cv2', 'onnxruntime', 'rapidocr_onnxruntime',"
        " 'lingua', 'numpy', 'av') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # THEN no OCR, DOCX, OpenCV, onnxruntime or numpy module was loaded
    assert out.stdout.strip() == "[]"
