"""Frame-exact random access: seek to the keyframe at or before a frame, decode forward.

Owns: ``decode_from`` (decoded frames with their display index, from any frame onward),
driven by a ``FrameIndex``, so a frame is found by its PTS, which stays right for B-frames, VFR
and long GOPs. Does not own building the index (``media.frame_index``) or one frame as pixels
or JPEG (``media.av_images``). PyAV is imported inside functions.

Frames before the target are decoded only because later frames reference them; non-reference
frames before the target (most B-frames) are skipped by the decoder (``skip_frame=NONREF``), as
nothing refers to them and they are not the frame asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framelens.errors import UnprocessableMediaError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator

    from framelens.media.frame_index import FrameIndex

__all__ = ["decode_from"]

# Another stream demuxed alongside the video, and what to do with each of its packets.
Sidecar = tuple[Any, "Callable[[Any], None]"]
# How many earlier keyframes to try when a seek lands after the wanted frame (broken indexes,
# keyframes whose decode time precedes an earlier keyframe's display time).
_SEEK_RETRIES = 3


def _seek(container: Any, stream: Any, index: FrameIndex, key: int) -> None:
    if key == 0:
        container.seek(0, stream=stream, backward=True, any_frame=False)
        return
    container.seek(index.pts[key], stream=stream, backward=True, any_frame=False)


def _decoded(
    container: Any, stream: Any, skip_before: int | None, sidecar: Sidecar | None
) -> Iterator[Any]:
    """Decode ``stream`` from the current position; skip non-reference frames before a PTS."""
    ctx = stream.codec_context
    streams = [stream] if sidecar is None else [stream, sidecar[0]]
    for packet in container.demux(streams):
        if sidecar is not None and packet.stream.index != stream.index:
            sidecar[1](packet)
            continue
        if skip_before is not None:
            early = packet.pts is not None and packet.pts < skip_before
            ctx.skip_frame = "NONREF" if early else "DEFAULT"
        yield from packet.decode()


def _counted(
    container: Any, stream: Any, start: int, sidecar: Sidecar | None
) -> Iterator[tuple[int, Any]]:
    # Index-clocked containers (AVI): decoded PTS are unreliable, count from the first frame.
    container.seek(0, stream=stream, backward=True, any_frame=False)
    for position, frame in enumerate(_decoded(container, stream, None, sidecar)):
        if position >= start:
            yield position, frame


def decode_from(
    container: Any,
    stream: Any,
    index: FrameIndex,
    start: int,
    *,
    skip_early: bool = True,
    sidecar: Sidecar | None = None,
) -> Generator[tuple[int, Any], None, None]:
    """Decoded frames of ``stream`` with their display index, from frame ``start`` on.

    Args:
        container: an open PyAV input container.
        stream: its video stream (the one ``index`` describes).
        index: the stream's frame index.
        start: first display index wanted (checked against ``index``).
        skip_early: let the decoder drop non-reference frames before ``start``.
        sidecar: ``(stream, callback)``: another stream (audio) demuxed in the same pass, each
            of its packets passed to the callback (after a retried seek, some twice).

    Yields:
        ``(display index, av.VideoFrame)`` in display order, starting exactly at ``start``.

    Raises:
        ValidationError: ``start`` is not a frame of the video.
        UnprocessableMediaError: the frame cannot be reached by decoding.
    """
    index.check(start)
    if index.index_clocked:
        yield from _counted(container, stream, start, sidecar)
        return
    target = index.pts[start]
    key = index.keyframe_at_or_before(start)
    for _ in range(_SEEK_RETRIES + 1):
        _seek(container, stream, index, key)
        frames = _decoded(container, stream, target if skip_early else None, sidecar)
        first = True
        for frame in frames:
            position = index.index_of_pts(frame.pts) if frame.pts is not None else None
            if first and (position is None or position > start) and key > 0:
                break  # landed after the target: retry from an earlier keyframe
            first = False
            if position is None or position < start:
                continue
            yield position, frame
        else:
            return
        key = index.keyframe_at_or_before(key - 1)
    raise UnprocessableMediaError(
        f"Frame {start} could not be reached by seeking; the file's index may be corrupt."
    )
