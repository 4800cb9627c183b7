"""The faces pieces that need no model: alignment maths, traces, clustering, matching, options,
prominence, person views and the gallery service rules. Synthetic vectors and boxes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from framelens.analyzers.faces.align import DLIB_TEMPLATE_150, similarity_transform
from framelens.analyzers.faces.analyzer import FacesAnalyzer, check_gallery
from framelens.analyzers.faces.attributes import gender_of
from framelens.analyzers.faces.identities import cluster_traces
from framelens.analyzers.faces.matching import (
    DEFAULT_MATCH_THRESHOLD,
    GalleryIndex,
    match_identities,
    score_floor,
)
from framelens.analyzers.faces.options import parse_options
from framelens.analyzers.faces.persons import persons_in_span
from framelens.analyzers.faces.quality import prominence
from framelens.errors import NotFoundError, ValidationError
from framelens.jobs.galleries import GalleryService, gallery_view
from framelens.schemas.identities import GalleryEntry, GalleryView
from framelens.schemas.results_faces import (
    FaceBox,
    FaceIdentity,
    FacesPart,
    FacesPartState,
    FacesResult,
    FaceTrace,
    PixelBox,
    RepresentativeFace,
    TraceState,
)
from framelens.stores.embedded import build_embedded_stores
from tests.unit.face_vectors import PERSON_A, PERSON_B, noisy

if TYPE_CHECKING:
    from pathlib import Path


def test_similarity_transform_recovers_a_rotation_scale_and_shift() -> None:
    # GIVEN the template rotated 20 degrees, scaled 0.7 and shifted
    a = np.deg2rad(20)
    rot = 0.7 * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    moved = DLIB_TEMPLATE_150 @ rot.T + [31.0, -4.0]
    # WHEN the transform back onto the template is estimated
    m = similarity_transform(moved, DLIB_TEMPLATE_150)
    # THEN it maps every point back exactly
    back = moved @ m[:, :2].T + m[:, 2]
    assert np.allclose(back, DLIB_TEMPLATE_150, atol=1e-9)


@pytest.mark.parametrize(
    ("p_female", "expected"),
    [
        (0.9, "female"),
        (0.7, "female"),
        (0.69, "unidentified"),
        (0.5, "unidentified"),
        (0.1, "male"),
    ],
)
def test_gender_below_the_margin_is_unidentified(p_female: float, expected: str) -> None:
    assert gender_of(p_female, margin=0.2) == expected


def test_prominence_is_area_share_times_centrality() -> None:
    # a face of a tenth of the frame at its centre scores 0.1; in a corner 0
    assert prominence((45, 0, 10, 100), 100, 100) == pytest.approx(0.1)
    assert prominence((-5, -5, 10, 10), 100, 100) == pytest.approx(0.0)
    assert prominence((40, 40, 20, 20), 100, 100) > prominence((0, 40, 20, 20), 100, 100)


def test_clustering_joins_one_person_and_never_two_faces_of_one_frame() -> None:
    a1, a2, b = noisy(PERSON_A), noisy(PERSON_A), noisy(PERSON_B)
    # traces 0 and 1 are A in different shots; trace 2 is B; trace 3 is A again but shares a
    # frame with trace 1, so it may not join A's identity even though it looks like A
    clusters = cluster_traces([a1, a2, b, noisy(PERSON_A)], [{0}, {10}, {10}, {10}], 0.88)
    # (which of 1 and 3 joins 0 depends on the noise drawn: either is right)
    assert sorted(clusters) in ([[0, 1], [2], [3]], [[0, 3], [1], [2]])


def test_clustering_never_picks_a_cluster_it_merged_away() -> None:
    # GIVEN four traces of one person on their own frames, embeddings at 6, 0, 2 and 9 degrees:
    # 1 and 2 join first, then 0 and 3, after which the merged-away trace 2 (centroid at 2
    # degrees) is closer to the new cluster (7.5) than the cluster it joined (1 degree)
    def at(degrees: float) -> np.ndarray:
        return np.array([np.cos(np.radians(degrees)), np.sin(np.radians(degrees))])

    embeddings = [at(6), at(0), at(2), at(9)]
    # WHEN they are clustered THEN they form one identity (the merged-away trace 2 used to be
    # picked again, and clustering failed: seen on a 200 s clip of one person)
    assert cluster_traces(embeddings, [{0}, {10}, {20}, {30}], 0.9) == [[0, 1, 2, 3]]


def test_open_set_matching_says_unknown_below_threshold() -> None:
    names = {"g1": "Ann", "g2": "Bob"}
    matches = match_identities(
        [{"g1": 0.95, "g2": 0.5}, {"g1": 0.87, "g2": 0.86}, {"g2": 0.92}],
        [set(), set(), set()],
        names,
        {"g2"},
        0.88,
    )
    assert [m.name if m else None for m in matches] == ["Ann", None, "Bob"]
    assert [bool(m and m.allowlisted) for m in matches] == [False, False, True]


def test_two_identities_of_one_frame_never_get_the_same_name() -> None:
    matches = match_identities(
        [{"g1": 0.95}, {"g1": 0.93}, {"g1": 0.91}],
        [{1}, {0}, set()],
        {"g1": "Ann"},
        set(),
        0.88,
    )
    # identity 1 shares a frame with 0, which scored higher; identity 2 shares none
    assert [m.name if m else None for m in matches] == ["Ann", None, "Ann"]


def test_gallery_index_scores_best_vector_per_identity() -> None:
    view = GalleryView(
        "acme",
        "g",
        None,
        "e",
        (
            GalleryEntry("a", "Ann", False, ((1.0, 0.0), (0.0, 1.0))),
            GalleryEntry("b", "Bob", False, ((-1.0, 0.0),)),
        ),
    )
    assert GalleryIndex(view).scores(np.array([0.0, 2.0])) == {"a": 1.0, "b": 0.0}


def test_options_are_validated() -> None:
    assert parse_options({}).fps == 5.0
    with pytest.raises(ValidationError, match="unknown faces option"):
        parse_options({"thershold": 0.5})
    with pytest.raises(ValidationError):
        parse_options({"fps": 0})
    with pytest.raises(ValidationError):
        parse_options({"gallery": "../etc"})


def test_a_requested_gallery_must_be_provided_and_fit() -> None:
    view = GalleryView("acme", "staff", None, "dlib", ())
    assert check_gallery(None, None, None, "dlib") is None
    assert check_gallery(view, "staff", None, "dlib") is view
    with pytest.raises(ValidationError, match="received none"):
        check_gallery(None, "staff", None, "dlib")
    with pytest.raises(ValidationError, match="re-enrol"):
        check_gallery(view, "staff", None, "other-embedder")


def _face(frame: int, t: float, box: PixelBox, prom: float) -> FaceBox:
    return FaceBox(frame_number=frame, timestamp_secs=t, bbox=box, confidence=0.9, prominence=prom)


def _rep(trace_id: int, box: PixelBox) -> RepresentativeFace:
    return RepresentativeFace(
        trace_id=trace_id,
        frame_number=0,
        timestamp_secs=0.0,
        bbox=box,
        confidence=0.9,
        quality_score=1.0,
        blur_score=1.0,
        sharpness=1.0,
    )


def test_persons_in_a_span_have_relative_prominence() -> None:
    big, small = PixelBox(x=0, y=0, width=100, height=100), PixelBox(x=0, y=0, width=10, height=10)
    traces, identities = [], []
    for k, (uid, box, prom) in enumerate([("a", big, 0.4), ("b", small, 0.1)], start=1):
        traces.append(
            FaceTrace(
                trace_id=k,
                identity_uuid=uid,
                first_frame=0,
                last_frame=5,
                first_timestamp=0.0,
                last_timestamp=1.0,
                face_count=2,
                faces=[_face(0, 0.0, box, prom), _face(5, 1.0, box, prom / 2)],
                representative=_rep(k, box),
                age=30.0,
                gender="male",
                female_probability=0.1,
            )
        )
        identities.append(
            FaceIdentity(
                identity_uuid=uid,
                trace_ids=[k],
                face_count=2,
                first_frame=0,
                last_frame=5,
                first_timestamp=0.0,
                last_timestamp=1.0,
                representative=_rep(k, box),
                age=30.0,
                gender="male",
                female_probability=0.1,
            )
        )
    result = FacesResult(traces=traces, identities=identities)
    people = persons_in_span(result)
    assert [(p.identity_uuid, p.relative_prominence) for p in people] == [("a", 1.0), ("b", 0.25)]
    assert [p.identity_uuid for p in persons_in_span(result, 0.5, 2.0)] == ["a", "b"]
    assert persons_in_span(result, 2.0, 3.0) == []


def test_gallery_service_rules(tmp_path: Path) -> None:
    stores = build_embedded_stores(tmp_path / "data")
    assert stores.identities is not None
    service = GalleryService(stores.identities)
    ann = service.create("acme", "staff", "  Ann ", [[3.0, 4.0]], allowlisted=True)
    # names are trimmed, vectors L2-normalised
    assert ann.name == "Ann"
    assert ann.embeddings == [pytest.approx([0.6, 0.8])]
    for bad in ([], [[0.0, 0.0]], [[1.0, 0.0], [1.0]], [[float("nan"), 1.0]]):
        with pytest.raises(ValidationError):
            service.create("acme", "staff", "X", bad)
    with pytest.raises(ValidationError):
        service.add_embeddings("acme", ann.identity_id, [[1.0, 0.0, 0.0]])
    with pytest.raises(ValidationError, match="gallery"):
        service.create("acme", "no such/gallery", "X", [[1.0]])
    # the view carries the allowlist flag; an empty gallery is a clear not-found
    view = gallery_view(stores.identities, "acme", "staff")
    assert [(e.name, e.allowlisted) for e in view.entries] == [("Ann", True)]
    with pytest.raises(NotFoundError, match="vip"):
        gallery_view(stores.identities, "acme", "vip")
    with pytest.raises(NotFoundError):
        gallery_view(stores.identities, "other", "staff")


def _scored_trace(
    first: int, n: int, mean: np.ndarray, index: GalleryIndex
) -> tuple[FaceTrace, TraceState]:
    """A trace of ``n`` faces with mean embedding ``mean``, scored the way the analyzer does."""
    box = PixelBox(x=100, y=100, width=50, height=50)
    trace = FaceTrace(
        trace_id=first + 1,
        identity_uuid="",
        first_frame=first,
        last_frame=first + n - 1,
        first_timestamp=first / 30,
        last_timestamp=(first + n - 1) / 30,
        face_count=n,
        faces=[_face(first + k, (first + k) / 30, box, 0.1) for k in range(n)],
        representative=_rep(first + 1, box),
        age=30.0,
        gender="male",
        female_probability=0.1,
    )
    state = TraceState(
        trace_id=first + 1,
        embedding_sum=list(n * mean),
        ages=[30.0] * n,
        female_probabilities=[0.1] * n,
        max_score=0.95,
        gallery_scores=index.scores(mean, score_floor(DEFAULT_MATCH_THRESHOLD)),
    )
    return trace, state


def test_a_large_gallery_cannot_push_a_stranger_to_a_name() -> None:
    # GIVEN a gallery of X and 9 look-alikes of one of a stranger's two traces (16-d vectors):
    # trace 1 scores every look-alike 0.9 and X 0.75; trace 2 scores X 0.95 and each look-alike
    # 0.83; the two traces are one person (cosine 0.92), 20 faces each
    e = np.eye(16)
    x = e[0]
    t1 = np.cos(np.radians(41.41)) * e[0] + np.sin(np.radians(41.41)) * e[1]
    t2 = np.cos(np.radians(18.19)) * e[0] + np.sin(np.radians(18.19)) * e[1]
    decoys = [0.9 * t1 + np.sqrt(1 - 0.81) * e[3 + i] for i in range(9)]
    entries = [GalleryEntry("g_x", "X", False, (tuple(x),))]
    entries += [GalleryEntry(f"g_{i}", f"D{i}", False, (tuple(d),)) for i, d in enumerate(decoys)]
    index = GalleryIndex(GalleryView("acme", "people", None, "dlib", tuple(entries)))
    records = [_scored_trace(0, 20, t1, index), _scored_trace(100, 20, t2, index)]
    part = FacesPart(
        traces=[t for t, _ in records],
        state=FacesPartState(
            job_id="j",
            options=parse_options({"gallery": "people"}).to_dict(),
            gallery_names=index.names,
            traces=[s for _, s in records],
        ),
    )
    # WHEN the part is assembled into identities
    result = FacesAnalyzer.merge([part])
    # THEN the stranger is one identity, and unknown: his true mean score is 0.85 for X and
    # 0.865 for each look-alike (a trace's lowest kept score used to stand in for X's missing
    # one on trace 1, giving X 0.925)
    assert len(result.identities) == 1
    assert result.identities[0].name is None
    assert [t.identity_uuid for t in result.traces] == [result.identities[0].identity_uuid] * 2
    # AND a trace keeps every score at or above the floor (0.78), not just its best 8
    assert len(records[0][1].gallery_scores) == 9
    assert set(records[1][1].gallery_scores) == {"g_x", *(f"g_{i}" for i in range(9))}
