"""Validation by content: ``inspect_media`` decides type from bytes, refuses bad media clearly."""

from __future__ import annotations

import zipfile
from typing import TYPE_CHECKING

import pytest

from framelens.errors import MediaTooLongError, UnprocessableMediaError, UnsupportedMediaError
from framelens.media import inspect_media
from framelens.media._sniff import sniff
from framelens.schemas.media import MediaType
from tests.media import truncated_copy

if TYPE_CHECKING:
    from pathlib import Path

    from tests.media import Generated

LIMITS = {"max_image_pixels": 50_000_000, "max_video_seconds": 3600.0}


def test_video_is_recognised_by_content_not_name(cuts_clip: Generated, tmp_path: Path) -> None:
    # GIVEN an MP4 saved under a misleading name
    disguised = tmp_path / "holiday.txt"
    disguised.write_bytes(cuts_clip.path.read_bytes())
    # WHEN it is inspected
    result = inspect_media(disguised, **LIMITS)
    # THEN it is a video with the probe of the generated clip
    assert result.media_type is MediaType.video
    assert result.content_type == "video/mp4"
    assert result.container == "mp4"
    assert (result.probe.width, result.probe.height) == (160, 120)
    assert result.probe.frames == cuts_clip.frames


@pytest.mark.parametrize(
    ("fixture", "content_type"), [("jpeg_file", "image/jpeg"), ("png_file", "image/png")]
)
def test_images_decode_and_report_size(
    fixture: str, content_type: str, request: pytest.FixtureRequest
) -> None:
    # GIVEN a generated image
    image: Generated = request.getfixturevalue(fixture)
    # WHEN it is inspected
    result = inspect_media(image.path, **LIMITS)
    # THEN its type and decoded size are reported
    assert result.media_type is MediaType.image
    assert result.content_type == content_type
    assert (result.probe.width, result.probe.height) == (image.width, image.height)


def test_docx_is_a_document(docx: Generated) -> None:
    # GIVEN a minimal DOCX WHEN inspected THEN it is a document
    result = inspect_media(docx.path, **LIMITS)
    assert result.media_type is MediaType.document
    assert result.container == "docx"
    assert result.content_type.endswith("wordprocessingml.document")


def test_zip_that_is_not_docx_is_unsupported(tmp_path: Path) -> None:
    # GIVEN a ZIP without word/document.xml
    archive = tmp_path / "report.docx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("notes.txt", "hello")
    # WHEN inspected THEN it is refused as unsupported, naming the missing part
    with pytest.raises(UnsupportedMediaError, match=r"word/document\.xml"):
        inspect_media(archive, **LIMITS)


def test_truncated_docx_is_unprocessable(docx: Generated, tmp_path: Path) -> None:
    # GIVEN a DOCX cut in half (central directory gone)
    broken = truncated_copy(docx.path, tmp_path / "cut.docx", docx.path.stat().st_size // 2)
    # WHEN inspected THEN it is unprocessable
    with pytest.raises(UnprocessableMediaError, match="ZIP/DOCX"):
        inspect_media(broken, **LIMITS)


def test_empty_file_is_unprocessable(bad_media: dict[str, Path]) -> None:
    with pytest.raises(UnprocessableMediaError, match="empty"):
        inspect_media(bad_media["empty"], **LIMITS)


def test_text_renamed_mp4_is_unsupported_and_says_what_it_is(bad_media: dict[str, Path]) -> None:
    # GIVEN plain text named notes.mp4 WHEN inspected
    with pytest.raises(UnsupportedMediaError) as caught:
        inspect_media(bad_media["text_as_mp4"], **LIMITS)
    # THEN the message names what was detected and what is supported
    assert "plain text" in caught.value.message
    assert "MP4" in caught.value.message
    assert caught.value.http_status == 415


@pytest.mark.parametrize("name", ["truncated", "corrupt"])
def test_broken_video_is_unprocessable(name: str, bad_media: dict[str, Path]) -> None:
    # GIVEN an MP4 whose magic is intact but whose content is cut or scrambled
    # WHEN inspected THEN it is refused as unprocessable (422), suggesting a re-upload
    with pytest.raises(UnprocessableMediaError, match="re-upload") as caught:
        inspect_media(bad_media[name], **LIMITS)
    assert caught.value.http_status == 422


def test_audio_only_is_unsupported(audio_only: Generated) -> None:
    with pytest.raises(UnsupportedMediaError, match="no video stream"):
        inspect_media(audio_only.path, **LIMITS)


def test_huge_png_is_refused_from_its_header(huge_png: Generated) -> None:
    # GIVEN a 138-byte PNG declaring 30000x30000 WHEN inspected
    with pytest.raises(MediaTooLongError, match="30000x30000") as caught:
        inspect_media(huge_png.path, **LIMITS)
    # THEN the limit is named in the error details
    assert caught.value.details["max_pixels"] == LIMITS["max_image_pixels"]


def test_video_frame_size_limit(cuts_clip: Generated) -> None:
    # GIVEN a 160x120 clip and a limit of 10000 pixels WHEN inspected THEN refused
    with pytest.raises(MediaTooLongError, match="160x120"):
        inspect_media(cuts_clip.path, max_image_pixels=10_000, max_video_seconds=3600)


def test_video_duration_limit(cuts_clip: Generated) -> None:
    # GIVEN a 4 s clip and a 2 s limit WHEN inspected THEN refused, naming both durations
    with pytest.raises(MediaTooLongError, match=r"4\.0 s.*2 s"):
        inspect_media(cuts_clip.path, max_image_pixels=10**8, max_video_seconds=2)


@pytest.mark.parametrize(
    ("head", "kind", "container"),
    [
        (b"\xff\xd8\xff\xe0" + bytes(20), "image", "jpeg"),
        (b"GIF89a" + bytes(20), "image", "gif"),
        (b"BM" + bytes(30), "image", "bmp"),
        (b"II*\x00" + bytes(20), "image", "tiff"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image", "webp"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video", "avi"),
        (b"\x00\x00\x00\x14ftypqt  ", "video", "mov"),
        (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00\x42\x82\x84webm", "video", "webm"),
        (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00\x42\x82\x88matroska", "video", "mkv"),
        (b"\x47" + bytes(187) + b"\x47" + bytes(187) + b"\x47" + bytes(10), "video", "mpegts"),
        (b"\x00\x00\x01\xba" + bytes(20), "video", "mpeg"),
        (b"FLV\x01\x05" + bytes(20), "video", "flv"),
        (b"%PDF-1.7\n" + bytes(20), "unsupported", "PDF document"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "unsupported", "WAV audio"),
    ],
)
def test_magic_bytes(head: bytes, kind: str, container: str) -> None:
    # GIVEN the leading bytes of a format WHEN sniffed THEN kind and container match
    sniffed = sniff(head)
    assert sniffed is not None
    assert (sniffed.kind, sniffed.container) == (kind, container)


def test_unknown_binary_is_unsupported(tmp_path: Path) -> None:
    blob = tmp_path / "clip.mp4"
    blob.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(UnsupportedMediaError, match="unrecognised binary"):
        inspect_media(blob, **LIMITS)
