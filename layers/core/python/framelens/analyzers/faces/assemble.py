"""From traces to the result: trace numbering, identities, gallery names, public fields.

Owns: ``TraceRecord`` (a trace's public model with its merge state) and ``assemble``, the one
function both ``FacesAnalyzer.finish`` and ``merge`` end with, so that merging a single part
gives that part back and N segments give what one pass gives. Does not own: following faces
(``traces``), joining traces across segments (``segments``), the clustering and matching
algorithms (``identities``, ``matching``).

Identity ids are uuid5 of the job id and the identity's first face (frame and box): stable
across re-runs and merges of the same job, distinct between jobs.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from framelens.analyzers.faces.attributes import gender_of
from framelens.analyzers.faces.identities import cluster_traces
from framelens.analyzers.faces.matching import match_identities, mean_scores
from framelens.schemas.results_faces import (
    FaceIdentity,
    FacesPart,
    FacesPartState,
    FaceTrace,
    RepresentativeFace,
    TraceState,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    from framelens.analyzers.faces.options import FacesSettings

__all__ = ["TraceRecord", "assemble", "choose_representative", "unit_list"]

_NAMESPACE = uuid.UUID("6f1c3f0e-5d7a-4c8e-9b61-2a4f7e0d9c11")
_TOP = 10


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """One trace: its public model (identity not yet set) and what merging needs."""

    trace: FaceTrace
    state: TraceState


def unit_list(vector: npt.NDArray[np.float64]) -> list[float]:
    """The L2-normalised vector as a list of floats rounded to 6 places."""
    norm = float(np.linalg.norm(vector))
    unit = vector / norm if norm > 0 else vector
    return [round(float(v), 6) for v in unit]


def choose_representative(faces: Sequence[RepresentativeFace]) -> RepresentativeFace:
    """Seed 002's rule: of the 10 best by ``quality_score``, the sharpest."""
    top = sorted(faces, key=lambda f: (-f.quality_score, f.frame_number, f.trace_id))[:_TOP]
    return max(top, key=lambda f: (f.sharpness, f.quality_score, -f.frame_number))


def _trace_fields(state: TraceState, margin: float, embeddings: bool) -> dict[str, Any]:
    female = statistics.fmean(state.female_probabilities) if state.female_probabilities else 0.5
    return {
        "age": round(statistics.median(state.ages), 2) if state.ages else 0.0,
        "gender": gender_of(female, margin),
        "female_probability": round(female, 4),
        "face_embedding": unit_list(np.array(state.embedding_sum)) if embeddings else None,
    }


def _renumber(records: Sequence[TraceRecord], settings: FacesSettings) -> list[TraceRecord]:
    ordered = sorted(
        records,
        key=lambda r: (r.trace.first_frame, r.trace.faces[0].bbox.x, r.trace.faces[0].bbox.y),
    )
    out: list[TraceRecord] = []
    for new_id, rec in enumerate(ordered, start=1):
        rep = rec.trace.representative.model_copy(update={"trace_id": new_id})
        fields = _trace_fields(rec.state, settings.gender_margin, settings.include_embeddings)
        trace = rec.trace.model_copy(update={"trace_id": new_id, "representative": rep, **fields})
        out.append(TraceRecord(trace, rec.state.model_copy(update={"trace_id": new_id})))
    return out


def _identity_scores(records: Sequence[TraceRecord]) -> dict[str, float]:
    """The traces' gallery scores combined (``matching.mean_scores``: never filled in)."""
    return mean_scores([(r.trace.face_count, r.state.gallery_scores) for r in records])


def _identity_uuid(job_id: str, first: FaceTrace) -> str:
    box = first.faces[0].bbox
    key = f"{job_id}/{first.first_frame}/{box.x},{box.y},{box.width},{box.height}"
    return str(uuid.uuid5(_NAMESPACE, key))


def _shared_frames(clusters: list[list[int]], frames: list[set[int]]) -> list[set[int]]:
    """Per cluster, the other clusters it shares a sampled frame with."""
    cluster_frames = [set().union(*(frames[i] for i in c)) for c in clusters]
    return [
        {j for j, other in enumerate(cluster_frames) if j != i and mine & other}
        for i, mine in enumerate(cluster_frames)
    ]


def assemble(
    records: Sequence[TraceRecord],
    settings: FacesSettings,
    header: dict[str, Any],
    state: FacesPartState,
) -> FacesPart:
    """The result of a set of traces: numbered, clustered into identities, matched, named.

    Args:
        records: the traces (any order).
        settings: the run's options.
        header: the result's top-level fields (``model``, ``detector``, ``sample_fps``...).
        state: the part's merge state (its ``traces`` are replaced by the numbered ones).

    Returns:
        The part: public fields plus merge state.
    """
    numbered = _renumber(records, settings)
    frames = [{f.frame_number for f in r.trace.faces} for r in numbered]
    clusters = cluster_traces(
        [np.array(r.state.embedding_sum) for r in numbered], frames, settings.cluster_threshold
    )
    matches = match_identities(
        [_identity_scores([numbered[i] for i in c]) for c in clusters],
        _shared_frames(clusters, frames),
        state.gallery_names,
        set(state.gallery_allowlisted),
        settings.match_threshold,
    )
    traces: list[FaceTrace] = [r.trace for r in numbered]
    identities: list[FaceIdentity] = []
    for cluster, match in zip(clusters, matches, strict=True):
        members = [numbered[i] for i in cluster]
        uid = _identity_uuid(state.job_id, members[0].trace)
        for i in cluster:
            traces[i] = traces[i].model_copy(update={"identity_uuid": uid})
        identities.append(_identity(uid, members, match, settings))
    return FacesPart(
        **header,
        traces=traces,
        identities=identities,
        state=state.model_copy(update={"traces": [r.state for r in numbered]}),
    )


def _identity(
    uid: str, members: list[TraceRecord], match: Any, settings: FacesSettings
) -> FaceIdentity:
    merged = TraceState(
        trace_id=0,
        embedding_sum=list(np.sum([np.array(m.state.embedding_sum) for m in members], axis=0)),
        ages=[a for m in members for a in m.state.ages],
        female_probabilities=[p for m in members for p in m.state.female_probabilities],
        max_score=max(m.state.max_score for m in members),
    )
    fields = _trace_fields(merged, settings.gender_margin, settings.include_embeddings)
    first = min(members, key=lambda m: m.trace.first_frame).trace
    last = max(members, key=lambda m: m.trace.last_frame).trace
    return FaceIdentity(
        identity_uuid=uid,
        name=match.name if match else None,
        gallery_identity_id=match.identity_id if match else None,
        similarity=match.similarity if match else None,
        allowlisted=bool(match and match.allowlisted),
        trace_ids=[m.trace.trace_id for m in members],
        face_count=sum(m.trace.face_count for m in members),
        first_frame=first.first_frame,
        last_frame=last.last_frame,
        first_timestamp=first.first_timestamp,
        last_timestamp=last.last_timestamp,
        representative=choose_representative([m.trace.representative for m in members]),
        **fields,
    )
