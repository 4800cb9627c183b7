"""``objects``, ``tags`` and ``tracking`` in one pass share one detector call per sampled frame.

Why (issue 8): each of them used to run YOLOX-nano on the same frames. Now they declare one
``DetectionWork`` (``FrameNeeds.shared``) that the engine computes once per frame for all of
them. These tests run the real analyzers and the real model through ``run_analyzers`` and count
the inference calls the detector's onnxruntime session receives; the detections each module
reports must be the same whether it ran alone or together with the others.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from framelens.analyzers.registry import analyzer_class
from framelens.engine.base import RunContext
from framelens.engine.run import run_analyzers
from framelens.models import ModelRegistry
from framelens.models.manifests import DEFAULT_DETECTOR
from tests.media import walking_people_clip
from tests.shared import MODELS

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.models.provider import ModelProvider

pytestmark = pytest.mark.slow
if not (MODELS / "yolox_nano_coco80.onnx").is_file():
    pytest.skip(f"{MODELS} lacks YOLOX-nano", allow_module_level=True)

SECONDS = 3  # of the walking clip at 10 fps: 30 frames
# Nested samplings: tags' 1 fps ticks are a subset of the 2 fps ticks of objects and tracking.
OPTIONS: dict[str, dict[str, Any]] = {
    "objects": {"fps": 2},
    "tags": {"fps": 1},
    "tracking": {"fps": 2, "video": False},
}


class CountingModels:
    """The real registry; every ``run`` on a session is counted per model name."""

    def __init__(self, real: ModelProvider) -> None:
        self.real = real
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def session(self, name: str) -> Any:
        return _CountingSession(self.real.session(name), name, self.calls)


class _CountingSession:
    def __init__(self, session: Any, name: str, calls: Counter[str]) -> None:
        self._session, self._name, self._calls = session, name, calls

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._session, attr)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        self._calls[self._name] += 1
        return self._session.run(*args, **kwargs)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first seconds of the shared walking clip (4-10 pedestrians in every frame)."""
    path = tmp_path_factory.mktemp("shared-detection") / "people.mp4"
    return walking_people_clip(path, SECONDS)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    return ModelRegistry(MODELS, tmp_path_factory.mktemp("model-cache"))


def _run(clip: Path, registry: ModelRegistry, modules: list[str]) -> tuple[int, dict[str, Any]]:
    models = CountingModels(registry)
    analyzers = [analyzer_class(m)(OPTIONS[m]) for m in modules]
    results = run_analyzers(clip, analyzers, RunContext(models=models))  # type: ignore[arg-type]
    return models.calls[DEFAULT_DETECTOR], {m: r.model_dump() for m, r in results.items()}


@pytest.fixture(scope="module")
def runs(clip: Path, registry: ModelRegistry) -> dict[str, tuple[int, dict[str, Any]]]:
    out = {m: _run(clip, registry, [m]) for m in OPTIONS}
    out["together"] = _run(clip, registry, list(OPTIONS))
    return out


def test_each_module_alone_calls_the_detector_once_per_sampled_frame(
    runs: dict[str, tuple[int, dict[str, Any]]],
) -> None:
    assert runs["objects"][0] == 2 * SECONDS
    assert runs["tags"][0] == SECONDS
    assert runs["tracking"][0] == 2 * SECONDS


def test_together_they_call_it_once_per_frame_any_of_them_samples(
    runs: dict[str, tuple[int, dict[str, Any]]],
) -> None:
    # THEN the union of the samplings (the 2 fps ticks), not the 5 * SECONDS calls of three runs
    assert runs["together"][0] == 2 * SECONDS
    assert sum(runs[m][0] for m in OPTIONS) == 5 * SECONDS


def test_sharing_changes_no_result(runs: dict[str, tuple[int, dict[str, Any]]]) -> None:
    together = runs["together"][1]
    objects = together["objects"]
    assert sum(len(f["detections"]) for f in objects["frames"]) >= 4 * 2 * SECONDS
    for module in OPTIONS:
        assert together[module] == runs[module][1][module], module
