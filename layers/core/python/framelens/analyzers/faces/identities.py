"""Identities within a file: traces clustered into persons by embedding.

Owns: ``cluster_traces``, agglomerative clustering of trace mean embeddings with a
cannot-link rule. Does not own: building traces (``traces``), naming clusters from a gallery
(``matching``) or their public shape (``assemble``).

Method: start with one cluster per trace; repeatedly join the two clusters whose centroids
(normalised sum of their faces' embeddings, so long traces weigh more) have the highest cosine,
as long as it is at least ``threshold`` and no trace of one shares a sampled frame with a trace
of the other: one identity is never given to two faces of the same frame. Ties break by trace
order, so the result is deterministic.

Threshold (default ``DEFAULT_CLUSTER_THRESHOLD`` = 0.88, cosine of L2-normalised dlib
descriptors): see the package docstring for the calibration. On the
violinist clip the 4 shots' trace means have cosines 0.968-0.991 with each other; the astronaut
against any of them 0.76-0.79; the grey ``camera`` photo's face against them at most 0.85.
dlib's own operating point (euclidean 0.6 on raw descriptors, whose norms are about 1.3 here)
is cosine ~0.89.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

__all__ = ["DEFAULT_CLUSTER_THRESHOLD", "cluster_traces"]

DEFAULT_CLUSTER_THRESHOLD = 0.88


def _unit(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _conflicts(frames: Sequence[set[int]], n: int) -> npt.NDArray[np.bool_]:
    """``[i, j]`` is true when traces ``i`` and ``j`` have a face on the same sampled frame."""
    conflict = np.zeros((n, n), dtype=bool)
    owners: dict[int, list[int]] = {}
    for i, fs in enumerate(frames):
        for f in fs:
            owners.setdefault(f, []).append(i)
    for present in owners.values():
        conflict[np.ix_(present, present)] = True
    return conflict


class _Agglomeration:
    """The clustering's state: members, embedding sums, similarities and blocked pairs."""

    def __init__(self, sums: npt.NDArray[np.float64], conflict: npt.NDArray[np.bool_]) -> None:
        n = len(sums)
        self.n = n
        self.sums = sums
        self.centroids = np.array([_unit(s) for s in sums])
        self.members: list[list[int] | None] = [[i] for i in range(n)]
        self.conflict = conflict
        self.sim = self.centroids @ self.centroids.T
        self.blocked = conflict.copy()
        np.fill_diagonal(self.blocked, True)
        self.gone = np.zeros(n, dtype=bool)  # clusters merged away stay blocked for good

    def best_pair(self, threshold: float) -> tuple[int, int] | None:
        """The two joinable clusters with the highest centroid cosine >= ``threshold``."""
        masked = np.where(self.blocked, -np.inf, self.sim)
        flat = int(np.argmax(masked))  # first maximum: deterministic tie-break by index
        i, j = divmod(flat, self.n)
        if not np.isfinite(masked[i, j]) or masked[i, j] < threshold:
            return None
        return min(i, j), max(i, j)

    def join(self, i: int, j: int) -> None:
        """Move cluster ``j`` into ``i``; refresh ``i``'s centroid, similarities and blocks."""
        keep, gone = self.members[i], self.members[j]
        assert keep is not None and gone is not None
        keep.extend(gone)
        self.members[j] = None
        self.sums[i] += self.sums[j]
        self.centroids[i] = _unit(self.sums[i])
        self.conflict[i] |= self.conflict[j]
        self.conflict[:, i] |= self.conflict[:, j]
        row = self.centroids @ self.centroids[i]
        self.sim[i, :] = row
        self.sim[:, i] = row
        self.gone[j] = True
        self.blocked[i] = self.conflict[i] | self.gone
        self.blocked[:, i] = self.conflict[:, i] | self.gone
        self.blocked[j, :] = True
        self.blocked[:, j] = True
        self.blocked[i, i] = True


def cluster_traces(
    embedding_sums: Sequence[npt.NDArray[np.float64]],
    frames: Sequence[set[int]],
    threshold: float = DEFAULT_CLUSTER_THRESHOLD,
) -> list[list[int]]:
    """Group traces into persons.

    Args:
        embedding_sums: per trace, the sum of its faces' L2-normalised embeddings.
        frames: per trace, the sampled frame indexes it has a face on.
        threshold: minimum centroid cosine to join two clusters.

    Returns:
        Clusters as lists of trace indexes, each sorted, ordered by their first trace.

    Examples:
        >>> import numpy as np
        >>> a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
        >>> cluster_traces([a, a, b], [{0}, {5}, {5}], 0.9)
        [[0, 1], [2]]
    """
    n = len(embedding_sums)
    if n == 0:
        return []
    sums = np.array([np.asarray(s, dtype=np.float64) for s in embedding_sums])
    state = _Agglomeration(sums, _conflicts(frames, n))
    while (pair := state.best_pair(threshold)) is not None:
        state.join(*pair)
    clusters = [sorted(m) for m in state.members if m is not None]
    return sorted(clusters, key=lambda c: c[0])
