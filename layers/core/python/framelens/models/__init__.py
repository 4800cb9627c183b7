"""ONNX models: manifests, the registry (find, verify, pull, open sessions) and custom detectors.

Owns: which models exist, where their files are, their integrity and their onnxruntime sessions
(the only place ``onnxruntime`` is imported). Does not own: pre/post-processing of model inputs and
outputs, which lives next to the analyzers that use them (``framelens.analyzers``).
"""

from __future__ import annotations

from framelens.models.manifests import (
    BUILTIN_MANIFESTS,
    DEFAULT_DETECTOR,
    InputSpec,
    ModelManifest,
    load_labels,
)
from framelens.models.provider import ModelProvider
from framelens.models.registry import BlobFetcher, ModelRegistry, ModelStatus

__all__ = [
    "BUILTIN_MANIFESTS",
    "DEFAULT_DETECTOR",
    "BlobFetcher",
    "InputSpec",
    "ModelManifest",
    "ModelProvider",
    "ModelRegistry",
    "ModelStatus",
    "load_labels",
]
