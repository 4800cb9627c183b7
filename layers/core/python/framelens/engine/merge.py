"""Merge per-segment results into the whole-media result, one analyzer at a time.

Owns: ``merge_results``, the name-based doorway the Aggregate stage calls. Does not own: how an
analyzer merges (each class's ``merge``); segments must be given in time order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.analyzers.registry import analyzer_class

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.engine.base import AnalyzerResult

__all__ = ["merge_results"]


def merge_results(name: str, parts: Sequence[AnalyzerResult]) -> AnalyzerResult:
    """Merge the per-segment results of analyzer ``name`` (segments in time order).

    Raises:
        ValidationError: no analyzer is registered as ``name``.
    """
    return analyzer_class(name).merge(parts)
