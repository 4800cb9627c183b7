"""Pure views over a ``FacesResult``: who is in a span of time, and who appears with whom.

Owns: seed 001 ``person_ids`` for a whole file (an image) or a scene's time span
(``person_constellation_scenes``), and seed 002's co-occurrence of two identities. Does not own:
computing the result (``analyzer``) or which spans are scenes (the ``scenes`` analyzer).

``relative_prominence``: each identity's prominence in the span is the largest prominence of its
faces there (``quality.prominence``: area share x centrality); dividing by the span's largest
gives 1.0 to the most prominent person and less to the others.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from framelens.schemas.results_faces import CoOccurrence, FaceBox, PersonId

if TYPE_CHECKING:
    from framelens.schemas.results_faces import FacesResult

__all__ = ["cooccurrence", "cooccurrences", "persons_in_span"]


def persons_in_span(
    result: FacesResult, start_s: float = 0.0, end_s: float = math.inf
) -> list[PersonId]:
    """The identities with a face in ``[start_s, end_s)``, most prominent first.

    Args:
        result: a faces result (public or part).
        start_s: span start in seconds (default: the whole file).
        end_s: span end in seconds, exclusive.

    Returns:
        One ``PersonId`` per identity present (seed 001 fields plus ``identity_uuid``/``name``).
    """
    best: dict[str, FaceBox] = {}
    for trace in result.traces:
        for face in trace.faces:
            if start_s <= face.timestamp_secs < end_s:
                held = best.get(trace.identity_uuid)
                if held is None or face.prominence > held.prominence:
                    best[trace.identity_uuid] = face
    if not best:
        return []
    top = max(f.prominence for f in best.values())
    people = []
    for identity in result.identities:
        shown = best.get(identity.identity_uuid)
        if shown is None:
            continue
        people.append(
            PersonId(
                age=identity.age,
                gender=identity.gender,
                face_embedding=identity.face_embedding,
                face_thumbnail=identity.representative.face_thumbnail,
                allowlisted=identity.allowlisted,
                relative_prominence=round(shown.prominence / top, 4) if top > 0 else 1.0,
                identity_uuid=identity.identity_uuid,
                name=identity.name,
                bbox=shown.bbox,
            )
        )
    return sorted(people, key=lambda p: (-p.relative_prominence, p.identity_uuid))


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
