"""Frame images: one exact frame of a video (optionally cropped) encoded as JPEG or PNG.

Owns: ``extract_frame`` (frame-accurate random access) and ``encode_image``. Does not own: the
streaming decode pass that feeds analyzers (``framelens.engine``). PyAV, OpenCV and numpy are
imported inside functions so importing this module stays cheap.

Frame-accurate means by index in display order, whatever the frame rate: the frame's PTS is found
by demuxing packets (no decoding), then the decoder seeks to the keyframe at or before it and
decodes forward until that PTS. This stays correct for variable frame rate and B-frames, where
``index / fps`` would land on the wrong frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from framelens.errors import UnprocessableMediaError, ValidationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["crop_image", "encode_image", "extract_frame", "read_frame"]

ImageFormat = Literal["jpeg", "png"]
# B-frame reordering never spans more than this many packets, so once this many packets past the
# target have been demuxed, the sorted PTS list is final up to the target.
_REORDER_MARGIN = 32


def encode_image(bgr: npt.NDArray[np.uint8], fmt: ImageFormat = "jpeg", quality: int = 90) -> bytes:
    """Encode a BGR (or grey) image as JPEG or PNG.

    Args:
        bgr: ``HxWx3`` BGR or ``HxW`` grey uint8 pixels.
        fmt: ``"jpeg"`` or ``"png"``.
        quality: JPEG quality 1..100 (ignored for PNG, which is lossless).

    Returns:
        The encoded bytes.

    Raises:
        ValidationError: unknown format or quality out of range.

    Examples:
        >>> import numpy as np
        >>> encode_image(np.zeros((8, 8, 3), np.uint8), "png")[:4]
        b'\\x89PNG'
    """
    import cv2

    if fmt not in ("jpeg", "png"):
        raise ValidationError(f"Unknown image format {fmt!r}; use 'jpeg' or 'png'.")
    if not 1 <= quality <= 100:
        raise ValidationError(f"JPEG quality must be between 1 and 100, got {quality}.")
    if fmt == "jpeg":
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    else:
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ValidationError(f"The image could not be encoded as {fmt} (shape {bgr.shape}).")
    return buf.tobytes()


def _frame_pts(container: Any, stream: Any, index: int) -> list[int] | None:
    """Display-order PTS of frames ``0..index`` (all frames if the index is past the end).

    Returns ``None`` when packets carry no PTS (then frames must be counted by decoding).
    """
    seen: list[int] = []
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        if packet.pts is None:
            return None
        seen.append(packet.pts)
        if len(seen) > index + _REORDER_MARGIN:
            break
    seen.sort()
    return seen


def _decode_at(container: Any, stream: Any, target_pts: int) -> Any:
    # Seeking by PTS lands on the keyframe at or before it; decode forward to the exact frame.
    container.seek(target_pts, stream=stream, backward=True, any_frame=False)
    for frame in container.decode(stream):
        if frame.pts is None:
            continue
        if frame.pts == target_pts:
            return frame
        if frame.pts > target_pts:
            break
    return None


def is_index_clocked(container: Any) -> bool:
    """Whether frame times must come from the frame index, not the decoder's PTS.

    AVI stores no presentation times: FFmpeg labels packets in decode order, so with B-frames the
    decoded frames carry shuffled PTS (1, 4, 3, 5, 2, ...). AVI is constant frame rate, so the
    index over the frame rate is the true time.
    """
    return "avi" in str(container.format.name).split(",")


def _decode_counting(container: Any, stream: Any, index: int) -> tuple[Any, int]:
    """Decode from the start counting frames; returns (frame or None, frames seen)."""
    count = 0
    for frame in container.decode(stream):
        if count == index:
            return frame, count + 1
        count += 1
    return None, count


def _out_of_range(index: int, frames: int) -> ValidationError:
    return ValidationError(
        f"Frame index {index} is out of range: the video has {frames} frames "
        f"(valid indices 0..{frames - 1}).",
        details={"index": index, "frames": frames},
    )


def _to_display_bgr(frame: Any) -> npt.NDArray[np.uint8]:
    import cv2

    image: npt.NDArray[np.uint8] = frame.to_ndarray(format="bgr24")
    # frame.rotation is counter-clockwise; players turn the picture clockwise by its negation.
    clockwise = round(-frame.rotation / 90.0) * 90 % 360 if frame.rotation else 0
    turns = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return (
        cast("npt.NDArray[np.uint8]", cv2.rotate(image, turns[clockwise])) if clockwise else image
    )


def crop_image(
    image: npt.NDArray[np.uint8], crop: tuple[int, int, int, int]
) -> npt.NDArray[np.uint8]:
    """``image[y1:y2, x1:x2]`` for ``crop = (x1, y1, x2, y2)``, clamped to the image.

    Raises:
        ValidationError: the clamped crop is empty.
    """
    height, width = image.shape[:2]
    x1, y1, x2, y2 = (int(v) for v in crop)
    x1, x2 = max(0, min(x1, width)), max(0, min(x2, width))
    y1, y2 = max(0, min(y1, height)), max(0, min(y2, height))
    if x2 <= x1 or y2 <= y1:
        raise ValidationError(
            f"Crop {tuple(crop)} is empty inside the {width}x{height} frame; give "
            "(x1, y1, x2, y2) in display pixels with x1 < x2 and y1 < y2.",
            details={"crop": list(crop), "width": width, "height": height},
        )
    return image[y1:y2, x1:x2]


def read_frame(path: Path, index: int) -> npt.NDArray[np.uint8]:
    """Decode frame ``index`` (display order) as a BGR array in display orientation.

    Raises:
        ValidationError: the index is negative or past the last frame.
        UnprocessableMediaError: the file has no decodable video stream.
    """
    import av

    if index < 0:
        raise ValidationError(f"Frame index must be 0 or more, got {index}.")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise UnprocessableMediaError("The file has no video stream to take a frame from.")
            stream = container.streams.video[0]
            pts = None if is_index_clocked(container) else _frame_pts(container, stream, index)
            if pts is not None and index >= len(pts):
                raise _out_of_range(index, len(pts))
            frame = None
            if pts is not None:
                frame = _decode_at(container, stream, pts[index])
            if frame is None:
                # Packets without PTS, or a seek that missed: count frames from the start.
                container.seek(0, stream=stream, backward=True, any_frame=False)
                frame, seen = _decode_counting(container, stream, index)
                if frame is None:
                    raise _out_of_range(index, seen)
            return _to_display_bgr(frame)
    except av.FFmpegError as exc:
        raise UnprocessableMediaError(
            f"Frame {index} could not be decoded ({exc.strerror}); the file may be corrupt."
        ) from exc


def extract_frame(
    path: Path,
    index: int,
    *,
    crop: tuple[int, int, int, int] | None = None,
    fmt: ImageFormat = "jpeg",
    quality: int = 90,
) -> bytes:
    """Return frame ``index`` of a video as an encoded image, optionally cropped.

    Args:
        path: the video file.
        index: zero-based frame index in display order (as ``engine.base.Frame.index``).
        crop: ``(x1, y1, x2, y2)`` in display pixels (after rotation); clamped to the frame.
        fmt: ``"jpeg"`` or ``"png"``.
        quality: JPEG quality 1..100.

    Returns:
        The encoded image bytes.

    Raises:
        ValidationError: index out of range (the message names the frame count), empty crop,
            or bad format/quality.
        UnprocessableMediaError: the video cannot be decoded.

    Examples:
        >>> jpeg = extract_frame(Path("clip.mp4"), 42, crop=(10, 10, 90, 70))  # doctest: +SKIP
    """
    image = read_frame(Path(path), index)
    if crop is not None:
        image = crop_image(image, crop)
    return encode_image(image, fmt, quality)
