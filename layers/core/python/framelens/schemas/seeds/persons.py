"""Seed 001 ``person_ids``: who is in an image or a span of a video, from a ``FacesResult``.

Owns: ``persons_in_span``, a pure view over the ``faces`` result that the image batch (whole
image), the video route (per raw scene: ``person_constellation_scenes``) and the faces package
share. It lives here, beside the other pure seed builders, so the API can build seed bodies from
stored results without importing analyzers. Does not own: computing the faces result
(``framelens.analyzers.faces``) or turning thumbnail keys into URLs (the routes).

``relative_prominence``: each identity's prominence in the span is the largest prominence of its
faces there (``quality.prominence``: area share x centrality); dividing by the span's largest
gives 1.0 to the most prominent person and less to the others.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from framelens.schemas.results_faces import PersonId

if TYPE_CHECKING:
    from framelens.schemas.results_faces import FaceBox, FacesResult

__all__ = ["persons_in_span"]


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

    Examples:
        >>> from framelens.schemas.results_faces import FacesResult
        >>> persons_in_span(FacesResult(), 0.0, 3.0)
        []
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
