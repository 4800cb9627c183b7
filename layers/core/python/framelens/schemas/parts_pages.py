"""Paged parts: a result whose per-frame entries lie in pages in the result store.

Owns: ``Paged`` (the merge state ``pages``: blob keys of JSON arrays of the result's ``frames``,
in time order, and ``unpage``, which reads them back) and the paged part models of the
analyzers that record something per sampled frame (``ObjectsPart``, ``OcrPart``,
``TrackingPart``). A part is
paged when its analyzer ran with ``RunContext.pages`` (the pipeline's analyze stage gives one):
its frames then never pile up in the worker's memory, whatever the video's length. The
aggregate stage unpages the merged part before anything reads its frames, so the public
documents keep their shape; ``public()`` drops ``pages``. Does not own how frames are computed
(``framelens.analyzers``) or where pages are stored (``stores.layout.page_prefix``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, Field, TypeAdapter

from framelens.schemas.results_base import AnalyzerResult, public_view
from framelens.schemas.results_objects import ObjectsResult, TrackBox, TrackingResult
from framelens.schemas.results_ocr import OcrResult

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ObjectsPart", "OcrPart", "Paged", "TrackRow", "TrackingPart"]


class Paged(BaseModel):
    """Mixin of a part model with a ``frames`` list: where those frames were paged out to."""

    pages: list[str] = Field(
        default_factory=list,
        description="Blob keys of JSON arrays of this result's frames, in time order.",
    )

    def unpage(self, read: Callable[[str], bytes]) -> Self:
        """This part with its pages read back into ``frames`` (after any frames it holds).

        A frame index seen twice (the same frame in two segments' pages) is kept once.
        """
        if not self.pages:
            return self
        annotation: Any = type(self).model_fields["frames"].annotation
        adapter: TypeAdapter[list[Any]] = TypeAdapter(annotation)
        frames = list(getattr(self, "frames"))  # noqa: B009 - the mixin has no field of its own
        seen = {f.frame for f in frames}
        for key in self.pages:
            for frame in adapter.validate_json(read(key)):
                if frame.frame not in seen:
                    seen.add(frame.frame)
                    frames.append(frame)
        return self.model_copy(update={"frames": frames, "pages": []})


class ObjectsPart(Paged, ObjectsResult):
    """``objects`` as a worker stores it: frames inline or in pages."""

    def public(self) -> AnalyzerResult:
        """The detections without the page keys."""
        return public_view(self, ObjectsResult)


class OcrPart(Paged, OcrResult):
    """``ocr`` as a worker stores it: frames inline or in pages."""

    def public(self) -> AnalyzerResult:
        """The lines without the page keys."""
        return public_view(self, OcrResult)


class TrackRow(TrackBox):
    """One box of a paged track: the track's (final) id and its box on one frame."""

    track: int


class TrackingPart(Paged, TrackingResult):
    """``tracking`` as a worker stores it: each track's boxes inline, or in pages of
    ``TrackRow``s (then ``tracks`` carry their ids, classes and spans with no ``frames``)."""

    def unpage(self, read: Callable[[str], bytes]) -> Self:
        """The tracks with their boxes read back from the pages, in frame order."""
        if not self.pages:
            return self
        boxes: dict[int, list[TrackBox]] = {t.id: list(t.frames) for t in self.tracks}
        for key in self.pages:
            for row in _ROWS.validate_json(read(key)):
                boxes.setdefault(row.track, []).append(
                    TrackBox(**row.model_dump(exclude={"track"}))
                )
        tracks = [t.model_copy(update={"frames": boxes.get(t.id, [])}) for t in self.tracks]
        return self.model_copy(update={"tracks": tracks, "pages": []})

    def public(self) -> AnalyzerResult:
        """The tracks without the page keys."""
        return public_view(self, TrackingResult)


_ROWS: TypeAdapter[list[TrackRow]] = TypeAdapter(list[TrackRow])
