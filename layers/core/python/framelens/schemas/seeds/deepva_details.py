"""Seed 003 (DeepVA) detailed results: one item per thing found, with its times and boxes.

Owns: ``DeepvaDetail`` (``type`` and ``label`` as in the summary, ``start``/``end`` seconds, and
``occurrences``: time, frame, bounding box, face landmarks, confidence) and the builders from
each native result model to these items (``details_of``). The document only says the detailed
results hold "more data like the bounding-box of the detected face or its facial landmarks", so
the shape is ours, built like the summary's items. Does not own reading results
(``jobs.results``) or paging (the route).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from framelens.schemas.results_activity import ActivityResult
from framelens.schemas.results_faces import FacesResult, PixelBox
from framelens.schemas.results_objects import ObjectsResult, TrackingResult
from framelens.schemas.results_ocr import OcrResult
from framelens.schemas.results_tags import TagsResult
from framelens.schemas.results_video import BestFramesResult, ScenesResult, SectionsResult

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.schemas.results_base import AnalyzerResult

__all__ = [
    "RESULT_MODELS",
    "DeepvaBox",
    "DeepvaDetail",
    "DeepvaDetailedResults",
    "DeepvaOccurrence",
    "details_of",
]

# Native module -> its public result model (what the result documents hold).
RESULT_MODELS: dict[str, type[AnalyzerResult]] = {
    "activity": ActivityResult,
    "best_frames": BestFramesResult,
    "faces": FacesResult,
    "objects": ObjectsResult,
    "ocr": OcrResult,
    "scenes": ScenesResult,
    "sections": SectionsResult,
    "tags": TagsResult,
    "tracking": TrackingResult,
}


class DeepvaBox(BaseModel):
    """A box in source pixels: top-left corner, width and height."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def from_corners(cls, bbox: list[int]) -> DeepvaBox:
        """From ``[x1, y1, x2, y2]`` (detections and tracks)."""
        x1, y1, x2, y2 = bbox
        return cls(x=x1, y=y1, width=x2 - x1, height=y2 - y1)

    @classmethod
    def from_polygon(cls, points: list[list[int]]) -> DeepvaBox:
        """The bounds of a polygon (OCR lines)."""
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return cls(x=min(xs), y=min(ys), width=max(xs) - min(xs), height=max(ys) - min(ys))

    @classmethod
    def from_pixels(cls, box: PixelBox) -> DeepvaBox:
        """From a face box."""
        return cls(x=box.x, y=box.y, width=box.width, height=box.height)


class DeepvaOccurrence(BaseModel):
    """Where and when one item was seen (one sampled frame, or the whole image)."""

    time: float | None = Field(default=None, description="Seconds from the start (video).")
    frame: int | None = None
    bounding_box: DeepvaBox | None = None
    landmarks: list[list[int]] | None = Field(
        default=None,
        description="Faces: 5 points [x, y] (right eye, left eye, nose tip, right and left "
        "mouth corner), source pixels.",
    )
    confidence: float | None = None


class DeepvaDetail(BaseModel):
    """One thing found in one source."""

    source: str
    media_type: str
    module: str = Field(description="The native module that found it.")
    type: str = Field(examples=["face"])
    label: str = Field(examples=["Frederik Böhm"])
    start: float | None = Field(default=None, description="Seconds (video).")
    end: float | None = None
    confidence: float | None = None
    occurrences: list[DeepvaOccurrence] = Field(default_factory=list)
    info: dict[str, Any] = Field(default_factory=dict)


class DeepvaDetailedResults(BaseModel):
    """``GET /api/v1/jobs/{id}/detailed-results``: a page of items; ``next_cursor`` pages on."""

    id: str = Field(description="The job's id.")
    data: list[DeepvaDetail]
    total: int
    next_cursor: str | None = None


Detail = dict[str, Any]


def _faces(result: FacesResult) -> list[Detail]:
    names = {i.identity_uuid: i for i in result.identities}
    out = []
    for trace in result.traces:
        identity = names.get(trace.identity_uuid)
        out.append(
            {
                "type": "face",
                "label": (identity.name if identity else None) or "unknown",
                "start": trace.first_timestamp,
                "end": trace.last_timestamp,
                "confidence": identity.similarity if identity else None,
                "occurrences": [
                    DeepvaOccurrence(
                        time=f.timestamp_secs,
                        frame=f.frame_number,
                        bounding_box=DeepvaBox.from_pixels(f.bbox),
                        landmarks=f.landmarks,
                        confidence=f.confidence,
                    )
                    for f in trace.faces
                ],
                "info": {
                    "identity_uuid": trace.identity_uuid,
                    "gallery_identity_id": identity.gallery_identity_id if identity else None,
                    "age": trace.age,
                    "gender": trace.gender,
                },
            }
        )
    return out


