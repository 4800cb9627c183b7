"""Which registry models each analysis module loads, and so which models each runtime must carry.

Owns: the module → models map (the defaults each analyzer loads, plus the built-in detectors a
job's ``model`` option may name, such as the plate detector) and its join with the registry's
runtimes (``Analyzer.runtime_for`` per media type): ``runtime_models("gpu")`` is what the GPU
worker image must bake, ``runtime_models("cpu")`` the inference image. Does not own where a
runtime's models come from (the Dockerfiles bake them by name, ``tests/infra`` checks they agree)
nor loading them (``framelens.models``). Imports every analyzer (numpy, cv2): build and test
time only, never a request's path.

Models a PyPI package ships (``ModelManifest.package``: dlib's embedder in
``face-recognition-models``) are listed too: an image carries them through its lock, not its
model folder (``baked_models`` leaves them out).
"""

from __future__ import annotations

from typing import Literal

from framelens.analyzers.activity import DEFAULT_ACTIVITY_MODEL
from framelens.analyzers.registry import PIPELINE_MODULES, analyzer_class, known_modules
from framelens.analyzers.tags import DEFAULT_CLASSIFIER
from framelens.models.manifests import (
    BUILTIN_MANIFESTS,
    DEFAULT_AGE_GENDER,
    DEFAULT_DETECTOR,
    DEFAULT_FACE_DETECTOR,
    DEFAULT_FACE_EMBEDDER,
)

__all__ = ["MODULE_MODELS", "baked_models", "packaged_models", "runtime_models"]

# A detecting module's ``model`` option may name any shippable built-in detector (plates too).
_DETECTORS = tuple(
    sorted(
        {DEFAULT_DETECTOR}
        | {m.name for m in BUILTIN_MANIFESTS.values() if m.task == "detection" and m.shippable}
    )
)
MODULE_MODELS: dict[str, tuple[str, ...]] = {
    "activity": (DEFAULT_ACTIVITY_MODEL,),
    "best_frames": (),
    "faces": (DEFAULT_FACE_DETECTOR, DEFAULT_AGE_GENDER, DEFAULT_FACE_EMBEDDER),
    "objects": _DETECTORS,
    "ocr": (),  # RapidOCR's models ship in its wheel, outside the registry (models.ocr)
    "scenes": (),
    "sections": (),
    "tags": (DEFAULT_CLASSIFIER, *_DETECTORS),
    "tracking": _DETECTORS,
}

Runtime = Literal["cpu", "gpu"]
_MEDIA_TYPES = ("video", "image", "document")


def runtime_models(runtime: Runtime) -> dict[str, set[str]]:
    """Model name → the modules that need it on ``runtime`` (any media type they accept).

    Raises:
        KeyError: an analyzer the registry knows but ``MODULE_MODELS`` does not list.
    """
    needed: dict[str, set[str]] = {}
    for module in sorted(set(known_modules()) - PIPELINE_MODULES):
        cls = analyzer_class(module)
        media = [m for m in _MEDIA_TYPES if m in cls.media_types]
        if any(cls.runtime_for(m) == runtime for m in media):
            for model in MODULE_MODELS[module]:
                needed.setdefault(model, set()).add(module)
    return needed


def baked_models(runtime: Runtime) -> list[str]:
    """The plain model files ``runtime``'s image must hold (sorted names)."""
    return sorted(n for n in runtime_models(runtime) if not BUILTIN_MANIFESTS[n].package)


def packaged_models(runtime: Runtime) -> dict[str, str]:
    """Model name → the PyPI requirement (``ships_in``) ``runtime``'s lock must install."""
    return {
        n: BUILTIN_MANIFESTS[n].ships_in
        for n in runtime_models(runtime)
        if BUILTIN_MANIFESTS[n].package
    }
