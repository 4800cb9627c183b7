"""Overlay videos of a stored file (seed 002 ``video/bbox``, ``trace/{id}/video``, debug mode).

Owns: ``render_overlay_video`` (every frame of a span re-encoded as H.264 in fragmented MP4,
with the boxes of ``FrameBoxes`` drawn through ``media.overlay``) and ``track_span`` (the frames
a track or face trace covers). Does not own turning analysis results into boxes (the caller
builds ``FrameBoxes`` from an objects, tracking or faces result) or the decode/encode loop
(``media.transcode``).

Analyzers sample frames, so most frames have no entry. A frame absent from ``boxes`` shows the
last drawn boxes for up to ``hold`` frames, then nothing; a frame present with an empty list
clears them (the detector looked and found nothing). ``hold=0`` draws boxes only on the frames
they belong to: every other frame passes through unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import NotFoundError
from framelens.media.overlay import draw_boxes
from framelens.media.selection import FrameSpan

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.media.frame_index import FrameIndex
    from framelens.media.overlay import FrameBoxes, OverlayBox
    from framelens.media.source import MediaSource

__all__ = ["OVERLAY_CONTENT_TYPE", "render_overlay_video", "track_span"]

OVERLAY_CONTENT_TYPE = "video/mp4"


def track_span(boxes: FrameBoxes, track_id: int) -> FrameSpan:
    """First to last frame on which ``track_id`` has a box.

    Raises:
        NotFoundError: the track has no box in ``boxes``.
    """
    frames = [i for i, found in boxes.items() if any(b.track_id == track_id for b in found)]
    if not frames:
        raise NotFoundError(f"Track {track_id} has no boxes in this analysis.")
    return FrameSpan(min(frames), max(frames))


class _Drawer:
    """The ``draw`` hook: boxes of each frame, held over frames without an entry."""

    def __init__(self, boxes: FrameBoxes, hold: int, highlight: int | None) -> None:
        self.boxes, self.hold, self.highlight = boxes, hold, highlight
        self.last: Sequence[OverlayBox] = ()
        self.last_at = -(1 << 62)

    def __call__(self, index: int, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        found = self.boxes.get(index)
        if found is not None:
            self.last, self.last_at = found, index
        elif index - self.last_at > self.hold:
            return image
        return draw_boxes(image, self.last, highlight=self.highlight)


def render_overlay_video(
    source: MediaSource,
    index: FrameIndex,
    boxes: FrameBoxes,
    *,
    span: FrameSpan | None = None,
    highlight: int | None = None,
    hold: int = 0,
    audio: bool = False,
    crf: int = 23,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Re-encode ``span`` (default: the whole video) with ``boxes`` drawn, as fragmented MP4.

    Args:
        source: the video (a path or a seekable binary file).
        index: its frame index.
        boxes: frame index → boxes in display pixels of the source.
        span: frames to render (``track_span`` for a trace video).
        highlight: track id drawn highlighted, other boxes dimmed (the trace video).
        hold: frames an entry's boxes stay drawn on the following frames without an entry.
        audio: include the span's audio as AAC.
        crf: x264 quality.
        progress: called with the frames encoded so far.

    Yields:
        MP4 bytes as they are encoded (H.264, every frame of the span present, source times);
        closing the generator stops the work.

    Raises:
        ValidationError: the span is outside the video.
        UnprocessableMediaError: it cannot be decoded or encoded.

    Examples:
        >>> boxes = {0: [OverlayBox((10, 10, 60, 50), "car", track_id=3)]}
        >>> mp4 = b"".join(render_overlay_video(source, index, boxes))  # doctest: +SKIP
    """
    from framelens.media.transcode import transcode

    chosen = span if span is not None else FrameSpan(0, index.frames - 1)
    return transcode(
        source,
        index,
        chosen,
        container="fmp4",
        draw=_Drawer(boxes, hold, highlight),
        audio=audio,
        crf=crf,
        progress=progress,
    )
