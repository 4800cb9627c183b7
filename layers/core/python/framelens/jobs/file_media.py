"""Seed 002's answers for one tenant's stored file: the one object its router calls.

Owns: which media-service call each route makes (the whole file, a span, a clip, a thumbnail,
the detection overlay, a trace's video, representative face and thumbnail, a co-occurrence),
with the boxes and face sightings of the file's latest finished analysis (``jobs.file_analyses``);
handing renders to a worker where this deployment renders there (AWS: API Gateway's 29 s and
10 MB), via ``jobs.render_queue``; and the worker's side of it (``render``). Does not own media
operations (``jobs.media_service``, ``framelens.media``), HTTP (``api.seeds.streaming``), or the
co-occurrence arithmetic (the faces analyzer's, passed in by the composition root: this layer may
not import analyzers).

The frame index: spans, thumbnails and faces need it. Locally it is built on first use; in AWS a
file larger than ``inline_index_max_bytes`` (demuxing it over ranged S3 reads would not fit a
request) has it built by the worker first, answered 202 like a render.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framelens.errors import FramelensError, NotFoundError, ValidationError
from framelens.jobs.media_answers import GetConditions, PendingAnswer
from framelens.jobs.render_cache import RenderRequest
from framelens.jobs.render_queue import RenderTask, RenderTickets

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.jobs.file_analyses import FacesAnalysis, FileAnalyses
    from framelens.jobs.media_answers import BytesAnswer, MediaAnswer
    from framelens.jobs.media_service import MediaService
    from framelens.media.faces import RepresentativeFace
    from framelens.media.thumbnails import Crop
    from framelens.schemas import FileRecord
    from framelens.schemas.results_faces import CoOccurrence, FacesResult, FaceTrace
    from framelens.stores import FileStore

__all__ = ["FileMedia", "Pair", "Range", "TraceFace"]

_NO_CONDITIONS = GetConditions()


@dataclass(frozen=True, slots=True)
class Range:
    """Seed 002's span parameters, as given (``media.selection`` resolves them)."""

    start_frame: int | None = None
    end_frame: int | None = None
    start_time: float | None = None
    end_time: float | None = None
    fps: float | None = None

    @property
    def given(self) -> bool:
        """Whether any bound was given."""
        bounds = (self.start_frame, self.end_frame, self.start_time, self.end_time)
        return any(v is not None for v in bounds)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``MediaService.video_span``/``clip``/``select_span``."""
        return {
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "fps": self.fps,
        }


@dataclass(frozen=True, slots=True)
class TraceFace:
    """A trace and the face that represents it (seed 002 ``representative-face``)."""

    trace: FaceTrace
    face: RepresentativeFace


@dataclass(frozen=True, slots=True)
class Pair:
    """Two identities' first co-occurrence, with the trace and face shown for each."""

    analysis: FacesAnalysis
    together: CoOccurrence
    a: TraceFace
    b: TraceFace


