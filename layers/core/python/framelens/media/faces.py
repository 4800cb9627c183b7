"""Face pictures of a trace (seed 002 ``trace/{id}/representative-face`` and ``.../thumbnail``).

Owns: ``FaceSighting`` (the typed input: one detected face of a trace on one frame, as the faces
analyzer reports it), ``representative_face`` (seed 002's two-stage choice) and
``face_thumbnail`` (a 320×320 JPEG of a face). Does not own detecting or tracing faces (the
faces analyzer) or finding a trace's sightings in stored results (the caller).

Seed 002's choice: the ten sightings with the largest area × confidence (``quality_score``),
then the one FFmpeg's ``blurdetect`` finds sharpest (``blur_score``, lower = sharper). Here
``blurdetect`` runs in process through PyAV's filter graph, on the face box resized to
``BLUR_SIDE`` pixels square so faces of different sizes are compared at one scale. Decoding,
cropping, scaling, blur and JPEG all stay inside FFmpeg (``media.av_images``): the API Lambda,
which has PyAV but no numpy or OpenCV, answers these routes inline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from framelens.errors import NotFoundError, UnprocessableMediaError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.media.frame_index import FrameIndex
    from framelens.media.source import MediaSource

__all__ = [
    "BLUR_SIDE",
    "BLUR_WITHOUT_EDGES",
    "FaceSighting",
    "RepresentativeFace",
    "blur_score",
    "face_thumbnail",
    "representative_face",
]

BLUR_SIDE = 160
# blurdetect finds no edge at all in a flat picture (its score is NaN): rank it below any face
# with edges, with a finite score that JSON can carry.
BLUR_WITHOUT_EDGES = 1000.0
TOP_CANDIDATES = 10
THUMBNAIL_SIDE = 320
# The thumbnail shows the face with this much of its box's size as context on every side.
_MARGIN = 0.25


@dataclass(frozen=True, slots=True)
class FaceSighting:
    """One face of a trace on one frame.

    Attributes:
        frame: zero-based display frame number.
        bbox: ``(x, y, width, height)`` in display pixels (seed 002 ``bbox{x,y,width,height}``).
        confidence: detection confidence 0..1.
    """

    frame: int
    bbox: tuple[int, int, int, int]
    confidence: float

    @property
    def quality_score(self) -> float:
        """Seed 002's pre-selection score: box area × confidence."""
        return float(self.bbox[2] * self.bbox[3]) * self.confidence


@dataclass(frozen=True, slots=True)
class RepresentativeFace:
    """The sighting that represents a trace, with the scores it was chosen by."""

    sighting: FaceSighting
    timestamp: Fraction  # seconds from the first frame
    quality_score: float
    blur_score: float


def _face_box(
    bbox: tuple[int, int, int, int], width: int, height: int, margin: float
) -> tuple[int, int, int, int]:
    """A square ``(x1, y1, x2, y2)`` around the face with ``margin``, kept inside the frame."""
    x, y, w, h = bbox
    if w <= 0 or h <= 0 or x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise ValidationError(
            f"Face box {bbox} is empty or outside the {width}x{height} frame.",
            details={"bbox": list(bbox), "width": width, "height": height},
        )
    side = min(round(max(w, h) * (1 + 2 * margin)), width, height)
    cx, cy = x + w / 2, y + h / 2
    x1 = min(max(0, round(cx - side / 2)), width - side)
    y1 = min(max(0, round(cy - side / 2)), height - side)
    return x1, y1, x1 + side, y1 + side


