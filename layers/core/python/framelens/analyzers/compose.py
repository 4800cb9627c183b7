"""Results built on other modules' results: the step after every module is merged.

Owns: ``compose_results``, which hands every analyzer the merged results of the modules it
declares in ``Analyzer.uses``, through ``Analyzer.compose`` (the identity unless overridden).
Does not own: merging segments (each analyzer's ``merge``) or storing anything.

Why: what a ``sections`` section is about comes from ``activity`` (a GPU analyzer) and ``tags``
(a CPU one), which run in different pipeline branches and segments; no single analyzer sees all
three. Composition is pure and runs where results meet: after ``merge`` in the aggregate stage,
and after ``run_analyzers`` for one-shot local runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.analyzers.registry import analyzer_class
from framelens.engine.exports import compose

if TYPE_CHECKING:
    from collections.abc import Mapping

    from framelens.engine.base import AnalyzerResult

__all__ = ["compose_results"]


def compose_results(results: Mapping[str, AnalyzerResult]) -> dict[str, AnalyzerResult]:
    """Let every analyzer with ``compose`` refine its result with the modules it ``uses``.

    Args:
        results: merged results of one media, by module name.

    Returns:
        The same mapping with composed results replaced (inputs are not modified).

    Examples:
        >>> analyzers = [SectionsAnalyzer(), ActivityAnalyzer()]
        >>> out = run_analyzers(path, analyzers, ctx)  # doctest: +SKIP
        >>> compose_results(out)["sections"].composed_from  # doctest: +SKIP
        ['activity']
    """
    return compose({name: analyzer_class(name) for name in results}, results)
