"""Boxes to draw from stored analyses: objects, tracking and faces results as ``FrameBoxes``.

Owns: turning each result into the boxes of its sampled frames (``objects_boxes``,
``tracking_boxes``, ``faces_boxes``), holding a sample's boxes on the frames up to that
analyzer's next sample (``HeldBoxes``: analyzers sample, say, 5 of 25 frames a second, and a box
that blinks on one frame in five is unreadable) and merging several results (``MergedBoxes``).
Does not own drawing (``framelens.media.overlay``) or finding the results
(``jobs.file_analyses``).

Both mappings answer ``boxes[i]`` for any frame ``i`` (the held boxes, or ``KeyError`` when none
are held there) but iterate only over sampled frames, so ``media.overlay_video.track_span``
still finds a trace's span from its samples. Held boxes are computed per frame, never stored per
frame: memory follows the number of samples, not of frames.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from framelens.media.overlay import OverlayBox

if TYPE_CHECKING:
    from framelens.schemas.results_faces import FacesResult
    from framelens.schemas.results_objects import ObjectsResult, TrackingResult

__all__ = [
    "HeldBoxes",
    "MergedBoxes",
    "faces_boxes",
    "hold_frames",
    "objects_boxes",
    "tracking_boxes",
]


def hold_frames(media_fps: float | None, sample_fps: float | None) -> int:
    """Frames a sample's boxes stay drawn after it: up to the next sample.

    Examples:
        >>> hold_frames(25.0, 5.0), hold_frames(30.0, 4.0), hold_frames(None, 5.0)
        (4, 7, 0)
    """
    if not media_fps or not sample_fps or sample_fps >= media_fps:
        return 0
    return max(0, math.ceil(media_fps / sample_fps - 1e-9) - 1)


class HeldBoxes(Mapping[int, Sequence[OverlayBox]]):
    """One analysis' boxes by sampled frame, each held for ``hold`` following frames.

    Args:
        samples: sampled frame → its boxes (an empty list: looked and found nothing).
        hold: frames a sample's boxes stay drawn after it (``hold_frames``).
    """

    def __init__(self, samples: Mapping[int, Sequence[OverlayBox]], hold: int) -> None:
        self._frames = sorted(samples)
        self._boxes = [samples[f] for f in self._frames]
        self.hold = hold

    def __getitem__(self, frame: int) -> Sequence[OverlayBox]:
        at = bisect.bisect_right(self._frames, frame) - 1
        if at < 0 or frame - self._frames[at] > self.hold:
            raise KeyError(frame)
        return self._boxes[at]

    def __iter__(self) -> Iterator[int]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)


class MergedBoxes(Mapping[int, Sequence[OverlayBox]]):
    """Several analyses' ``HeldBoxes`` drawn together (each keeps its own hold)."""

    def __init__(self, parts: Sequence[HeldBoxes]) -> None:
        self._parts = list(parts)

    def __getitem__(self, frame: int) -> Sequence[OverlayBox]:
        found: list[OverlayBox] = []
        held = False
        for part in self._parts:
            boxes = part.get(frame)
            if boxes is not None:
                held = True
                found.extend(boxes)
        if not held:
            raise KeyError(frame)
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(sorted({f for part in self._parts for f in part}))

    def __len__(self) -> int:
        return len({f for part in self._parts for f in part})


def objects_boxes(result: ObjectsResult, media_fps: float | None) -> HeldBoxes:
    """``objects``: every detection with its class and confidence, coloured by class."""
    samples = {
        f.frame: [
            OverlayBox(
                (d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]),
                label=f"{d.class_} {d.confidence:.2f}",
                colour_key=d.class_,
            )
            for d in f.detections
        ]
        for f in result.frames
    }
    return HeldBoxes(samples, hold_frames(media_fps, result.sample_fps))


def tracking_boxes(result: TrackingResult, media_fps: float | None) -> HeldBoxes:
    """``tracking``: every track's box with its id and class, coloured by track."""
    samples: dict[int, list[OverlayBox]] = {}
    for track in result.tracks:
        for box in track.frames:
            x1, y1, x2, y2 = box.bbox
            drawn = OverlayBox((x1, y1, x2, y2), label=track.class_, track_id=track.id)
            samples.setdefault(box.frame, []).append(drawn)
    return HeldBoxes(samples, hold_frames(media_fps, result.detect_fps))


def faces_boxes(result: FacesResult, media_fps: float | None = None) -> HeldBoxes:
    """``faces``: every face with its trace id and identity name, coloured by identity."""
    names = {i.identity_uuid: i.name for i in result.identities}
    samples: dict[int, list[OverlayBox]] = {}
    for trace in result.traces:
        label = names.get(trace.identity_uuid) or "face"
        for face in trace.faces:
            b = face.bbox
            drawn = OverlayBox(
                (b.x, b.y, b.x + b.width, b.y + b.height),
                label=label,
                colour_key=trace.identity_uuid,
                track_id=trace.trace_id,
            )
            samples.setdefault(face.frame_number, []).append(drawn)
    return HeldBoxes(samples, hold_frames(media_fps or result.media_fps, result.sample_fps))
