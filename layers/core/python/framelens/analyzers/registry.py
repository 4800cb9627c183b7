"""Name → analyzer class, imported lazily so cold paths (API, authorizer) never load models.

``probe`` is not an analyzer: it is the probe stage's own output, always available.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from framelens.errors import ValidationError

if TYPE_CHECKING:
    from framelens.engine.base import Analyzer

__all__ = ["PIPELINE_MODULES", "analyzer_class", "known_modules"]

# Modules the pipeline itself produces without an analyzer.
PIPELINE_MODULES: frozenset[str] = frozenset({"probe"})

# One line per analyzer: job module name -> "module:Class".
_ANALYZERS: dict[str, str] = {
    "activity": "framelens.analyzers.activity:ActivityAnalyzer",
    "best_frames": "framelens.analyzers.best_frames:BestFramesAnalyzer",
    "faces": "framelens.analyzers.faces:FacesAnalyzer",
    "objects": "framelens.analyzers.objects:ObjectsAnalyzer",
    "ocr": "framelens.analyzers.ocr:OcrAnalyzer",
    "scenes": "framelens.analyzers.scenes:ScenesAnalyzer",
    "sections": "framelens.analyzers.sections:SectionsAnalyzer",
    "tags": "framelens.analyzers.tags:TagsAnalyzer",
    "tracking": "framelens.analyzers.tracking:TrackingAnalyzer",
}


def known_modules() -> list[str]:
    """Every module name a job may ask for."""
    return sorted({*PIPELINE_MODULES, *_ANALYZERS})


def analyzer_class(name: str) -> type[Analyzer]:
    """The analyzer class registered as ``name``.

    Raises:
        ValidationError: no analyzer has that name (the message lists the known ones).
    """
    target = _ANALYZERS.get(name)
    if target is None:
        raise ValidationError(
            f"unknown module {name!r}; known modules: {', '.join(known_modules())}",
            details={"module": name},
        )
    module_name, _, cls_name = target.partition(":")
    cls: type[Analyzer] = getattr(importlib.import_module(module_name), cls_name)
    return cls
