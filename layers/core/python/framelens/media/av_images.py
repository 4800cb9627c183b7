"""Pictures of single frames through FFmpeg alone: frame-exact decode, crop, scale, JPEG, blur.

Owns: ``decode_frame`` (one display frame as a PyAV ``VideoFrame``, frame-exact through the
``FrameIndex``), ``read_frame_exact`` (the same frame as upright BGR pixels), ``frame_jpeg``
(the frame turned upright, cropped, scaled and encoded as JPEG by FFmpeg's filter graph and
MJPEG encoder) and ``frame_blur`` (FFmpeg's ``blurdetect`` of a box).
Does not own choosing frames or boxes (``media.thumbnails``, ``media.faces``) or seeking
(``media.seek``).

Why FFmpeg only: the API Lambda's layer carries PyAV but neither numpy nor OpenCV (Lambda's
250 MB limit, README "What deploys"), and thumbnails and face pictures are answered inline there.
Every step runs inside FFmpeg's libraries; no pixel crosses into Python.

Pixels: a whole frame is encoded full-range 4:2:0 (``yuvj420p``, as it was decoded); a crop is
first cut to the even-aligned box around it (exact in 4:2:0), converted to full-range 4:4:4 and
cut exactly, so it lands on the pixels asked for (4:2:0 chroma would round odd offsets). JPEGs
use a fixed quantiser from a 1..100 quality (``jpeg_qscale``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

from framelens.errors import UnprocessableMediaError
from framelens.media.seek import decode_from
from framelens.media.source import open_input

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import numpy.typing as npt

    from framelens.media.frame_index import FrameIndex
    from framelens.media.source import MediaSource

__all__ = [
    "Box",
    "decode_frame",
    "display_size",
    "frame_blur",
    "frame_jpeg",
    "jpeg_qscale",
    "read_frame_exact",
]

T = TypeVar("T")
# (x, y, width, height) in display pixels
Box = tuple[int, int, int, int]
_TIME_BASE = Fraction(1, 25)  # any: one picture goes through each graph


def _clockwise(frame: Any) -> int:
    # frame.rotation is counter-clockwise; players turn the picture clockwise by its negation.
    return round(-frame.rotation / 90.0) * 90 % 360 if frame.rotation else 0


def display_size(frame: Any) -> tuple[int, int]:
    """``(width, height)`` of a decoded frame as a player shows it (rotation applied)."""
    if _clockwise(frame) in (90, 270):
        return frame.height, frame.width
    return frame.width, frame.height


def decode_frame(source: MediaSource, frame: int, index: FrameIndex, use: Callable[[Any], T]) -> T:
    """Decode display frame ``frame`` and return ``use(av.VideoFrame)``, inside the decode.

    Raises:
        ValidationError: the frame is negative or past the end (the message names the count).
        UnprocessableMediaError: it cannot be decoded.
    """
    import av

    index.check(frame)
    try:
        with open_input(source) as container:
            stream = container.streams.video[0]
            stream.thread_type = "SLICE"
            for position, decoded in decode_from(container, stream, index, frame):
                if position == frame:
                    return use(decoded)
                break
    except av.FFmpegError as exc:
        raise UnprocessableMediaError(
            f"Frame {frame} could not be decoded ({exc.strerror}); the file may be corrupt."
        ) from exc
    raise UnprocessableMediaError(f"Frame {frame} is listed but no decoded frame matched it.")


def read_frame_exact(source: MediaSource, frame: int, index: FrameIndex) -> npt.NDArray[np.uint8]:
    """Decode display frame ``frame`` as BGR in display orientation.

    Args:
        source: the video (a path or a seekable binary file) ``index`` was built from.
        frame: zero-based display index.
        index: the file's ``FrameIndex``.

    Returns:
        ``HxWx3`` BGR uint8 pixels, rotated as a player shows them.

    Raises:
        ValidationError: the frame is negative or past the end (the message names the count).
        UnprocessableMediaError: it cannot be decoded.
    """
    # The same seek-and-decode as the served thumbnails, converted to pixels inside the decode.
    from framelens.media.frames import _to_display_bgr

    return decode_frame(source, frame, index, _to_display_bgr)


def jpeg_qscale(quality: int) -> int:
    """FFmpeg's MJPEG quantiser (1 best .. 31) for a JPEG quality 1..100 (100 → 1, 90 → 3).

    Examples:
        >>> [jpeg_qscale(q) for q in (100, 95, 90, 50, 1)]
        [1, 2, 3, 11, 21]
    """
    return max(1, min(31, round((100 - quality) / 5) + 1))


def _filtered(frame: Any, steps: list[tuple[str, str]]) -> Any:
    """``frame`` through a chain of FFmpeg filters ``(name, arguments)``; the one output."""
    import av.filter

    graph = av.filter.Graph()
    node = graph.add_buffer(
        width=frame.width, height=frame.height, format=frame.format, time_base=_TIME_BASE
    )
    for name, args in steps:
        nxt = graph.add(name, args)
        node.link_to(nxt)
        node = nxt
    node.link_to(graph.add("buffersink"))
    graph.configure()
    frame.pts = 0  # the graph needs a time; this one picture's is irrelevant
    graph.push(frame)
    return graph.pull()


def _upright(frame: Any) -> list[tuple[str, str]]:
    turns = {90: [("transpose", "clock")], 180: [("hflip", ""), ("vflip", "")]}
    turns[270] = [("transpose", "cclock")]
    return turns.get(_clockwise(frame), [])


_HALF_CHROMA = frozenset({"yuv420p", "yuvj420p", "nv12"})


def _pre_crop(frame: Any, crop: Box) -> tuple[list[tuple[str, str]], Box]:
    """Crop the decoded picture to the even-aligned box around ``crop`` first (exact in 4:2:0),
    so only that region is converted; returns the steps and ``crop`` inside the smaller picture.

    Only for upright 4:2:0 pictures of even size; others are converted whole.
    """
    if (
        _upright(frame)
        or frame.format.name not in _HALF_CHROMA
        or frame.width % 2
        or frame.height % 2
    ):
        return [], crop
    x, y, w, h = crop
    ax, ay = x - x % 2, y - y % 2
    aw = min(frame.width - ax, (x + w - ax + 1) // 2 * 2)
    ah = min(frame.height - ay, (y + h - ay + 1) // 2 * 2)
    return [("crop", f"{aw}:{ah}:{ax}:{ay}")], (x - ax, y - ay, w, h)


def _crop_and_scale(frame: Any, crop: Box | None, size: tuple[int, int] | None) -> list[Any]:
    # A whole frame stays 4:2:0 (a quarter of 4:4:4's work: 5 vs 20 ms for 720p); a crop is
    # converted to 4:4:4 first so odd offsets land exactly, on its own pixels only.
    steps: list[tuple[str, str]] = []
    if crop is not None:
        steps, crop = _pre_crop(frame, crop)
    target = "yuvj420p" if crop is None else "yuvj444p"
    steps += [("scale", "out_range=pc"), ("format", target), *_upright(frame)]
    if crop is not None:
        x, y, w, h = crop
        steps.append(("crop", f"{w}:{h}:{x}:{y}:exact=1"))
    if size is not None:
        shown = (crop[2], crop[3]) if crop is not None else display_size(frame)
        flags = "area" if size[0] < shown[0] else "bicubic"
        steps.append(("scale", f"{size[0]}:{size[1]}:flags={flags}"))
    return steps


def frame_jpeg(
    frame: Any,
    *,
    crop: Box | None = None,
    size: tuple[int, int] | None = None,
    quality: int = 90,
) -> bytes:
    """The decoded ``frame`` upright, cropped to ``crop``, scaled to ``size``, as a JPEG.

    Args:
        frame: an ``av.VideoFrame`` (``decode_frame``).
        crop: ``(x, y, width, height)`` in display pixels, inside the frame (checked by the
            caller: FFmpeg would clamp it silently).
        size: output ``(width, height)``; default: the crop's (or the frame's) own.
        quality: JPEG quality 1..100 (``jpeg_qscale``).

    Returns:
        JPEG bytes (baseline, full range; 4:2:0 for a whole frame, 4:4:4 for a crop).
    """
    import av

    picture = _filtered(frame, _crop_and_scale(frame, crop, size))
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = picture.width, picture.height
    encoder.pix_fmt = picture.format.name
    encoder.time_base = _TIME_BASE
    qscale = str(jpeg_qscale(quality))
    encoder.options = {"qmin": qscale, "qmax": qscale}
    try:
        packets = [*encoder.encode(picture), *encoder.encode(None)]
    except av.FFmpegError as exc:
        raise UnprocessableMediaError(
            f"The picture could not be encoded ({exc.strerror})."
        ) from exc
    return b"".join(bytes(p) for p in packets)


def frame_blur(frame: Any, box: Box, side: int) -> float:
    """FFmpeg ``blurdetect`` of ``box`` of the upright ``frame``, scaled to ``side`` square.

    Returns:
        The filter's ``lavfi.blur`` (lower = sharper); NaN when it finds no edge at all.

    Raises:
        UnprocessableMediaError: the filter gave no score.
    """
    steps = _crop_and_scale(frame, box, (side, side))
    picture = _filtered(frame, [*steps, ("format", "gray"), ("blurdetect", "")])
    value = picture.metadata.get("lavfi.blur")
    if value is None:
        raise UnprocessableMediaError("blurdetect returned no score for the face.")
    return float(value)
