"""Open-set matching of faces against a tenant's gallery: vectors in, names (or unknown) out.

Owns: ``GalleryIndex`` (a ``GalleryView``'s vectors as one matrix), per-vector scores against each
gallery identity, and ``match_identities``, which names file identities. Does not own: where the
gallery comes from (``jobs.galleries`` builds the view; the engine hands it over in
``RunContext.gallery``) or clustering (``identities``).

Open set: a file identity gets a name only when its score for a gallery identity is at least
``threshold`` (default ``DEFAULT_MATCH_THRESHOLD`` = 0.88); below it the answer is unknown,
never the nearest name. A gallery identity's score for a vector is the best cosine over that
identity's enrolled vectors. Two file identities that share a frame never receive the same
gallery identity: the better-scoring one keeps it, the other stays unknown (or takes its next
candidate above the threshold). ``allowlisted`` is true only for a match to an allowlisted
gallery identity.

A trace keeps its scores for the gallery identities it scores at least ``score_floor`` (the
match threshold - 0.1) against, at most ``MAX_KEPT`` of them, best first; a score it did not
keep is below the floor or beyond the best ``MAX_KEPT``, so ``mean_scores`` (which combines
traces into a file identity, or the two halves of a trace split by a segment boundary) never
fills it in: a gallery identity that any trace lacks is no candidate for the combination. A
combined score is therefore the exact face-weighted mean or absent, never an over-estimate (the
earlier stand-in, a trace's lowest kept score, let a gallery of more than 8 identities lift a
stranger over the threshold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    from framelens.schemas.identities import GalleryView

__all__ = [
    "DEFAULT_MATCH_THRESHOLD",
    "MAX_KEPT",
    "GalleryIndex",
    "Match",
    "match_identities",
    "mean_scores",
    "score_floor",
]

DEFAULT_MATCH_THRESHOLD = 0.88
MAX_KEPT = 64  # bounds a trace's merge state in a large gallery
_FLOOR_MARGIN = 0.1


def score_floor(threshold: float) -> float:
    """The lowest score a trace keeps when matching at ``threshold``."""
    return threshold - _FLOOR_MARGIN


def mean_scores(parts: Sequence[tuple[int, dict[str, float]]]) -> dict[str, float]:
    """Face-count-weighted mean of ``(face_count, scores)`` parts, for the gallery identities
    every part kept (see the module doc: a missing score is never filled in).

    Examples:
        >>> mean_scores([(3, {"g": 0.9, "h": 0.95}), (1, {"g": 0.8})])
        {'g': 0.875}
    """
    total = sum(n for n, _ in parts)
    if not parts or total == 0:
        return {}
    shared = set.intersection(*(set(scores) for _, scores in parts))
    return {g: round(sum(n * s[g] for n, s in parts) / total, 6) for g in sorted(shared)}


@dataclass(frozen=True, slots=True)
class Match:
    """A file identity named from the gallery."""

    identity_id: str
    name: str
    allowlisted: bool
    similarity: float


class GalleryIndex:
    """The vectors of a ``GalleryView`` as one matrix, scored by best cosine per identity.

    Examples:
        >>> from framelens.schemas.identities import GalleryEntry, GalleryView
        >>> ann = GalleryEntry("id_1", "Ann", False, ((1.0, 0.0),))
        >>> view = GalleryView("acme", "staff", None, "dlib", (ann,))
        >>> GalleryIndex(view).scores(np.array([0.6, 0.8]))
        {'id_1': 0.6}
    """

    def __init__(self, view: GalleryView) -> None:
        self.view = view
        self.names = {e.identity_id: e.name for e in view.entries}
        self.allowlisted = {e.identity_id for e in view.entries if e.allowlisted}
        rows = [(e.identity_id, v) for e in view.entries for v in e.vectors]
        self._owners = [owner for owner, _ in rows]
        self._order = list(dict.fromkeys(self._owners))
        dim = len(rows[0][1]) if rows else 0
        matrix = np.array([v for _, v in rows], dtype=np.float64).reshape(len(rows), dim)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix = matrix / np.maximum(norms, 1e-12)

    def scores(self, vector: npt.NDArray[np.float64], floor: float = -1.0) -> dict[str, float]:
        """Best cosine per gallery identity for one vector: those at least ``floor``, at most
        ``MAX_KEPT``, highest first, rounded."""
        if not self._owners:
            return {}
        v = np.asarray(vector, dtype=np.float64)
        if self._matrix.shape[1] != v.shape[0]:
            return {}
        cos = self._matrix @ (v / max(float(np.linalg.norm(v)), 1e-12))
        best: dict[str, float] = {}
        for owner, value in zip(self._owners, cos.tolist(), strict=True):
            best[owner] = max(best.get(owner, -1.0), value)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], self._order.index(kv[0])))
        return {k: round(v, 6) for k, v in ranked[:MAX_KEPT] if v >= floor}


def match_identities(
    scores: Sequence[dict[str, float]],
    conflicts: Sequence[set[int]],
    names: dict[str, str],
    allowlisted: set[str] | frozenset[str],
    threshold: float = DEFAULT_MATCH_THRESHOLD,
) -> list[Match | None]:
    """Name each file identity from its gallery scores, open-set.

    Args:
        scores: per file identity, gallery identity id -> score.
        conflicts: per file identity, the indexes of file identities it shares a frame with.
        names: gallery identity id -> name.
        allowlisted: allowlisted gallery identity ids.
        threshold: minimum score for a name.

    Returns:
        Per file identity its ``Match``, or ``None`` (unknown).

    Examples:
        >>> match_identities([{"g": 0.95}, {"g": 0.5}], [set(), set()], {"g": "Ann"}, set(), 0.9)
        [Match(identity_id='g', name='Ann', allowlisted=False, similarity=0.95), None]
    """
    pairs = sorted(
        ((s, i, g) for i, row in enumerate(scores) for g, s in row.items() if s >= threshold),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    out: list[Match | None] = [None] * len(scores)
    holders: dict[str, list[int]] = {}
    for score, i, gid in pairs:
        if out[i] is not None or gid not in names:
            continue
        if any(h in conflicts[i] for h in holders.get(gid, [])):
            continue
        out[i] = Match(gid, names[gid], gid in allowlisted, round(score, 6))
        holders.setdefault(gid, []).append(i)
    return out
