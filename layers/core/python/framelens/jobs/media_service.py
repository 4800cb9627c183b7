"""The media service: the one object seed 002's serving routes call.

Owns: answering for one stored file — the whole file with ``Range`` and conditional GETs (or a
presigned redirect in AWS), frame thumbnails, spans by stream copy, MPEG-TS clips, overlay and
trace videos, face thumbnails and the representative face — through the render cache (keys
come from a key-builder the deployment passes in; routers never build keys). Does not own media
operations (``framelens.media``), tenant checks (the router fetches the ``FileRecord`` through
the file store, which answers 404 for other tenants) or turning stored analyses into boxes and
face sightings (the caller passes ``FrameBoxes`` / ``FaceSighting``s and names the analysis).

Importing it is cheap: PyAV, OpenCV and numpy load when a method decodes.

Deployment modes: locally everything is answered inline and streamed. In AWS (``presign_expires_s``
set, ``inline_renders=False``) stored bytes are answered with a redirect to a presigned GET and
uncached renders with ``PendingAnswer`` (202): a worker calls ``render_to_cache`` and the retry
finds the render cached and is redirected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import ValidationError
from framelens.jobs.media_answers import (
    BytesAnswer,
    GetConditions,
    MediaAnswer,
    PendingAnswer,
    RedirectAnswer,
    StreamAnswer,
)
from framelens.jobs.media_images import MediaImages
from framelens.jobs.render_cache import (
    KeyBuilder,
    RenderRequest,
    default_render_key,
)
from framelens.media.conditional import (
    DEFAULT_CACHE_CONTROL,
    make_etag,
    plan_get,
)
from framelens.media.selection import FrameSpan, select_span

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from framelens.media.frame_index import FrameIndex
    from framelens.media.overlay import FrameBoxes
    from framelens.media.source import MediaSource
    from framelens.schemas import FileRecord
    from framelens.stores.ports import BlobStore

__all__ = ["MediaService"]

_NO_CONDITIONS = GetConditions()


def _primed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Run ``chunks`` to its first chunk now, so errors come before any response is sent."""
    first = next(chunks, None)

    def rest() -> Iterator[bytes]:
        try:
            if first is not None:
                yield first
            yield from chunks
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    return rest()


