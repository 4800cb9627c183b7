"""What a finished job saw, shaped for a viewer: timeline lanes and overlay boxes by time window.

Owns: turning a job's result documents (scenes, sections, activity, OCR, faces, objects,
tracking, best frames) into ``Timeline`` lanes of intervals and into ``OverlayWindow``s — the
boxes to draw at each sampled time of a short window, so a long video is never shipped to a
page as one document. Does not own: computing results (analyzers) or serving URLs for images
(``jobs.links``: callers turn blob keys into links).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from framelens.errors import JobStateError, NotFoundError, ValidationError
from framelens.jobs.results import module_result
from framelens.schemas import JobState
from framelens.schemas.insights import Lane, LaneItem, OverlayBox, OverlayFrame, OverlayWindow
from framelens.schemas.results_activity import ActivityResult
from framelens.schemas.results_faces import FacesResult
from framelens.schemas.results_objects import ObjectsResult, TrackingResult
from framelens.schemas.results_ocr import OcrResult
from framelens.schemas.results_video import BestFramesResult, ScenesResult, SectionsResult

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.schemas import JobRecord
    from framelens.schemas.results_faces import FaceIdentity
    from framelens.stores import BlobStore

    NameOf = Callable[[FaceIdentity], str | None]  # a face identity → the name to show

__all__ = ["MAX_WINDOW_S", "lanes", "overlays", "source_info"]

MAX_WINDOW_S = 120.0


def source_info(job: JobRecord, source: int) -> dict[str, Any]:
    """The probe of source ``source`` of a finished job (from its summary).

    Raises:
        JobStateError: the job has not finished.
        NotFoundError: no such source.
    """
    if job.state != JobState.finished:
        raise JobStateError(
            f"job {job.id} is {job.state.value}; its insights exist once it is finished",
            details={"state": job.state.value},
        )
    if not 0 <= source < len(job.summary):
        raise NotFoundError(f"job {job.id} has no source {source}")
    info: dict[str, Any] = dict(job.summary[source].get("info") or {})
    info["media_type"] = job.summary[source].get("media_type")
    return info


def lanes(
    blobs: BlobStore,
    job: JobRecord,
    source: int,
    link: Callable[[str | None], str | None],
    names: NameOf | None = None,
) -> list[Lane]:
    """One lane per result the job has for ``source``, each a list of time intervals.

    ``names``: a face identity's name as the galleries hold it now (default: the name the job
    matched when it ran)."""
    out: list[Lane] = []
    builders: list[tuple[str, Callable[..., list[LaneItem] | None]]] = [
        ("scenes", _scenes),
        ("sections", _sections),
        ("activity", _activity),
        ("text", _text),
        ("faces", partial(_faces, live=names)),
        ("objects", _objects),
        ("tracking", _tracks),
        ("best_frames", _best_frames),
    ]
    for name, build in builders:
        items = build(blobs, job, source, link)
        if items is not None:
            out.append(Lane(name=name, items=items))
    return out


def _read(blobs: BlobStore, job: JobRecord, source: int, module: str, model: Any) -> Any:
    return module_result(blobs, job, module, model, source) if module in job.result_keys else None


def _scenes(blobs: BlobStore, job: JobRecord, source: int, link: Any) -> list[LaneItem] | None:
    result = _read(blobs, job, source, "scenes", ScenesResult)
    if result is None:
        return None
    return [
        LaneItem(start=s.start_seconds, end=s.end_seconds, label=f"scene {i + 1}")
        for i, s in enumerate(result.raw_scenes)
    ]


def _sections(blobs: BlobStore, job: JobRecord, source: int, link: Any) -> list[LaneItem] | None:
    result = _read(blobs, job, source, "sections", SectionsResult)
    if result is None:
        return None
    return [
        LaneItem(
            start=seg.start_seconds,
            end=seg.end_seconds if seg.end_seconds is not None else seg.start_seconds,
            label=s.section_tag,
            group=str(i),
            critical=s.is_critical,
        )
        for i, s in enumerate(result.sections)
        for seg in s.time_segments
    ]


def _activity(blobs: BlobStore, job: JobRecord, source: int, link: Any) -> list[LaneItem] | None:
    result = _read(blobs, job, source, "activity", ActivityResult)
    if result is None:
        return None
    return [
        LaneItem(
            start=shot.start_seconds,
            end=shot.end_seconds,
            label=shot.activities[0].label,
            detail=f"{shot.activities[0].probability:.2f}",
        )
        for shot in result.shots
        if shot.activities
    ]


def _text(blobs: BlobStore, job: JobRecord, source: int, link: Any) -> list[LaneItem] | None:
    result = _read(blobs, job, source, "ocr", OcrResult)
    if result is None:
        return None
    return [
        LaneItem(
            start=seg.time_segment.start_seconds if seg.time_segment else 0.0,
            end=(seg.time_segment.end_seconds or 0.0) if seg.time_segment else 0.0,
            label=seg.full_text,
            detail=seg.language_code,
        )
        for seg in result.segments
    ]


def _faces(
    blobs: BlobStore,
    job: JobRecord,
    source: int,
    link: Callable[[str | None], str | None],
    live: NameOf | None = None,
) -> list[LaneItem] | None:
    result = _read(blobs, job, source, "faces", FacesResult)
    if result is None:
        return None
    names = _identity_names(result, live)
    return [
        LaneItem(
            start=t.first_timestamp,
            end=t.last_timestamp,
            label=names.get(t.identity_uuid) or "unknown",
            group=t.identity_uuid,
            ref=str(t.trace_id),
            thumbnail=link(t.representative.face_thumbnail),
        )
        for t in result.traces
    ]


def _objects(blobs: BlobStore, job: JobRecord, source: int, link: Any) -> list[LaneItem] | None:
    result = _read(blobs, job, source, "objects", ObjectsResult)
    if result is None:
        return None
    step = 1.0 / (result.sample_fps or 1.0)
    open_spans: dict[str, list[float]] = {}
    items: list[LaneItem] = []
    for frame in result.frames:
        present = {d.class_ for d in frame.detections}
        for name, span in list(open_spans.items()):
            if name not in present and frame.timestamp - span[1] > 1.5 * step:
                items.append(LaneItem(start=span[0], end=span[1], label=name, group=name))
                del open_spans[name]
        for name in present:
            span = open_spans.setdefault(name, [frame.timestamp, frame.timestamp])
            span[1] = frame.timestamp
    items += [LaneItem(start=a, end=b, label=n, group=n) for n, (a, b) in open_spans.items()]
    return sorted(items, key=lambda i: (i.start, i.label))


def _tracks(blobs: BlobStore, job: JobRecord, source: int, link: Any) -> list[LaneItem] | None:
    result = _read(blobs, job, source, "tracking", TrackingResult)
    if result is None:
        return None
    return [
        LaneItem(
            start=t.first_timestamp,
            end=t.last_timestamp,
            label=f"#{t.id} {t.class_}",
            group=t.class_,
            ref=str(t.id),
        )
        for t in result.tracks
    ]


def _best_frames(
    blobs: BlobStore, job: JobRecord, source: int, link: Callable[[str | None], str | None]
) -> list[LaneItem] | None:
    result = _read(blobs, job, source, "best_frames", BestFramesResult)
    if result is None:
        return None
    return [
        LaneItem(
            start=f.timestamp,
            end=f.timestamp,
            label=f"best #{rank}",
            detail=f"{f.scores.score:.2f}",
            thumbnail=link(f.artifact_key),
        )
        for rank, f in enumerate(result.frames, start=1)
    ]


def overlays(
    blobs: BlobStore,
    job: JobRecord,
    source: int,
    start: float,
    end: float,
    names: NameOf | None = None,
) -> OverlayWindow:
    """Every box to draw between ``start`` and ``end`` seconds, by sampled time (face labels
    from ``names``, as in ``lanes``).

    Raises:
        ValidationError: an empty or reversed window, or one longer than ``MAX_WINDOW_S``.
    """
    if not 0 <= start < end or end - start > MAX_WINDOW_S:
        raise ValidationError(
            f"give 0 <= start < end with end - start <= {MAX_WINDOW_S:g} seconds "
            f"(got start={start}, end={end})",
            details={"start": start, "end": end},
        )
    by_time: dict[float, list[OverlayBox]] = {}

    def add(t: float, box: OverlayBox) -> None:
        if start <= t < end:
            by_time.setdefault(round(t, 4), []).append(box)

    objects = _read(blobs, job, source, "objects", ObjectsResult)
    for frame in objects.frames if objects else []:
        for d in frame.detections:
            add(frame.timestamp, OverlayBox(kind="object", label=d.class_, box=d.bbox))
    tracking = _read(blobs, job, source, "tracking", TrackingResult)
    for track in tracking.tracks if tracking else []:
        for tb in track.frames:
            label = f"#{track.id} {track.class_}"
            add(tb.timestamp, OverlayBox(kind="track", label=label, box=tb.bbox))
    _face_boxes(blobs, job, source, add, names)
    _text_boxes(blobs, job, source, add)
    frames = [OverlayFrame(t=t, boxes=boxes) for t, boxes in sorted(by_time.items())]
    return OverlayWindow(job_id=job.id, source=source, start=start, end=end, frames=frames)


def _identity_names(result: FacesResult, live: NameOf | None) -> dict[str, str | None]:
    name_of = live or (lambda identity: identity.name)
    return {i.identity_uuid: name_of(i) for i in result.identities}


def _face_boxes(
    blobs: BlobStore,
    job: JobRecord,
    source: int,
    add: Callable[[float, OverlayBox], None],
    live: NameOf | None,
) -> None:
    faces = _read(blobs, job, source, "faces", FacesResult)
    if faces is None:
        return
    names = _identity_names(faces, live)
    for trace in faces.traces:
        label = names.get(trace.identity_uuid) or "unknown"
        for f in trace.faces:
            b = f.bbox
            box = [b.x, b.y, b.x + b.width, b.y + b.height]
            add(
                f.timestamp_secs,
                OverlayBox(kind="face", label=label, box=box, ref=trace.identity_uuid),
            )


def _text_boxes(
    blobs: BlobStore, job: JobRecord, source: int, add: Callable[[float, OverlayBox], None]
) -> None:
    ocr = _read(blobs, job, source, "ocr", OcrResult)
    for frame in ocr.frames if ocr else []:
        for line in frame.lines:
            xs = [p[0] for p in line.box]
            ys = [p[1] for p in line.box]
            box = [min(xs), min(ys), max(xs), max(ys)]
            add(frame.timestamp, OverlayBox(kind="text", label=line.text, box=box))
