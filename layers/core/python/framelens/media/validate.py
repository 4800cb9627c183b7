"""Validation by content: decide what an uploaded file is and whether Framelens can process it.

Owns: ``inspect_media`` and ``InspectedMedia``. The file name is never consulted: the type comes
from magic bytes, then a real decode proves it (an image decodes to pixels, a video opens with
PyAV and yields a frame, a DOCX is a ZIP whose content types name a Word main part, refused as a
zip bomb, for unsafe member names or for XML entities: ``media._docx_archive``). Limits (pixels,
seconds) are checked from headers before anything large is decoded. Does not own: size-in-bytes
limits (the upload route counts bytes as they arrive) or storing the file (``stores``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from framelens.errors import MediaTooLongError, UnprocessableMediaError, UnsupportedMediaError
from framelens.media._docx_archive import inspect_docx
from framelens.media._sniff import DOCX_CONTENT_TYPE, HEAD_BYTES, SUPPORTED_FORMATS, sniff
from framelens.media.probe import VideoFacts, image_declared_size, read_image_size, read_video
from framelens.schemas.media import MediaProbe, MediaType

__all__ = ["InspectedMedia", "inspect_media", "inspect_video_stream"]


@dataclass(frozen=True, slots=True)
class InspectedMedia:
    """What a file turned out to be, decided from its content.

    Attributes:
        media_type: image, video or document.
        content_type: the MIME type implied by the content (not by the name or the client).
        probe: its metadata (empty for documents).
        container: short format name, e.g. ``"mp4"``, ``"png"``, ``"docx"``.
    """

    media_type: MediaType
    content_type: str
    probe: MediaProbe
    container: str


def _check_pixels(width: int, height: int, max_image_pixels: int, what: str) -> None:
    if width * height > max_image_pixels:
        raise MediaTooLongError(
            f"The {what} dimensions {width}x{height} ({width * height} pixels) exceed the limit "
            f"of {max_image_pixels} pixels. Downscale it and upload again.",
            details={"width": width, "height": height, "max_pixels": max_image_pixels},
        )


def _check_duration(facts: VideoFacts, max_video_seconds: float) -> None:
    if facts.duration is not None and facts.duration > max_video_seconds:
        seconds = float(facts.duration)
        raise MediaTooLongError(
            f"The video lasts {seconds:.1f} s, longer than the limit of {max_video_seconds:g} s. "
            "Trim it or split it into shorter parts and upload them separately.",
            details={"duration_s": seconds, "max_video_seconds": max_video_seconds},
        )


def _inspect_image(
    path: Path, container: str, content_type: str, max_pixels: int
) -> InspectedMedia:
    declared = image_declared_size(path, container)
    if declared is not None:
        # Refuse before decoding: a 30000x30000 header would make the decoder allocate gigabytes.
        _check_pixels(*declared, max_pixels, "image")
    width, height = read_image_size(path, container)
    _check_pixels(width, height, max_pixels, "image")
    probe = MediaProbe(width=width, height=height, codec=container, container=container)
    return InspectedMedia(MediaType.image, content_type, probe, container)


def _inspect_video(
    path: Path | BinaryIO, content_type: str, max_pixels: int, max_seconds: float
) -> InspectedMedia:
    def limits(facts: VideoFacts) -> None:
        if facts.width and facts.height:
            _check_pixels(facts.width, facts.height, max_pixels, "video frame")
        _check_duration(facts, max_seconds)

    facts = read_video(path, before_decode=limits)
    limits(facts)  # the decoded size and a counted duration may differ from the header's
    return InspectedMedia(MediaType.video, content_type, facts.to_probe(), facts.container)


def _inspect_zip(path: Path) -> InspectedMedia:
    # A real parse of the package (content types, main part's root) with zip-bomb, path and
    # entity-expansion limits; stdlib only, so the upload path stays light.
    with path.open("rb") as fh:
        inspect_docx(fh)
    return InspectedMedia(
        MediaType.document, DOCX_CONTENT_TYPE, MediaProbe(container="docx"), "docx"
    )


def _read_head(fh: BinaryIO) -> bytes:
    """The first bytes of a file, enough to sniff its format.

    Raises:
        UnprocessableMediaError: the file is empty.
    """
    head = fh.read(HEAD_BYTES)
    if not head:
        raise UnprocessableMediaError(
            "The file is empty (0 bytes). Check that the upload sent the file's content.",
            details={"size": 0},
        )
    return head


def inspect_media(path: Path, *, max_image_pixels: int, max_video_seconds: float) -> InspectedMedia:
    """Decide by content what a file is, prove it decodes, and enforce the media limits.

    Args:
        path: the file as stored (its name is ignored).
        max_image_pixels: largest ``width * height`` accepted, for images and video frames.
        max_video_seconds: longest video duration accepted.

    Returns:
        The media type, content type, probe and container of the file.

    Raises:
        UnprocessableMediaError: empty, truncated, corrupt, or no decodable frame.
        UnsupportedMediaError: not a supported format (the message names what was detected),
            or a video file with no video stream.
        MediaTooLongError: dimensions or duration exceed the limits.

    Examples:
        >>> inspect_media(Path("upload.bin"), max_image_pixels=50_000_000,
        ...               max_video_seconds=3600).media_type  # doctest: +SKIP
        <MediaType.video: 'video'>
    """
    path = Path(path)
    with path.open("rb") as fh:
        head = _read_head(fh)
    sniffed = sniff(head)
    if sniffed is None or sniffed.kind == "unsupported":
        detected = sniffed.container if sniffed is not None else "unrecognised binary data"
        raise UnsupportedMediaError(
            f"Unsupported media: the content looks like {detected}, whatever the file name "
            f"says. Supported: {SUPPORTED_FORMATS}.",
            details={"detected": detected},
        )
    if sniffed.kind == "image":
        return _inspect_image(path, sniffed.container, sniffed.content_type, max_image_pixels)
    if sniffed.kind == "zip":
        return _inspect_zip(path)
    return _inspect_video(path, sniffed.content_type, max_image_pixels, max_video_seconds)


def inspect_video_stream(
    fh: BinaryIO, *, max_image_pixels: int, max_video_seconds: float
) -> InspectedMedia | None:
    """``inspect_media`` for a seekable file object, when its content is a video.

    A video is checked exactly as ``inspect_media`` checks it, reading only what the demuxer
    seeks to (the head, the index, the first frames): over a ``BlobReader`` that is a few ranged
    reads, not a download of a file of up to 5 GiB. Images and documents are decoded whole, so
    they answer ``None``: give their file to ``inspect_media``.

    Raises:
        UnprocessableMediaError: empty, truncated, corrupt, or no decodable frame.
        UnsupportedMediaError: a video container with no video stream.
        MediaTooLongError: dimensions or duration exceed the limits.
    """
    fh.seek(0)
    head = _read_head(fh)
    sniffed = sniff(head)
    if sniffed is None or sniffed.kind != "video":
        return None
    return _inspect_video(fh, sniffed.content_type, max_image_pixels, max_video_seconds)