def blur_score(image: npt.NDArray[np.uint8]) -> float:
    """FFmpeg ``blurdetect`` of a picture (lower = sharper), at ``BLUR_SIDE`` pixels square.

    Args:
        image: ``HxWx3`` BGR or ``HxW`` grey.

    Returns:
        The filter's ``lavfi.blur`` value (``BLUR_WITHOUT_EDGES`` when it finds no edge).
    """
    import av
    import av.filter
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    small = cast(
        "npt.NDArray[np.uint8]",
        cv2.resize(grey, (BLUR_SIDE, BLUR_SIDE), interpolation=cv2.INTER_AREA),
    )
    graph = av.filter.Graph()
    source = graph.add_buffer(
        width=BLUR_SIDE,
        height=BLUR_SIDE,
        format=av.VideoFormat("gray"),
        time_base=Fraction(1, 25),
    )
    detect = graph.add("blurdetect")
    sink = graph.add("buffersink")
    source.link_to(detect)
    detect.link_to(sink)
    graph.configure()
    frame = av.VideoFrame.from_ndarray(small, format="gray")
    frame.pts = 0
    graph.push(frame)
    value = graph.pull().metadata.get("lavfi.blur")
    if value is None:
        raise UnprocessableMediaError("blurdetect returned no score for the face.")
    score = float(value)
    return score if math.isfinite(score) else BLUR_WITHOUT_EDGES


def _sighting_blur(source: MediaSource, index: FrameIndex, sighting: FaceSighting) -> float:
    from framelens.media.av_images import decode_frame, display_size, frame_blur

    def score(picture: Any) -> float:
        width, height = display_size(picture)
        x1, y1, x2, y2 = _face_box(sighting.bbox, width, height, 0.0)
        value = frame_blur(picture, (x1, y1, x2 - x1, y2 - y1), BLUR_SIDE)
        return value if math.isfinite(value) else BLUR_WITHOUT_EDGES

    return decode_frame(source, sighting.frame, index, score)


def representative_face(
    source: MediaSource, index: FrameIndex, sightings: Sequence[FaceSighting]
) -> RepresentativeFace:
    """Choose a trace's representative face the seed's way.

    Args:
        source: the video (a path or a seekable binary file).
        index: its frame index.
        sightings: every face of the trace.

    Returns:
        The sharpest of the ``TOP_CANDIDATES`` largest × most confident sightings (ties: the
        higher quality score, then the earlier frame).

    Raises:
        NotFoundError: ``sightings`` is empty (seed: "no suitable face").
        ValidationError: a sighting's frame is past the end of the video.
    """
    if not sightings:
        raise NotFoundError("The trace has no face to represent it.")
    ranked = sorted(sightings, key=lambda s: (-s.quality_score, s.frame))[:TOP_CANDIDATES]
    scored = [(_sighting_blur(source, index, s), s) for s in sorted(ranked, key=lambda s: s.frame)]
    blur, best = min(scored, key=lambda p: (p[0], -p[1].quality_score, p[1].frame))
    return RepresentativeFace(best, index.time_of(best.frame), best.quality_score, blur)


def face_thumbnail(
    source: MediaSource,
    index: FrameIndex,
    frame: int,
    bbox: tuple[int, int, int, int],
    *,
    side: int = THUMBNAIL_SIDE,
    quality: int = 90,
) -> bytes:
    """A ``side``×``side`` JPEG of the face at ``bbox`` on ``frame`` (seed: 320×320).

    The crop is a square around the face with a quarter of its size as margin on every side,
    shifted (never squeezed) to stay inside the frame, then resized.

    Args:
        source: the video (a path or a seekable binary file).
        index: its frame index.
        frame: zero-based display frame number.
        bbox: ``(x, y, width, height)`` of the face in display pixels.
        side: output width and height.
        quality: JPEG quality 1..100.

    Returns:
        JPEG bytes.

    Raises:
        ValidationError: the frame is past the end, or the box is empty or outside the frame.

    Examples:
        >>> jpeg = face_thumbnail(source, index, 68193, (347, 378, 427, 427))  # doctest: +SKIP
    """
    from framelens.media.av_images import decode_frame, display_size, frame_jpeg

    def encode(picture: Any) -> bytes:
        width, height = display_size(picture)
        x1, y1, x2, y2 = _face_box(bbox, width, height, _MARGIN)
        return frame_jpeg(
            picture, crop=(x1, y1, x2 - x1, y2 - y1), size=(side, side), quality=quality
        )

    return decode_frame(source, index=index, frame=frame, use=encode)