class FileMedia:
    """Seed 002's media answers over a tenant's stored files.

    Args:
        files: the file store (tenant-scoped reads: other tenants' files are 404).
        media: the media service (inline or worker renders, per deployment).
        analyses: the files' finished analyses.
        tickets: asks the worker for renders (and remembers its failures).
        cooccurrence: the faces analyzer's ``cooccurrence(result, a, b)``.
        inline_index_max_bytes: build a missing frame index in the request only for files up to
            this size (AWS); ``None``: always (local).
    """

    def __init__(
        self,
        files: FileStore,
        media: MediaService,
        analyses: FileAnalyses,
        tickets: RenderTickets,
        *,
        cooccurrence: Callable[[FacesResult, str, str], CoOccurrence | None],
        inline_index_max_bytes: int | None = None,
    ) -> None:
        self._files = files
        self.media = media
        self._analyses = analyses
        self._tickets = tickets
        self._cooccurrence = cooccurrence
        self._inline_index_max = inline_index_max_bytes

    # ---- the file ----------------------------------------------------------------------------

    def file(self, tenant_id: str, file_id: str) -> FileRecord:
        """The tenant's stored, complete file. Raises ``NotFoundError`` otherwise."""
        record = self._files.get(tenant_id, file_id)
        if record.state != "ready":
            raise NotFoundError(f"File {file_id} is still uploading; complete the upload first.")
        return record

    def _queued(self, record: FileRecord, answer: MediaAnswer) -> MediaAnswer:
        if isinstance(answer, PendingAnswer):
            self._tickets.ask(record, answer)
        return answer

    def _index_pending(self, record: FileRecord) -> PendingAnswer | None:
        """202 while a worker builds the frame index of a file too large to index inline."""
        limit = self._inline_index_max
        if limit is None or record.size <= limit or self.media.sources.has_index(record):
            return None
        pending = PendingAnswer(RenderRequest("index"), self.media.sources.index_key(record))
        self._tickets.ask(record, pending)
        return pending

    # ---- stored bytes, spans, clips, thumbnails ----------------------------------------------

    def video(
        self,
        record: FileRecord,
        span: Range,
        *,
        audio: bool = True,
        debug: bool = False,
        conditions: GetConditions = _NO_CONDITIONS,
    ) -> MediaAnswer:
        """``GET .../video``: the stored bytes, a span by stream copy, or the debug overlay."""
        if debug:
            return self.detections(record, span, audio=audio, conditions=conditions)
        if not span.given and audio:
            return self.media.video(record, conditions)
        pending = self._index_pending(record)
        if pending is not None:
            return pending
        answer = self.media.video_span(record, audio=audio, conditions=conditions, **span.kwargs())
        return self._queued(record, answer)

    def clip(
        self,
        record: FileRecord,
        span: Range,
        *,
        audio: bool = True,
        debug: bool = False,
        conditions: GetConditions = _NO_CONDITIONS,
    ) -> MediaAnswer:
        """``GET .../clip``: MPEG-TS, frame-accurate. Raises ``ValidationError`` without a range."""
        if not span.given:
            raise ValidationError(
                "A clip needs a range: start_frame and end_frame, or start_time and end_time."
            )
        pending = self._index_pending(record)
        if pending is not None:
            return pending
        answer = self.media.clip(
            record, audio=audio, debug=debug, conditions=conditions, **span.kwargs()
        )
        return self._queued(record, answer)

    def thumbnail(
        self, record: FileRecord, frame: int, crop: Crop | None, if_none_match: str | None
    ) -> BytesAnswer | PendingAnswer:
        """``GET .../thumbnail``: frame N (zero-based) as JPEG, optionally cropped."""
        pending = self._index_pending(record)
        if pending is not None:
            return pending
        return self.media.thumbnail(record, frame=frame, crop=crop, if_none_match=if_none_match)

    # ---- analyses ----------------------------------------------------------------------------

    def detections(
        self,
        record: FileRecord,
        span: Range | None = None,
        *,
        audio: bool = True,
        conditions: GetConditions = _NO_CONDITIONS,
    ) -> MediaAnswer:
        """``GET .../video/bbox`` (and ``/video?mode=debug``): every object and face drawn."""
        drawn = self._analyses.detections(record, record.probe.fps)
        chosen = None
        if span is not None and span.given:
            pending = self._index_pending(record)
            if pending is not None:
                return pending
            from framelens.media.selection import select_span

            chosen = select_span(self.media.frame_index(record), **span.kwargs())
        answer = self.media.overlay_video(
            record, drawn.boxes, analysis=drawn.analysis, span=chosen, audio=audio,
            conditions=conditions,
        )  # fmt: skip
        return self._queued(record, answer)

    def trace_video(
        self,
        record: FileRecord,
        trace_id: int,
        *,
        audio: bool = True,
        conditions: GetConditions = _NO_CONDITIONS,
    ) -> MediaAnswer:
        """``GET .../trace/{id}/video``: the trace's span with its face highlighted."""
        from framelens.jobs.overlay_boxes import faces_boxes

        faces = self._analyses.faces(record)
        faces.trace(trace_id)  # 404 naming the traces there are
        boxes = faces_boxes(faces.result, record.probe.fps)
        answer = self.media.trace_video(
            record, boxes, analysis=faces.analysis, trace_id=trace_id, audio=audio,
            conditions=conditions,
        )  # fmt: skip
        return self._queued(record, answer)

    def representative(self, record: FileRecord, trace_id: int) -> TraceFace | PendingAnswer:
        """``GET .../trace/{id}/representative-face``: the trace and its chosen face."""
        faces = self._analyses.faces(record)
        return self._trace_face(record, faces, trace_id)

    def _trace_face(
        self, record: FileRecord, faces: FacesAnalysis, trace_id: int
    ) -> TraceFace | PendingAnswer:
        trace = faces.trace(trace_id)
        pending = self._index_pending(record)
        if pending is not None:
            return pending
        chosen = self.media.representative_face(
            record, faces.sightings(trace_id), analysis=faces.analysis, trace_id=trace_id
        )
        return TraceFace(trace, chosen)

    def trace_thumbnail(
        self, record: FileRecord, trace_id: int, if_none_match: str | None
    ) -> BytesAnswer | PendingAnswer:
        """``GET .../trace/{id}/thumbnail``: the representative face, 320×320 JPEG."""
        faces = self._analyses.faces(record)
        faces.trace(trace_id)
        pending = self._index_pending(record)
        if pending is not None:
            return pending
        return self.media.trace_thumbnail(
            record, faces.sightings(trace_id), analysis=faces.analysis, trace_id=trace_id,
            if_none_match=if_none_match,
        )  # fmt: skip

    def cooccurrence(self, record: FileRecord, a: str, b: str) -> Pair | PendingAnswer:
        """``GET .../identities/{a}/co-occur-with/{b}``.

        Raises:
            NotFoundError: no faces analysis, an identity not in it, or never together.
            ValidationError: ``a`` and ``b`` are the same identity.
        """
        faces = self._analyses.faces(record)
        known = {i.identity_uuid for i in faces.result.identities}
        for uuid in (a, b):
            if uuid not in known:
                raise NotFoundError(
                    f"Identity {uuid} is not in file {record.file_id}'s faces analysis "
                    f"(job {faces.job.id}).",
                    details={"identity_uuid": uuid},
                )
        if a == b:
            raise ValidationError("Give two different identities to find them together.")
        together = self._cooccurrence(faces.result, a, b)
        if together is None:
            raise NotFoundError(
                f"Identities {a} and {b} never appear together in file {record.file_id}.",
                details={"identity_a": a, "identity_b": b},
            )
        shown = []
        for uuid in (a, b):
            trace_id = _trace_at(faces.result, uuid, together.frame_number)
            face = self._trace_face(record, faces, trace_id)
            if isinstance(face, PendingAnswer):
                return face
            shown.append(face)
        return Pair(faces, together, shown[0], shown[1])

    # ---- the worker's side -------------------------------------------------------------------

    def render(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Make the render a ``RenderTask`` asks for into the cache (the render worker).

        A client-caused failure (bad media, an analysis gone) is recorded beside the render and
        answered from then on; anything else propagates (the invocation fails and the next
        client poll asks again).
        """
        task = RenderTask.from_dict(payload)
        try:
            record = self.file(task.tenant_id, task.file_id)
            request = task.render
            if request.kind == "index":
                self.media.frame_index(record)
                return {"key": task.key, "kind": "index"}
            boxes = None
            if request.analysis is not None and request.kind in ("overlay", "trace"):
                boxes = self._analyses.drawn_for(record, request.analysis, record.probe.fps).boxes
            key = self.media.render_to_cache(record, request, boxes)
            return {"key": key, "kind": request.kind}
        except FramelensError as exc:
            if exc.http_status >= 500:
                raise
            self._tickets.failed(task.key, exc)
            return {"key": task.key, "error": exc.code}
        finally:
            self._tickets.done(task.key)


def _trace_at(result: FacesResult, identity: str, frame: int) -> int:
    """The identity's trace with a face on ``frame`` (its first trace if none has)."""
    traces = [t for t in result.traces if t.identity_uuid == identity]
    for trace in traces:
        if any(f.frame_number == frame for f in trace.faces):
            return trace.trace_id
    return traces[0].trace_id
