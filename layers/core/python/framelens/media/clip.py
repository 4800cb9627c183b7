"""Clips (seed 002 ``GET .../clip``): a frame-exact span re-encoded as MPEG-TS, H.264 + AAC.

Owns: ``encode_clip`` and its debug label (``mode=debug`` draws "CLIP" and the frame number).
Does not own choosing the span from query parameters (``media.selection``) or the decode/encode
loop (``media.transcode``).

Seed 002's technical notes: MPEG-TS (pipe-safe), H.264 + AAC, CRF 23, frame count controlled
exactly (``-vframes``): the clip holds frames ``start..end`` inclusive and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import numpy as np
    import numpy.typing as npt

    from framelens.media.frame_index import FrameIndex
    from framelens.media.selection import FrameSpan
    from framelens.media.source import MediaSource

__all__ = ["CLIP_CONTENT_TYPE", "draw_clip_label", "encode_clip"]

CLIP_CONTENT_TYPE = "video/mp2t"
_LABEL_MARGIN = 6


def draw_clip_label(index: int, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Draw "CLIP <frame>" in white on a black box at the bottom-left corner (in place).

    Args:
        index: the frame's display index in the source video.
        image: ``HxWx3`` BGR.

    Returns:
        ``image``, drawn on.
    """
    import cv2

    height = image.shape[0]
    text = f"CLIP {index}"
    scale = max(0.4, height / 480)
    thickness = max(1, round(scale * 1.5))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    x, y = _LABEL_MARGIN, height - _LABEL_MARGIN - base
    cv2.rectangle(image, (x - 3, y - th - 3), (x + tw + 3, y + base + 3), (0, 0, 0), -1)
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness)
    return image


def encode_clip(
    source: MediaSource,
    index: FrameIndex,
    span: FrameSpan,
    *,
    audio: bool = True,
    debug: bool = False,
    crf: int = 23,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Re-encode frames ``span.start..span.end`` (inclusive) as an MPEG-TS clip.

    Args:
        source: the video (a path or a seekable binary file).
        index: its frame index.
        span: the frames of the clip (``media.selection.select_span``).
        audio: include the span's audio as AAC (seed ``audio=on``); ``False`` = no audio stream.
        debug: draw the "CLIP <frame>" label on every frame (seed ``mode=debug``).
        crf: x264 quality (23 as the seed).
        progress: called with the frames encoded so far.

    Yields:
        MPEG-TS bytes as they are encoded (send them as ``video/mp2t``); closing the generator
        stops the work and frees the decoder and encoder.

    Raises:
        ValidationError: the span is outside the video.
        UnprocessableMediaError: it cannot be decoded or encoded.

    Examples:
        >>> ts = b"".join(encode_clip(source, index, FrameSpan(0, 47)))  # doctest: +SKIP
    """
    from framelens.media.transcode import transcode

    return transcode(
        source,
        index,
        span,
        container="mpegts",
        draw=draw_clip_label if debug else None,
        audio=audio,
        crf=crf,
        progress=progress,
    )
