"""Overlay drawing: boxes, labels and track ids on a frame, with a "highlight one track" mode.

Owns: ``OverlayBox`` and ``FrameBoxes`` (the typed input every annotated video is drawn from:
frame index → boxes), the colour of a key, and ``draw_boxes`` (supervision's box and label
annotators). Does not own encoding (``media.annotated``, ``media.overlay_video``) or where the
boxes come from (tracking, or a stored objects/faces result the caller converts).

Importing this module is cheap (numpy and supervision load when drawing), so the API can build
``FrameBoxes`` from stored results without the drawing stack.

Colours: boxes with the same ``colour_key`` (a class name, a track id, an identity) share one
colour of supervision's default palette, chosen by a stable hash, so a track keeps its colour
across frames, runs and processes. In highlight mode the highlighted track is drawn thick in
``HIGHLIGHT`` with its label; every other box is thin ``DIMMED`` without a label.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "DIMMED",
    "HIGHLIGHT",
    "PALETTE",
    "FrameBoxes",
    "OverlayBox",
    "colour_for",
    "draw_boxes",
]

BGR = tuple[int, int, int]
# supervision's ColorPalette.DEFAULT, as BGR (kept here so colours are stable across upgrades).
PALETTE: tuple[BGR, ...] = (
    (251, 81, 163), (64, 64, 255), (160, 161, 255), (51, 118, 255), (51, 182, 255),
    (53, 212, 209), (18, 251, 76), (26, 207, 148), (138, 222, 64), (64, 150, 27),
    (193, 214, 0), (170, 156, 46), (255, 196, 0), (151, 71, 54), (255, 117, 102),
    (239, 25, 0), (255, 58, 134), (135, 0, 83), (255, 58, 205), (202, 151, 255),
    (201, 57, 255),
)  # fmt: skip
HIGHLIGHT: BGR = (0, 255, 255)
DIMMED: BGR = (160, 160, 160)
_THICKNESS = 2
_HIGHLIGHT_THICKNESS = 4


@dataclass(frozen=True, slots=True)
class OverlayBox:
    """One box to draw on one frame.

    Attributes:
        box: ``(x1, y1, x2, y2)`` in display pixels of the source video (after rotation).
        label: text next to the box (a class name, a name); ``#<track id>`` is prefixed.
        colour_key: boxes with equal keys share a colour (default: the track id, else label).
        track_id: the track or face trace the box belongs to, if any.
    """

    box: tuple[float, float, float, float]
    label: str = ""
    colour_key: str = ""
    track_id: int | None = None

    def text(self) -> str:
        """The label as drawn: ``#<track id> <label>``."""
        if self.track_id is None:
            return self.label
        return f"#{self.track_id} {self.label}".rstrip()

    def key(self) -> str:
        """The colour key in effect."""
        if self.colour_key:
            return self.colour_key
        return f"#{self.track_id}" if self.track_id is not None else self.label


# frame index (zero-based, display order) → the boxes drawn on that frame
FrameBoxes = Mapping[int, Sequence[OverlayBox]]


def _colour_index(key: str) -> int:
    return zlib.crc32(key.encode()) % len(PALETTE)


def colour_for(key: str) -> BGR:
    """The palette colour (BGR) of a colour key; stable across processes."""
    return PALETTE[_colour_index(key)]


_ANNOTATORS: dict[str, Any] = {}


def _annotators() -> dict[str, Any]:
    # Built once per process: annotators hold only drawing settings.
    if not _ANNOTATORS:
        import supervision as sv

        def palette(colours: Sequence[BGR]) -> Any:
            return sv.ColorPalette([sv.Color(r=c[2], g=c[1], b=c[0]) for c in colours])

        lookup = sv.ColorLookup.INDEX
        both = palette([*PALETTE, DIMMED, HIGHLIGHT])
        _ANNOTATORS["box"] = sv.BoxAnnotator(both, thickness=_THICKNESS, color_lookup=lookup)
        _ANNOTATORS["thin"] = sv.BoxAnnotator(both, thickness=1, color_lookup=lookup)
        _ANNOTATORS["thick"] = sv.BoxAnnotator(
            both, thickness=_HIGHLIGHT_THICKNESS, color_lookup=lookup
        )
        _ANNOTATORS["label"] = sv.LabelAnnotator(
            both,
            text_color=sv.Color.BLACK,
            text_scale=0.45,
            text_padding=3,
            color_lookup=lookup,
        )
    return _ANNOTATORS


def _detections(boxes: Sequence[OverlayBox], scale: float) -> Any:
    import numpy as np
    import supervision as sv

    xyxy = np.array([b.box for b in boxes], dtype=np.float32).reshape(-1, 4) * scale
    return sv.Detections(xyxy=xyxy)


def _draw(
    scene: npt.NDArray[np.uint8],
    boxes: Sequence[OverlayBox],
    scale: float,
    colours: list[int],
    kind: str,
    labels: bool,
) -> npt.NDArray[np.uint8]:
    import numpy as np

    if not boxes:
        return scene
    annotators = _annotators()
    detections = _detections(boxes, scale)
    lookup = np.array(colours, dtype=np.int64)
    scene = annotators[kind].annotate(scene, detections, custom_color_lookup=lookup)
    texts = [b.text() for b in boxes]
    if labels and any(texts):
        scene = annotators["label"].annotate(
            scene, detections, labels=texts, custom_color_lookup=lookup
        )
    return scene


def draw_boxes(
    image: npt.NDArray[np.uint8],
    boxes: Sequence[OverlayBox],
    *,
    scale: float = 1.0,
    highlight: int | None = None,
) -> npt.NDArray[np.uint8]:
    """Draw ``boxes`` on a copy of ``image``.

    Args:
        image: ``HxWx3`` BGR uint8.
        boxes: what to draw; box coordinates are multiplied by ``scale``.
        scale: image pixels per source pixel (frames drawn at a working size).
        highlight: draw the boxes of this track id thick in ``HIGHLIGHT``, the rest dimmed.

    Returns:
        The drawn copy (``image`` is not modified).

    Examples:
        >>> import numpy as np
        >>> out = draw_boxes(np.zeros((60, 80, 3), np.uint8), [OverlayBox((10, 10, 50, 40))])
        >>> out[10, 30].tolist() == list(colour_for(""))
        True
    """
    scene = image.copy()
    if not boxes:
        return scene
    if highlight is None:
        colours = [_colour_index(b.key()) for b in boxes]
        return _draw(scene, boxes, scale, colours, "box", labels=True)
    others = [b for b in boxes if b.track_id != highlight]
    chosen = [b for b in boxes if b.track_id == highlight]
    scene = _draw(scene, others, scale, [len(PALETTE)] * len(others), "thin", labels=False)
    scene = _draw(scene, chosen, scale, [len(PALETTE) + 1] * len(chosen), "thick", labels=True)
    return scene
