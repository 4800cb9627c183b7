"""Every registered analyzer: declares needs, survives zero frames, is deterministic, merges.

Why: the pipeline treats analyzers generically (plan by ``runtime``, analyze in one pass,
aggregate with ``load_result`` + ``merge``), so each one must honour the same contract (STYLE 2.4,
2.8). Analyzers that need a model (``MODEL_ANALYZERS``) get a ``ModelRegistry`` over
``FRAMELENS_MODEL_DIR`` and a photo with a person in it; they are skipped, with the reason, when
that folder lacks YOLOX-nano. Text analyzers (``TEXT_ANALYZERS``) get frames with a caption that
changes halfway. The others get small synthetic frames.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pytest

from framelens.analyzers.registry import PIPELINE_MODULES, analyzer_class, known_modules
from framelens.engine.base import (
    Analyzer,
    AnalyzerResult,
    ArtifactSink,
    Frame,
    FrameNeeds,
    MediaInfo,
    RunContext,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from framelens.models import ModelRegistry

NAMES = [n for n in known_modules() if n not in PIPELINE_MODULES]
MODEL_ANALYZERS = frozenset({"objects", "tracking", "tags", "faces", "activity"})
TEXT_ANALYZERS = frozenset({"ocr"})
DETECTOR_FILE = "yolox_nano_coco80.onnx"
# Model analyzers that need more than the detector.
MODEL_FILES = {
    "tags": "efficientnet_lite0_imagenet1k.onnx",
    "activity": "movinet_a0_stream_kinetics600_int8.onnx",
}
FPS = 10
FRAMES = 10  # 1 s at 10 fps: enough for a cut, a track and tags; model runs cost ~30 ms a frame


class MemorySink(ArtifactSink):
    """Artifacts kept in memory, so analyzers that store files (tracking's MP4) run fully."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def put(self, name: str, data: bytes, content_type: str) -> str:
        key = f"artifacts/conformance/{name}"
        self.stored[key] = data
        return key


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry | None:
    """A registry over ``FRAMELENS_MODEL_DIR``, or ``None`` when YOLOX-nano is not there."""
    value = os.environ.get("FRAMELENS_MODEL_DIR")
    if not value or not (Path(value) / DETECTOR_FILE).is_file():
        return None
    from framelens.models import ModelRegistry

    return ModelRegistry(Path(value), tmp_path_factory.mktemp("model-cache"))


def _source(name: str) -> tuple[MediaInfo, list[npt.NDArray[np.uint8]]]:
    """Full-size BGR source frames for ``name`` and the media they come from.

    Model analyzers: scikit-image's astronaut photo (a person YOLOX-nano finds at 0.93),
    sliding 3 px per frame so trackers see motion. Others: flat grey frames, then noise
    (a hard cut halfway and frames of different quality).
    """
    if name in MODEL_ANALYZERS:
        skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra)")
        photo = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
        images = [np.roll(photo, 3 * i, axis=1) for i in range(FRAMES)]
    elif name in TEXT_ANALYZERS:
        images = [
            _caption("FRAMELENS 42" if i < FRAMES // 2 else "CONFORMANCE") for i in range(FRAMES)
        ]
    else:
        rng = np.random.default_rng(0)
        flat = np.full((48, 64, 3), 90, np.uint8)
        images = [
            flat if i < FRAMES // 2 else rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            for i in range(FRAMES)
        ]
    h, w = images[0].shape[:2]
    media = MediaInfo(
        media_type="video",
        width=w,
        height=h,
        fps=Fraction(FPS),
        frames=FRAMES,
        duration=Fraction(FRAMES, FPS),
    )
    return media, images


def _caption(text: str) -> npt.NDArray[np.uint8]:
    image = np.full((120, 320, 3), 255, np.uint8)
    cv2.putText(image, text, (12, 75), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3, cv2.LINE_AA)
    return image


def _frames(needs: FrameNeeds, images: list[npt.NDArray[np.uint8]]) -> list[Frame]:
    """What the engine would deliver for ``needs``: resized, in the requested colour."""
    out = []
    for i, image in enumerate(images):
        h, w = image.shape[:2]
        scale = min(1.0, needs.max_side / max(h, w)) if needs.max_side else 1.0
        img = image
        if scale < 1.0:
            size = (round(w * scale), round(h * scale))
            img = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        if needs.colour == "gray":
            img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        out.append(Frame(i, Fraction(i, FPS), np.ascontiguousarray(img), scale=scale))
    return out


def _context(name: str, registry: ModelRegistry | None) -> RunContext:
    if name in MODEL_ANALYZERS and registry is None:
        pytest.skip(f"{name} needs {DETECTOR_FILE}: set FRAMELENS_MODEL_DIR to ../shared/models")
    extra = MODEL_FILES.get(name)
    model_dir = registry.model_dir if registry is not None else None
    if extra and model_dir is not None and not (model_dir / extra).is_file():
        pytest.skip(f"{name} needs {extra} in FRAMELENS_MODEL_DIR")
    return RunContext(job_id="conformance", artifacts=MemorySink(), models=registry)


def _run(name: str, registry: ModelRegistry | None, with_frames: bool = True) -> AnalyzerResult:
    """One fresh analyzer ``name`` over its source frames (or none): start → process → finish."""
    ctx = _context(name, registry)
    analyzer = analyzer_class(name)()
    media, images = _source(name)
    analyzer.start(media, ctx)
    for frame in _frames(analyzer.needs(), images) if with_frames else []:
        analyzer.process(frame)
    return analyzer.finish()


@pytest.fixture(scope="module")
def first_runs() -> dict[str, AnalyzerResult]:
    """One run per analyzer, shared by the tests that only read it (model runs cost seconds)."""
    return {}


def _first_run(
    name: str, registry: ModelRegistry | None, cache: dict[str, AnalyzerResult]
) -> AnalyzerResult:
    if name not in cache:
        cache[name] = _run(name, registry)
    result = cache[name]
    assert result.items(), f"{name}: the conformance frames should produce items"
    return result


def test_every_registered_analyzer_is_covered() -> None:
    # GIVEN the registry THEN this suite runs on every analyzer it knows, model ones included
    assert set(NAMES) >= MODEL_ANALYZERS
    assert set(NAMES) == set(known_modules()) - PIPELINE_MODULES


@pytest.mark.parametrize("name", NAMES)
def test_declares_needs_a_name_and_a_specific_result_type(name: str) -> None:
    # GIVEN the class registered as `name`
    cls = analyzer_class(name)
    # THEN it is an Analyzer of that name declaring what frames it needs
    assert issubclass(cls, Analyzer) and cls.name == name
    needs = cls().needs()
    assert isinstance(needs, FrameNeeds)
    assert needs.colour in ("gray", "bgr")
    assert needs.max_side is None or needs.max_side > 0
    assert cls.runtime in ("cpu", "gpu")


@pytest.mark.parametrize("name", NAMES)
def test_zero_frames_give_a_valid_empty_result(name: str, registry: ModelRegistry | None) -> None:
    # GIVEN an analyzer started on a video WHEN it finishes without a single frame
    result = _run(name, registry, with_frames=False)
    # THEN it returns its own typed result, named after it, with nothing in it
    assert type(result) is not AnalyzerResult
    assert result.analyzer == name
    assert result.items() == []
    # AND that empty result is valid: it survives the stored-part round trip
    again = analyzer_class(name).load_result(result.model_dump(mode="json"))
    assert again == result


@pytest.mark.parametrize("name", NAMES)
def test_same_frames_give_the_same_result(
    name: str, registry: ModelRegistry | None, first_runs: dict[str, AnalyzerResult]
) -> None:
    # GIVEN one run over the conformance frames WHEN a fresh analyzer runs on the same frames
    first = _first_run(name, registry, first_runs)
    second = _run(name, registry)
    # THEN both results are identical
    assert second.model_dump() == first.model_dump()


@pytest.mark.parametrize("name", NAMES)
def test_load_result_round_trips_to_the_same_typed_result(
    name: str, registry: ModelRegistry | None, first_runs: dict[str, AnalyzerResult]
) -> None:
    # GIVEN a result stored the way the analyze stage stores a part (JSON mode)
    cls = analyzer_class(name)
    result = _first_run(name, registry, first_runs)
    # WHEN aggregate loads it back
    again = cls.load_result(result.model_dump(mode="json"))
    # THEN it is the analyzer's own result class (not the base) and equal to the original
    assert type(again) is type(result)
    assert type(again) is not AnalyzerResult
    assert again == result


@pytest.mark.parametrize("name", NAMES)
def test_merge_of_one_part_is_that_part(
    name: str, registry: ModelRegistry | None, first_runs: dict[str, AnalyzerResult]
) -> None:
    # GIVEN a non-empty result of a whole video WHEN it is merged as the only segment
    cls = analyzer_class(name)
    result = _first_run(name, registry, first_runs)
    merged = cls.merge([result])
    # THEN the merge changes nothing
    assert type(merged) is type(result)
    assert merged.model_dump() == result.model_dump()
