"""Images of a stored file for the media service: frame thumbnails and face pictures.

Owns: ``MediaImages``, the base of ``MediaService`` holding what every answer shares (the blob
store, the render cache, decoder sources and frame indexes) and answering the JPEG and JSON
routes of seed 002: ``/thumbnail`` (frame N or the frame at a time, optionally cropped),
``/trace/{id}/thumbnail`` and ``/trace/{id}/representative-face``. Images are cached in the
blob store under keys naming every input, so a matching ``If-None-Match`` needs no decoding.
Does not own the video answers (``jobs.media_service``) or the image operations
(``framelens.media.thumbnails``, ``framelens.media.faces``).
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import TYPE_CHECKING

from framelens.errors import ValidationError
from framelens.jobs.media_answers import BytesAnswer
from framelens.jobs.media_sources import MediaSources
from framelens.jobs.render_cache import RENDER_VERSION, RenderCache, default_render_key
from framelens.media.conditional import DEFAULT_CACHE_CONTROL, if_none_match_matches, make_etag

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from framelens.jobs.render_cache import KeyBuilder
    from framelens.media.faces import FaceSighting, RepresentativeFace
    from framelens.media.frame_index import FrameIndex
    from framelens.media.source import MediaSource
    from framelens.media.thumbnails import Crop
    from framelens.schemas import FileRecord
    from framelens.stores.ports import BlobStore

__all__ = ["MediaImages"]

_JPEG = "image/jpeg"


class MediaImages:
    """Thumbnails and face pictures of stored files (the base of ``MediaService``).

    Args:
        blobs: the blob store port.
        render_key: builds cache keys (``runtime`` passes ``stores.layout.render_key``).
        ranged_reads: decode through ranged reads of the blob (S3) instead of a local path.
        cache_control: ``Cache-Control`` of media answers (seed 002: 24 h, public).
    """

    def __init__(
        self,
        blobs: BlobStore,
        *,
        render_key: KeyBuilder = default_render_key,
        ranged_reads: bool = False,
        cache_control: str = DEFAULT_CACHE_CONTROL,
    ) -> None:
        self._blobs = blobs
        self.cache = RenderCache(blobs, render_key)
        self.sources = MediaSources(self.cache, ranged_reads=ranged_reads)
        self._cache_control = cache_control

    def frame_index(self, record: FileRecord) -> FrameIndex:
        """The file's frame index (built once, then cached)."""
        return self.sources.frame_index(record)

    def thumbnail(
        self,
        record: FileRecord,
        *,
        frame: int | None = None,
        time: float | None = None,
        crop: Crop | None = None,
        if_none_match: str | None = None,
    ) -> BytesAnswer:
        """Seed ``/thumbnail``: frame N (or the frame at a time) as JPEG, optionally cropped.

        Raises:
            ValidationError: neither or both of frame/time, a frame past the end, a crop outside
                the frame (each message names the problem).
        """
        from framelens.media.thumbnails import thumbnail

        index = self.frame_index(record)
        number = _frame_number(index, frame, time)
        if crop is not None and record.probe.width and record.probe.height:
            crop.check_inside(record.probe.width, record.probe.height)
        box = "none" if crop is None else f"{crop.x},{crop.y},{crop.w},{crop.h}"
        params = f"frame={number};crop={box};v={RENDER_VERSION}"
        key = self.cache.key(record, "thumbnail", params, "jpg")
        return self._image(
            record, key, if_none_match, lambda src: thumbnail(src, index, frame=number, crop=crop)
        )

    def face_thumbnail(
        self,
        record: FileRecord,
        frame: int,
        bbox: tuple[int, int, int, int],
        *,
        if_none_match: str | None = None,
    ) -> BytesAnswer:
        """A 320×320 JPEG of the face at ``bbox`` (x, y, width, height) on ``frame``."""
        from framelens.media.faces import face_thumbnail

        index = self.frame_index(record)
        index.check(frame)
        params = f"frame={frame};bbox={','.join(map(str, bbox))};v={RENDER_VERSION}"
        key = self.cache.key(record, "face", params, "jpg")
        return self._image(
            record, key, if_none_match, lambda src: face_thumbnail(src, index, frame, bbox)
        )

    def representative_face(
        self,
        record: FileRecord,
        sightings: Sequence[FaceSighting],
        *,
        analysis: str | None = None,
        trace_id: int | None = None,
    ) -> RepresentativeFace:
        """Seed ``/trace/{id}/representative-face``: cached per analysis and trace when named.

        Raises:
            NotFoundError: no sightings (seed: "no suitable face").
        """
        from framelens.media.faces import representative_face

        key = None
        if analysis is not None and trace_id is not None:
            params = f"analysis={analysis};trace={trace_id};v={RENDER_VERSION}"
            key = self.cache.key(record, "representative-face", params, "json")
            stored = self.cache.get(key)
            if stored is not None:
                return _face_from_json(stored)
        index = self.frame_index(record)
        with self.sources.open(record) as source:
            chosen = representative_face(source, index, sightings)
        if key is not None:
            self.cache.keep(key, _face_to_json(chosen), "application/json")
        return chosen

    def trace_thumbnail(
        self,
        record: FileRecord,
        sightings: Sequence[FaceSighting],
        *,
        analysis: str | None = None,
        trace_id: int | None = None,
        if_none_match: str | None = None,
    ) -> BytesAnswer:
        """Seed ``/trace/{id}/thumbnail``: the representative face as a 320×320 JPEG."""
        chosen = self.representative_face(record, sightings, analysis=analysis, trace_id=trace_id)
        face = chosen.sighting
        return self.face_thumbnail(record, face.frame, face.bbox, if_none_match=if_none_match)

    def _image(
        self,
        record: FileRecord,
        key: str,
        if_none_match: str | None,
        make: Callable[[MediaSource], bytes],
    ) -> BytesAnswer:
        etag = make_etag(key)
        headers = {"Cache-Control": self._cache_control, "ETag": etag}
        # The key names every input of a deterministic image: a matching tag needs no decode.
        if if_none_match is not None and if_none_match_matches(if_none_match, etag):
            return BytesAnswer(b"", _JPEG, 304, headers)
        body = self.cache.get(key)
        if body is None:
            with self.sources.open(record) as source:
                body = make(source)
            self.cache.keep(key, body, _JPEG)
        return BytesAnswer(body, _JPEG, 200, headers)


def _frame_number(index: FrameIndex, frame: int | None, time: float | None) -> int:
    if (frame is None) == (time is None):
        raise ValidationError("Give either frame (a zero-based frame number) or time, not both.")
    if frame is not None:
        index.check(frame)
        return frame
    assert time is not None
    return index.index_at_time(Fraction(time).limit_denominator(1_000_000))


def _face_to_json(face: RepresentativeFace) -> bytes:
    s = face.sighting
    doc = {
        "frame": s.frame,
        "bbox": list(s.bbox),
        "confidence": s.confidence,
        "timestamp": [face.timestamp.numerator, face.timestamp.denominator],
        "quality_score": face.quality_score,
        "blur_score": face.blur_score,
    }
    return json.dumps(doc).encode()


def _face_from_json(data: bytes) -> RepresentativeFace:
    from framelens.media.faces import FaceSighting, RepresentativeFace

    doc = json.loads(data)
    x, y, w, h = (int(v) for v in doc["bbox"])
    sighting = FaceSighting(int(doc["frame"]), (x, y, w, h), float(doc["confidence"]))
    return RepresentativeFace(
        sighting, Fraction(*doc["timestamp"]), doc["quality_score"], doc["blur_score"]
    )
