"""``ModelProvider``: what the rest of Framelens may ask of the model registry.

Owns: the narrow, typed face of ``ModelRegistry`` that run contexts, the pipeline and the API
hold, so none of them needs the registry class (or onnxruntime) to type-check. Does not own:
finding, verifying or opening models (``models.registry``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.models.manifests import ModelManifest
    from framelens.models.registry import ModelStatus

__all__ = ["ModelProvider"]


class ModelProvider(Protocol):
    """Models by registry name: manifests, labels, files and shared inference sessions."""

    def manifest(self, name: str) -> ModelManifest:
        """The manifest of ``name``. Raises ``ModelError`` for an unknown name."""
        ...

    def labels(self, name: str) -> tuple[str, ...]:
        """Class names of ``name`` (index = class id)."""
        ...

    def path(self, name: str) -> Path:
        """The verified local file of ``name``. Raises ``ModelError`` when it is missing."""
        ...

    def session(self, name: str) -> Any:
        """The process-wide onnxruntime session of ``name`` (created on first use)."""
        ...

    def list(self) -> list[ModelStatus]:
        """Every known model and whether it is installed and verified."""
        ...

    def loaded(self) -> dict[str, bool]:
        """Name → whether a session is open in this process."""
        ...