class MediaService(MediaImages):
    """Serve stored media and renders of it (thumbnails and faces: ``MediaImages``).

    Args:
        blobs: the blob store port.
        render_key: builds render cache keys (``runtime`` passes ``stores.layout.render_key``).
        presign_expires_s: answer stored bytes with a presigned GET valid this long (AWS);
            ``None`` streams them (local).
        inline_renders: render uncached clips/spans/overlays in the request (local) or answer
            ``PendingAnswer`` for a worker to render (AWS: API Gateway's 29 s, 10 MB limits).
        ranged_reads: decode through ranged reads of the blob (S3) instead of a local path.
        cache_control: ``Cache-Control`` of media answers (seed 002: 24 h, public).

    Examples:
        >>> service = MediaService(stores.blobs)  # doctest: +SKIP
        >>> answer = service.thumbnail(record, frame=1000)  # doctest: +SKIP
    """

    def __init__(
        self,
        blobs: BlobStore,
        *,
        render_key: KeyBuilder = default_render_key,
        presign_expires_s: int | None = None,
        inline_renders: bool = True,
        ranged_reads: bool = False,
        cache_control: str = DEFAULT_CACHE_CONTROL,
    ) -> None:
        super().__init__(
            blobs, render_key=render_key, ranged_reads=ranged_reads, cache_control=cache_control
        )
        self._presign_s = presign_expires_s
        self._inline = inline_renders

    # ---- stored bytes ------------------------------------------------------------------

    def video(self, record: FileRecord, conditions: GetConditions = _NO_CONDITIONS) -> MediaAnswer:
        """The whole file: 200/206/304/416 with ``Range`` and validators, or a redirect (AWS)."""
        etag = make_etag(record.file_id, record.size, record.time_created.isoformat())
        return self._serve_blob(
            record.blob_key, record.size, record.content_type, etag, record.time_created, conditions
        )

    def _serve_blob(
        self,
        key: str,
        size: int,
        content_type: str,
        etag: str,
        last_modified: datetime | None,
        conditions: GetConditions,
    ) -> MediaAnswer:
        if self._presign_s is not None:
            url = self._blobs.presign_get(key, expires_s=self._presign_s, content_type=content_type)
            if url is not None:
                return RedirectAnswer(url, headers={"Cache-Control": "no-store"})
        plan = plan_get(
            size,
            range_header=conditions.range,
            if_none_match=conditions.if_none_match,
            if_modified_since=conditions.if_modified_since,
            if_range=conditions.if_range,
            etag=etag,
            last_modified=last_modified,
            cache_control=self._cache_control,
        )
        if plan.range is None:  # 304, 416, or an empty file
            return BytesAnswer(b"", content_type, plan.status, plan.headers)
        chunks = self._blobs.iter_range(key, plan.range.start, plan.range.end)
        return StreamAnswer(chunks, content_type, plan.status, plan.headers)

    # ---- renders -----------------------------------------------------------------------

    def video_span(
        self,
        record: FileRecord,
        *,
        start_frame: int | None = None,
        end_frame: int | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        fps: float | None = None,
        audio: bool = True,
        conditions: GetConditions = _NO_CONDITIONS,
    ) -> MediaAnswer:
        """Seed ``/video`` with a span and/or ``audio=off``: a stream copy from the keyframe.

        Without a span and with audio this is ``video``; otherwise a fragmented MP4 starting at
        the keyframe at or before the span (``media.span``).

        Raises:
            ValidationError: bad span parameters (``media.selection``).
        """
        index = self.frame_index(record)
        span = select_span(
            index,
            start_frame=start_frame,
            end_frame=end_frame,
            start_time=start_time,
            end_time=end_time,
            fps=fps,
        )
        if span is None and audio:
            return self.video(record, conditions)
        request = _request("span", span, audio=audio)
        return self._render(record, request, conditions)

    def clip(
        self,
        record: FileRecord,
        *,
        start_frame: int | None = None,
        end_frame: int | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        fps: float | None = None,
        audio: bool = True,
        debug: bool = False,
        conditions: GetConditions = _NO_CONDITIONS,
    ) -> MediaAnswer:
        """Seed ``/clip``: frames ``start..end`` inclusive re-encoded as MPEG-TS (H.264 + AAC).

        Raises:
            ValidationError: no range given (seed: 400), or bad range parameters.
        """
        index = self.frame_index(record)
        span = select_span(
            index,
            start_frame=start_frame,
            end_frame=end_frame,
            start_time=start_time,
            end_time=end_time,
            fps=fps,
        )
        if span is None:
            raise ValidationError(
                "A clip needs a range: start_frame and end_frame, or start_time and end_time."
            )
        return self._render(record, _request("clip", span, audio=audio, debug=debug), conditions)

    def overlay_video(
        self,
        record: FileRecord,
        boxes: FrameBoxes,
        *,
        analysis: str,
        span: FrameSpan | None = None,
        audio: bool = True,
        hold: int = 0,
        conditions: GetConditions = _NO_CONDITIONS,
    ) -> MediaAnswer:
        """Seed ``/video/bbox`` (and ``/video?mode=debug``): every frame with its boxes drawn.

        Args:
            record: the file.
            boxes: frame index → boxes, built by the caller from the analysis.
            analysis: id (and version) of that analysis: a new analysis is a new render.
            span: frames to render (default: all).
            audio: keep the audio, re-encoded as AAC (seed 002's ``audio`` defaults to on).
            hold: frames boxes stay drawn after their frame (sampled detections).
            conditions: the request's ``Range`` and validators (for a cached render).
        """
        if span is not None:
            index = self.frame_index(record)
            index.check(span.start)
            index.check(span.end)
        request = _request("overlay", span, audio=audio, hold=hold, analysis=analysis)
        return self._render(record, request, conditions, boxes)

    def trace_video(
        self,
        record: FileRecord,
        boxes: FrameBoxes,
        *,
        analysis: str,
        trace_id: int,
        audio: bool = True,
        hold: int = 0,
        conditions: GetConditions = _NO_CONDITIONS,
    ) -> MediaAnswer:
        """Seed ``/trace/{id}/video``: the trace's span with its face highlighted.

        Raises:
            NotFoundError: the trace has no box in ``boxes``.
        """
        from framelens.media.overlay_video import track_span

        span = track_span(boxes, trace_id)
        request = _request(
            "trace", span, audio=audio, hold=hold, analysis=analysis, highlight=trace_id
        )
        return self._render(record, request, conditions, boxes)

    def _render(
        self,
        record: FileRecord,
        request: RenderRequest,
        conditions: GetConditions,
        boxes: FrameBoxes | None = None,
    ) -> MediaAnswer:
        key = self.cache.render_key(record, request)
        etag = make_etag(key)
        if self._blobs.exists(key):
            size = self._blobs.size(key)
            return self._serve_blob(key, size, request.content_type, etag, None, conditions)
        if not self._inline:
            return PendingAnswer(request, key)
        chunks = self.cache.tee(
            _primed(self._produce(record, request, boxes)), key, request.content_type
        )
        headers = {"Cache-Control": self._cache_control, "ETag": etag}
        return StreamAnswer(chunks, request.content_type, 200, headers)

    def render_to_cache(
        self, record: FileRecord, request: RenderRequest, boxes: FrameBoxes | None = None
    ) -> str:
        """Render ``request`` into the cache unless it is there (a worker's job); its key."""
        key = self.cache.render_key(record, request)
        if not self._blobs.exists(key):
            self.cache.store(self._produce(record, request, boxes), key, request.content_type)
        return key

    def _produce(
        self, record: FileRecord, request: RenderRequest, boxes: FrameBoxes | None
    ) -> Iterator[bytes]:
        with self.sources.open(record) as source:
            index = self.sources.frame_index(record, source)
            chunks = _renderer(source, index, request, boxes)
            try:
                yield from chunks
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()


def _request(kind: str, span: FrameSpan | None, **options: object) -> RenderRequest:
    start, end = (span.start, span.end) if span is not None else (None, None)
    return RenderRequest.from_dict({"kind": kind, "start": start, "end": end, **options})


def _renderer(
    source: MediaSource, index: FrameIndex, request: RenderRequest, boxes: FrameBoxes | None
) -> Iterator[bytes]:
    from framelens.media.clip import encode_clip
    from framelens.media.overlay_video import render_overlay_video
    from framelens.media.span import copy_span

    span = request.span
    if request.kind == "span":
        return copy_span(source, index, span, audio=request.audio)
    if request.kind == "clip":
        assert span is not None, "a clip request always has a span"
        return encode_clip(source, index, span, audio=request.audio, debug=request.debug)
    if boxes is None:
        raise ValueError(f"a {request.kind} render needs the boxes of analysis {request.analysis}")
    return render_overlay_video(
        source,
        index,
        boxes,
        span=span,
        highlight=request.highlight,
        hold=request.hold,
        audio=request.audio,
    )
