"""Pure views over a ``FacesResult``: who is in a span of time, and who appears with whom.

Owns: seed 002's co-occurrence of two identities. ``persons_in_span`` (seed 001 ``person_ids``
of an image or a scene's span) is re-exported from ``schemas.seeds.persons``, where it lives so
the API can build seed bodies without importing analyzers. Does not own: computing the result
(``analyzer``) or which spans are scenes (the ``scenes`` analyzer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.schemas.results_faces import CoOccurrence
from framelens.schemas.seeds.persons import persons_in_span

if TYPE_CHECKING:
    from framelens.schemas.results_faces import FacesResult

__all__ = ["cooccurrence", "cooccurrences", "persons_in_span"]


def _frames_by_identity(result: FacesResult) -> dict[str, dict[int, float]]:
    frames: dict[str, dict[int, float]] = {}
    for trace in result.traces:
        seen = frames.setdefault(trace.identity_uuid, {})
        for face in trace.faces:
            seen[face.frame_number] = face.timestamp_secs
    return frames


def _pair(
    result: FacesResult, a: str, b: str, frames: dict[str, dict[int, float]]
) -> CoOccurrence | None:
    both = sorted(set(frames.get(a, {})) & set(frames.get(b, {})))
    if not both:
        return None
    step = 1
    if result.media_fps and result.sample_fps:
        step = max(1, round(result.media_fps / result.sample_fps))
    return CoOccurrence(
        identity_a=a,
        identity_b=b,
        frame_number=both[0],
        timestamp_secs=frames[a][both[0]],
        total_cooccurrence_frames=len(both) * step,
        sampled_frames=len(both),
        last_frame_number=both[-1],
        last_timestamp_secs=frames[a][both[-1]],
    )


def cooccurrence(result: FacesResult, identity_a: str, identity_b: str) -> CoOccurrence | None:
    """When ``identity_a`` and ``identity_b`` first (and last) share a sampled frame, or ``None``.

    Examples:
        >>> cooccurrence(result, a_uuid, b_uuid).frame_number  # doctest: +SKIP
        75
    """
    return _pair(result, identity_a, identity_b, _frames_by_identity(result))


def cooccurrences(result: FacesResult) -> list[CoOccurrence]:
    """Every pair of identities that share at least one sampled frame, in identity order."""
    frames = _frames_by_identity(result)
    ids = [i.identity_uuid for i in result.identities]
    out = []
    for k, a in enumerate(ids):
        for b in ids[k + 1 :]:
            pair = _pair(result, a, b, frames)
            if pair is not None:
                out.append(pair)
    return out
