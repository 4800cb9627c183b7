"""Face traces on synthetic embeddings: IoU plus embedding gating, provisional faces whose
embedding was skipped, and cuts (the real-model checks are in ``test_faces_real``)."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from framelens.analyzers.faces.traces import TraceBuilder
from tests.unit.face_vectors import PERSON_A, PERSON_B, jittered, noisy, obs, unit

if TYPE_CHECKING:
    import numpy as np

    from framelens.analyzers.faces.observe import Box, FaceObservation


def test_trace_never_jumps_between_two_people_with_overlapping_boxes() -> None:
    # GIVEN A on the left; then B appears where A was and A is gone
    builder = TraceBuilder(gate=0.85)
    builder.update(0, Fraction(0), [obs((100, 100, 50, 50), noisy(PERSON_A))], [0.1])
    builder.update(6, Fraction(1, 5), [obs((105, 100, 50, 50), noisy(PERSON_B))], [0.1])
    traces = builder.finish()
    # THEN B starts a trace of its own
    assert [len(t.faces) for t in traces] == [1, 1]


class Faces:
    """What the analyzer does around a ``TraceBuilder``, with synthetic vectors for the model:
    ask which faces need an embedding, embed only those, keep the others' vectors to embed
    later (the analyzer keeps a ``FacePatch``), update. Counts the embedder calls."""

    def __init__(self, **kwargs: float) -> None:
        self._later: dict[int, np.ndarray] = {}
        self.calls = 0
        self.builder = TraceBuilder(reembed=self._reembed, **kwargs)

    def _reembed(self, o: FaceObservation) -> np.ndarray:
        self.calls += 1
        return self._later[id(o)]

    def feed(self, frame: int, faces: list[tuple[Box, np.ndarray]]) -> list[bool]:
        """One sampled frame at 30 fps; returns which faces were embedded on the way."""
        pts = Fraction(frame, 30)
        wanted = self.builder.wants_embedding(pts, [box for box, _ in faces])
        observed = []
        for (box, vector), want in zip(faces, wanted, strict=True):
            observed.append(obs(box, vector if want else None))
            self.calls += want
            if not want:
                self._later[id(observed[-1])] = vector
        self.builder.update(frame, pts, observed, [0.1] * len(faces))
        return wanted


def test_skipped_embedding_never_lets_a_trace_jump_to_another_person() -> None:
    # GIVEN A at a box, then 0.2 s later B where A was (A gone) and B staying there
    run = Faces(gate=0.85, embed_every=0.6)
    a_box: Box = (100, 100, 50, 50)
    b_box: Box = (104, 100, 50, 50)
    run.feed(0, [(a_box, jittered(PERSON_A))])
    skipped = [not w for f in (6, 12, 18, 24) for w in run.feed(f, [(b_box, jittered(PERSON_B))])]
    # WHEN the traces are read
    traces = run.builder.finish()
    # THEN B's faces were not all embedded (the speed-up stays) ...
    assert any(skipped)
    # ... yet A's trace holds only A's face, and B's trace every one of B's faces
    assert [[f.frame for f in t.faces] for t in traces] == [[0], [6, 12, 18, 24]]
    assert all(float(t.mean_embedding @ unit(PERSON_A)) > 0.9 for t in traces[:1])
    assert float(traces[1].mean_embedding @ unit(PERSON_B)) > 0.9


def test_trace_continues_through_motion_and_skips_sure_embeddings() -> None:
    # GIVEN A alone, moving 4 px a sample, for 1.2 s at 5 fps
    run = Faces(gate=0.85, embed_every=0.6)
    embedded = [
        w
        for k in range(7)
        for w in run.feed(6 * k, [((100 + 4 * k, 100, 50, 50), jittered(PERSON_A))])
    ]
    # THEN every third face is embedded, and the skipped ones are never embedded later
    assert embedded == [True, False, False, True, False, False, True]
    # AND two faces close together must both be embedded
    boxes: list[Box] = [(128, 100, 50, 50), (170, 100, 50, 50)]
    assert run.builder.wants_embedding(Fraction(42, 30), boxes) == [True, True]
    traces = run.builder.finish()
    assert [len(t.faces) for t in traces] == [7]
    assert run.calls == 3
    assert len(traces[0].ages) == 7  # the skipped faces count once confirmed


def test_unconfirmed_faces_of_an_ending_trace_are_checked() -> None:
    # GIVEN A, then B where A was 0.2 s later (skipped), then nobody: the trace ends unconfirmed
    run = Faces(gate=0.85, embed_every=0.6)
    run.feed(0, [((100, 100, 50, 50), jittered(PERSON_A))])
    assert run.feed(6, [((104, 100, 50, 50), jittered(PERSON_B))]) == [False]
    run.feed(60, [((400, 100, 50, 50), jittered(PERSON_A))])  # 2 s later, elsewhere: A's ended
    # THEN B's face was embedded when A's trace ended, and left it
    traces = run.builder.finish()
    assert [[f.frame for f in t.faces] for t in traces] == [[0], [6], [60]]
    assert run.calls == 3


def test_without_a_reembed_every_face_is_embedded() -> None:
    # GIVEN a builder that could not embed a skipped face later
    builder = TraceBuilder(gate=0.85, embed_every=0.6)
    builder.update(0, Fraction(0), [obs((100, 100, 50, 50), jittered(PERSON_A))], [0.1])
    # THEN it never skips one
    assert builder.wants_embedding(Fraction(1, 5), [(104, 100, 50, 50)]) == [True]


def test_cut_ends_every_trace() -> None:
    builder = TraceBuilder()
    builder.update(0, Fraction(0), [obs((100, 100, 50, 50), noisy(PERSON_A))], [0.1])
    builder.cut()
    builder.update(6, Fraction(1, 5), [obs((100, 100, 50, 50), noisy(PERSON_A))], [0.1])
    assert [len(t.faces) for t in builder.finish()] == [1, 1]
