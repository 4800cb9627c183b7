"""Errors of the engine: the one way an analyzer failure leaves a run.

Owns: ``AnalyzerFailedError``. Media errors (cannot open or decode) are ``framelens.errors``
``MediaError`` subclasses raised by ``engine.decode``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import FramelensError

if TYPE_CHECKING:
    from framelens.engine.base import AnalyzerResult

__all__ = ["AnalyzerFailedError"]


class AnalyzerFailedError(FramelensError):
    """One or more analyzers raised during a run; the others finished and are in ``results``."""

    code = "analyzer_failed"
    http_status = 500

    def __init__(self, failed: list[str], results: dict[str, AnalyzerResult]) -> None:
        # Client-safe: names the analyzers only; the tracebacks went to the log.
        super().__init__(
            f"Analyzer(s) {', '.join(failed)} failed; the other analyzers finished.",
            details={"failed": failed, "finished": sorted(results)},
        )
        self.failed = failed
        self.results = results
