"""``TrackBook``: what ``tracking`` keeps of its tracks while a pass runs.

Owns: numbering tracks 1..N by first appearance (the tracker's ids in between are its own), the
class votes of each track, and its boxes, which go to a ``FramePager`` as ``TrackRow``s, so with
a page sink a worker holds one page of boxes whatever the video's length; only each track's
first and last box stay (the span, and what ``merge`` links across segments). Does not own
tracking (ByteTrack) or drawing (``tracking``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from framelens.analyzers._pages import FramePager
from framelens.schemas.parts_pages import TrackRow
from framelens.schemas.results_objects import Track, TrackBox

if TYPE_CHECKING:
    from framelens.engine.base import ArtifactSink

__all__ = ["TrackBook"]


@dataclass(slots=True)
class _Span:
    first: TrackBox
    last: TrackBox
    votes: Counter[str] = field(default_factory=Counter)


class TrackBook:
    """Tracks of one pass; ``close()`` gives them (with boxes unless paged) and the page keys."""

    def __init__(self, sink: ArtifactSink | None = None) -> None:
        self._ids: dict[int, int] = {}  # tracker id -> our id
        self._spans: dict[int, _Span] = {}  # by our id
        self._rows: FramePager[TrackRow] = FramePager("tracking", sink)

    def add_frame(self, boxes: list[tuple[int, str, TrackBox]]) -> None:
        """One detected frame's ``(tracker id, class, box)``; new tracks numbered in tracker id
        order (as sorting all tracks by first frame, then tracker id, would)."""
        for tracker_id, class_name, box in sorted(boxes, key=lambda b: b[0]):
            our = self._ids.setdefault(tracker_id, len(self._ids) + 1)
            span = self._spans.get(our)
            if span is None:
                span = self._spans[our] = _Span(box, box)
            span.last = box
            span.votes[class_name] += 1
            self._rows.add(TrackRow(track=our, **box.model_dump()))

    def class_of(self, tracker_id: int) -> str:
        """The majority class of a track seen so far."""
        return self._spans[self._ids[tracker_id]].votes.most_common(1)[0][0]

    def close(self) -> tuple[list[Track], list[str]]:
        """The tracks in id order; their boxes inline without a sink, else in the pages."""
        rows, pages = self._rows.close()
        boxes: dict[int, list[TrackBox]] = {}
        for row in rows:
            boxes.setdefault(row.track, []).append(TrackBox(**row.model_dump(exclude={"track"})))
        tracks = [
            Track.model_validate(
                {
                    "id": our,
                    "class": span.votes.most_common(1)[0][0],
                    "first_frame": span.first.frame,
                    "last_frame": span.last.frame,
                    "first_timestamp": span.first.timestamp,
                    "last_timestamp": span.last.timestamp,
                    "frames": boxes.get(our, []),
                }
            )
            for our, span in sorted(self._spans.items())
        ]
        return tracks, pages