def _objects(result: ObjectsResult) -> list[Detail]:
    by_class: dict[str, list[DeepvaOccurrence]] = {}
    for frame in result.frames:
        for det in frame.detections:
            by_class.setdefault(det.class_, []).append(
                DeepvaOccurrence(
                    time=frame.timestamp,
                    frame=frame.frame,
                    bounding_box=DeepvaBox.from_corners(det.bbox),
                    confidence=det.confidence,
                )
            )
    return [
        {
            "type": "object",
            "label": name,
            "start": seen[0].time,
            "end": seen[-1].time,
            "confidence": max(o.confidence or 0.0 for o in seen),
            "occurrences": seen,
        }
        for name, seen in by_class.items()
    ]


def _tracking(result: TrackingResult) -> list[Detail]:
    return [
        {
            "type": "object",
            "label": track.class_,
            "start": track.first_timestamp,
            "end": track.last_timestamp,
            "occurrences": [
                DeepvaOccurrence(
                    time=b.timestamp,
                    frame=b.frame,
                    bounding_box=DeepvaBox.from_corners(b.bbox),
                    confidence=b.confidence,
                )
                for b in track.frames
            ],
            "info": {"track_id": track.id},
        }
        for track in result.tracks
    ]


def _tags(result: TagsResult) -> list[Detail]:
    if not result.scenes:
        return [{"type": "tag", "label": t.tag, "confidence": t.probability} for t in result.tags]
    return [
        {
            "type": "tag",
            "label": tag.tag,
            "start": scene.start_seconds,
            "end": scene.end_seconds,
            "confidence": tag.probability,
            "info": {"framing": scene.framing} if scene.framing else {},
        }
        for scene in result.scenes
        for tag in scene.tags
    ]


def _ocr(result: OcrResult) -> list[Detail]:
    if result.media_type == "document":
        return [
            {"type": "text", "label": b.text, "info": {"kind": b.kind, "index": b.index}}
            for b in result.blocks
            if b.text.strip()
        ]
    by_text: dict[str, list[DeepvaOccurrence]] = {}
    for frame in result.frames:
        for line in frame.lines:
            by_text.setdefault(line.text, []).append(
                DeepvaOccurrence(
                    time=frame.timestamp,
                    frame=frame.frame,
                    bounding_box=DeepvaBox.from_polygon(line.box),
                    confidence=line.confidence,
                )
            )
    return [
        {
            "type": "text",
            "label": text,
            "start": seen[0].time,
            "end": seen[-1].time,
            "occurrences": seen,
        }
        for text, seen in by_text.items()
    ]


def _scenes(result: ScenesResult) -> list[Detail]:
    return [
        {
            "type": "shot",
            "label": label.label,
            "start": s.start_seconds,
            "end": s.end_seconds,
            "info": {"shot": n, "start_frame": s.start_frame, "end_frame": s.end_frame},
        }
        for n, (s, label) in enumerate(zip(result.raw_scenes, result.labels(), strict=True), 1)
    ]


def _activity(result: ActivityResult) -> list[Detail]:
    return [
        {
            "type": "activity",
            "label": shot.activities[0].label,
            "start": shot.start_seconds,
            "end": shot.end_seconds,
            "confidence": shot.activities[0].probability,
            "info": {"kinetics400": shot.activities[0].kinetics400},
        }
        for shot in result.shots
        if shot.activities
    ]


def _sections(result: SectionsResult) -> list[Detail]:
    return [
        {
            "type": "section",
            "label": s.section_tag,
            "start": seg.start_seconds,
            "end": seg.end_seconds,
        }
        for s in result.sections
        for seg in s.time_segments
    ]


def _best_frames(result: BestFramesResult) -> list[Detail]:
    return [
        {
            "type": "frame",
            "label": f"{f.timestamp:.3f}",
            "start": f.timestamp,
            "end": f.timestamp,
            "confidence": f.scores.score,
            "occurrences": [DeepvaOccurrence(time=f.timestamp, frame=f.frame_index)],
        }
        for f in result.frames
    ]


_BUILDERS: dict[str, Callable[[Any], list[Detail]]] = {
    "activity": _activity,
    "best_frames": _best_frames,
    "faces": _faces,
    "objects": _objects,
    "ocr": _ocr,
    "scenes": _scenes,
    "sections": _sections,
    "tags": _tags,
    "tracking": _tracking,
}


def details_of(
    module: str, result: AnalyzerResult, source: str, media_type: str
) -> list[DeepvaDetail]:
    """The detailed items of one native module's result over one source."""
    return [
        DeepvaDetail(source=source, media_type=media_type, module=module, **item)
        for item in _BUILDERS[module](result)
    ]
