"""Joining the parts of a segmented run: traces that touch a boundary continue across it.

Owns: ``join_parts``, which orders parts by time and joins a trace ending on a part's last sample
with a trace starting on the next part's first sample when the same gating as within a part
allows it (embedding cosine >= ``trace_gate`` and nearby boxes) and no shot change lies between
them. Does not own: what happens after (``assemble`` re-clusters and re-matches all traces).

Across a boundary the joined trace's representative is the better of the two segments'
representatives by seed 002's rule (the two are among the trace's top faces by quality).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from framelens.analyzers.faces.assemble import TraceRecord, choose_representative
from framelens.analyzers.faces.matching import mean_scores
from framelens.analyzers.faces.traces import near
from framelens.schemas.results_faces import FacesPartState, TraceState

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.schemas.results_faces import FacesPart, PixelBox

__all__ = ["HEADER_FIELDS", "join_parts"]

HEADER_FIELDS = (
    "model",
    "detector",
    "sample_fps",
    "media_fps",
    "frame_width",
    "frame_height",
    "gallery",
)


def _box(b: PixelBox) -> tuple[float, float, float, float]:
    return (float(b.x), float(b.y), float(b.width), float(b.height))


def _unit(values: list[float]) -> np.ndarray[Any, np.dtype[np.float64]]:
    v = np.array(values, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _gallery_scores(a: TraceRecord, b: TraceRecord) -> dict[str, float]:
    """The two halves' gallery scores combined (``matching.mean_scores``: never filled in)."""
    return mean_scores([(r.trace.face_count, r.state.gallery_scores) for r in (a, b)])


def _join(a: TraceRecord, b: TraceRecord) -> TraceRecord:
    trace = a.trace.model_copy(
        update={
            "faces": [*a.trace.faces, *b.trace.faces],
            "face_count": a.trace.face_count + b.trace.face_count,
            "last_frame": b.trace.last_frame,
            "last_timestamp": b.trace.last_timestamp,
            "representative": choose_representative(
                [a.trace.representative, b.trace.representative]
            ),
        }
    )
    state = TraceState(
        trace_id=a.state.trace_id,
        embedding_sum=[
            x + y for x, y in zip(a.state.embedding_sum, b.state.embedding_sum, strict=True)
        ],
        ages=[*a.state.ages, *b.state.ages],
        female_probabilities=[*a.state.female_probabilities, *b.state.female_probabilities],
        max_score=max(a.state.max_score, b.state.max_score),
        gallery_scores=_gallery_scores(a, b),
    )
    return TraceRecord(trace, state)


def _records(part: FacesPart) -> list[TraceRecord]:
    states = {s.trace_id: s for s in part.state.traces}
    return [TraceRecord(t, states[t.trace_id]) for t in part.traces if t.trace_id in states]


def _link(
    done: list[TraceRecord], last: int, recs: list[TraceRecord], first: int, gate: float
) -> None:
    """Join ``done``'s traces ending on sample ``last`` with ``recs`` starting on ``first``."""
    tails = [i for i, r in enumerate(done) if r.trace.last_frame == last]
    heads = [j for j, r in enumerate(recs) if r.trace.first_frame == first]
    pairs = []
    for i in tails:
        a = done[i]
        for j in heads:
            b = recs[j]
            cos = float(_unit(a.state.embedding_sum) @ _unit(b.state.embedding_sum))
            if cos >= gate and near(_box(a.trace.faces[-1].bbox), _box(b.trace.faces[0].bbox)):
                pairs.append((-cos, i, j))
    used_i: set[int] = set()
    used_j: set[int] = set()
    for _, i, j in sorted(pairs):
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        done[i] = _join(done[i], recs[j])
    done.extend(r for j, r in enumerate(recs) if j not in used_j)


def join_parts(
    parts: Sequence[FacesPart], gate: float
) -> tuple[list[TraceRecord], dict[str, Any], FacesPartState]:
    """All traces of ``parts`` (joined across boundaries), the header and the merged state.

    Args:
        parts: per-segment results, any order.
        gate: the trace gate (cosine) the parts ran with.

    Returns:
        ``(records, header, state)`` for ``assemble``.
    """
    ordered = sorted(parts, key=lambda p: (p.state.first_sample is None, p.state.first_sample or 0))
    done: list[TraceRecord] = []
    last: int | None = None
    for part in ordered:
        recs = _records(part)
        first = part.state.first_sample
        if last is not None and first is not None and not part.state.cut_at_start:
            _link(done, last, recs, first, gate)
        else:
            done.extend(recs)
        last = part.state.last_sample if part.state.last_sample is not None else last
    return done, _header(ordered), _merged_state(ordered)


def _header(ordered: Sequence[FacesPart]) -> dict[str, Any]:
    """The result's top-level fields: each the first part's that has it."""
    header: dict[str, Any] = {}
    for name in HEADER_FIELDS:
        values = [getattr(p, name) for p in ordered if getattr(p, name)]
        header[name] = values[0] if values else None
    header["frame_width"] = header["frame_width"] or 0
    header["frame_height"] = header["frame_height"] or 0
    return header


def _merged_state(ordered: Sequence[FacesPart]) -> FacesPartState:
    """The parts' merge state as one part's (its ``traces`` are set by ``assemble``)."""
    samples = [p.state for p in ordered if p.state.first_sample is not None]
    base = ordered[0].state if ordered else FacesPartState()
    return base.model_copy(
        update={
            "first_sample": samples[0].first_sample if samples else None,
            "last_sample": samples[-1].last_sample if samples else None,
            "cut_at_start": samples[0].cut_at_start if samples else False,
            "gallery_names": {k: v for p in ordered for k, v in p.state.gallery_names.items()},
            "gallery_allowlisted": sorted(
                {a for p in ordered for a in p.state.gallery_allowlisted}
            ),
            "traces": [],
        }
    )
