"""The one decode loop: PyAV frames in display order with exact global index and PTS.

Owns: opening the video stream, threaded decoding, seeking for a segment, frame indexes and
``Fraction`` timestamps, and the shared per-frame derivatives (downscaled grey from the Y plane,
BGR only on request). Does not own: which analyzer gets which frame (``engine.run``) or random
access to single frames (``framelens.media.frames``).

Timestamps are relative to the first decoded frame's PTS, so streams whose first PTS is not 0
still start at 0. Indexes count decoded frames in display order. When a segment starts later
than 0 the decoder seeks to the keyframe before it; the index of the first frame after the seek
is found by demuxing packets from the start (no decoding) and counting PTS below it, the same
rule ``media.frames`` uses, so indexes stay global and correct for VFR and B-frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from framelens.errors import UnprocessableMediaError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

__all__ = ["DecodedFrame", "decode_video", "read_image"]

# Pixel formats whose plane 0 is 8-bit luma: grey comes from it with a numpy view, no swscale.
_LUMA_FORMATS = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)
# B-frame reordering never spans more packets than this (as in ``media.frames``).
_REORDER_MARGIN = 32


@dataclass(slots=True)
class DecodedFrame:
    """One decoded frame before any analyzer-specific conversion.

    Attributes:
        index: global display-order index.
        pts: exact seconds from the first frame.
        is_keyframe: decoder keyframe flag.
        raw: the ``av.VideoFrame`` (video) or a BGR array (image).
        rotation: clockwise degrees to turn the picture for display (0, 90, 180, 270).
    """

    index: int
    pts: Fraction
    is_keyframe: bool
    raw: Any
    rotation: int = 0
    _cache: dict[tuple[int | None, str], Any] = field(default_factory=dict)

    def image(self, max_side: int | None, colour: str) -> tuple[npt.NDArray[np.uint8], float]:
        """The frame at working size in display orientation, computed once per (size, colour).

        Returns:
            ``(image, scale)``: read-only ``HxW`` grey or ``HxWx3`` BGR uint8; scale = working /
            source size. Callers share the array, so it is marked read-only.
        """
        key = (max_side, colour)
        hit = self._cache.get(key)
        if hit is None:
            hit = _derive(self, max_side, colour)
            hit[0].flags.writeable = False
            self._cache[key] = hit
        return hit


def _target_size(width: int, height: int, max_side: int | None) -> tuple[int, int, float]:
    if max_side is None or max(width, height) <= max_side:
        return width, height, 1.0
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale)), scale


def _shrink(image: npt.NDArray[np.uint8], tw: int, th: int) -> npt.NDArray[np.uint8]:
    """Area-average down to ``(tw, th)``: halve while possible, then one small resize.

    OpenCV's INTER_AREA has a fast path only for exact 2x steps; a direct 1280 -> 96 resize
    costs ~3.5 ms a frame on one core, halving steps plus a final resize ~0.15 ms.
    """
    import cv2

    h, w = image.shape[:2]
    while w // 2 >= tw and h // 2 >= th:
        w, h = w // 2, h // 2
        image = cast(
            "npt.NDArray[np.uint8]", cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        )
    if (w, h) != (tw, th):
        image = cast(
            "npt.NDArray[np.uint8]", cv2.resize(image, (tw, th), interpolation=cv2.INTER_AREA)
        )
    return image


def _rotate(image: npt.NDArray[np.uint8], clockwise: int) -> npt.NDArray[np.uint8]:
    import numpy as np

    if not clockwise:
        return image
    # np.rot90 turns counter-clockwise for positive k.
    return np.ascontiguousarray(np.rot90(image, k=-(clockwise // 90)))


def _derive(
    frame: DecodedFrame, max_side: int | None, colour: str
) -> tuple[npt.NDArray[np.uint8], float]:
    import cv2
    import numpy as np

    raw = frame.raw
    if isinstance(raw, np.ndarray):  # an image: already BGR in display orientation
        h, w = raw.shape[:2]
        tw, th, scale = _target_size(w, h, max_side)
        img = cast(
            "npt.NDArray[np.uint8]",
            raw if colour == "bgr" else cv2.cvtColor(raw, cv2.COLOR_BGR2GRAY),
        )
        if scale != 1.0:
            img = _shrink(img, tw, th)
        return np.ascontiguousarray(img), scale
    w, h = raw.width, raw.height
    tw, th, scale = _target_size(w, h, max_side)
    if colour == "gray" and raw.format.name in _LUMA_FORMATS:
        plane = raw.planes[0]
        # A view of the luma plane honouring its line-size padding: no copy, no swscale.
        y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        img = _shrink(y, tw, th) if scale != 1.0 else y.copy()
    elif colour == "gray":
        img = raw.reformat(width=tw, height=th, format="gray", interpolation="AREA").to_ndarray()
    else:
        # swscale scales and converts in one go; cheaper at working size than convert-then-resize.
        img = raw.reformat(width=tw, height=th, format="bgr24", interpolation="AREA").to_ndarray()
    return _rotate(img, frame.rotation), scale


def _clockwise(frame: Any) -> int:
    # frame.rotation is counter-clockwise (display matrix); players turn by its negation.
    rotation = getattr(frame, "rotation", 0) or 0
    return int(round(-rotation / 90.0) * 90 % 360)


def _index_before(path: Path, pts: int) -> int:
    """Number of frames whose PTS is below ``pts``, by demuxing packets (no decoding)."""
    import av

    count = 0
    past = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            if packet.pts < pts:
                count += 1
                past = 0
            else:
                past += 1
                if past > _REORDER_MARGIN:
                    break
    return count


def _seek_start(
    container: Any, stream: Any, path: Path, first_pts: int, seek_to: Fraction
) -> tuple[Iterator[Any], int] | None:
    """Seek to the keyframe at or before ``seek_to``; return (frames, index of the first).

    Returns ``None`` when the seek lands after the target (broken index): decode from 0 instead.
    """
    tb = stream.time_base
    target = first_pts + int(seek_to / tb)
    container.seek(target, stream=stream, backward=True, any_frame=False)
    frames = container.decode(stream)
    for first in frames:
        if first.pts is None or first.pts > target:
            return None
        index = _index_before(path, first.pts)

        def chain(head: Any = first) -> Iterator[Any]:
            yield head
            yield from frames

        return chain(), index
    return None


def decode_video(
    path: Path, seek_to: Fraction | None = None, end: Fraction | None = None
) -> Iterator[DecodedFrame]:
    """Decode a video once, in display order, streaming (no frame lists).

    Args:
        path: the video file.
        seek_to: start decoding at the keyframe at or before this time (``None``/0: from 0).
        end: stop before the first frame at or after this time.

    Yields:
        ``DecodedFrame`` with global index and PTS in exact seconds from the first frame.

    Raises:
        UnprocessableMediaError: no video stream, or the decoder failed.
    """
    import av

    from framelens.media.frames import is_index_clocked

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise UnprocessableMediaError("The file has no video stream to analyze.")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if stream.time_base is None:
                raise UnprocessableMediaError(
                    "The video stream has no time base; the file may be corrupt."
                )
            tb = Fraction(stream.time_base)
            frames: Iterator[Any] = container.decode(stream)
            first = next(iter(frames), None)
            if first is None:
                return
            first_pts = first.pts if first.pts is not None else 0
            index = 0

            def from_start(head: Any = first) -> Iterator[Any]:
                yield head
                yield from frames

            source = from_start()
            if seek_to is not None and seek_to > 0:
                sought = _seek_start(container, stream, path, first_pts, seek_to)
                if sought is not None:
                    source, index = sought
            last_pts = -1
            index_clock = is_index_clocked(container)
            frame_s = 1 / Fraction(stream.average_rate or stream.guessed_rate or 25)
            for frame in source:
                if index_clock:
                    rel = index * frame_s
                else:
                    # A frame without PTS takes the next tick after the previous one.
                    pts = frame.pts if frame.pts is not None else last_pts + 1
                    last_pts = pts
                    rel = (pts - first_pts) * tb
                if end is not None and rel >= end:
                    break
                yield DecodedFrame(index, rel, bool(frame.key_frame), frame, _clockwise(frame))
                index += 1
    except av.FFmpegError as exc:
        raise UnprocessableMediaError(
            f"The video could not be decoded ({exc.strerror}); the file may be corrupt."
        ) from exc


def read_image(path: Path) -> DecodedFrame:
    """An image as a one-frame stream (index 0, pts 0); EXIF orientation applied by OpenCV.

    Raises:
        UnprocessableMediaError: OpenCV cannot decode it.
    """
    import cv2
    import numpy as np

    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise UnprocessableMediaError("The image could not be decoded.")
    return DecodedFrame(0, Fraction(0), True, image)
