"""Errors of the engine: the one way an analyzer failure leaves a run.

Owns: ``AnalyzerFailedError``. Media errors (cannot open or decode) are ``framelens.errors``
``MediaError`` subclasses raised by ``engine.decode``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.errors import FramelensError

if TYPE_CHECKING:
    from framelens.engine.base import AnalyzerResult

__all__ = ["AnalyzerFailedError", "client_reason"]


class AnalyzerFailedError(FramelensError):
    """One or more analyzers raised during a run; the others finished and are in ``results``."""

    code = "analyzer_failed"
    http_status = 500

    def __init__(
        self,
        failed: list[str],
        results: dict[str, AnalyzerResult],
        reasons: dict[str, str] | None = None,
    ) -> None:
        # Client-safe: the analyzers' names and the messages of Framelens errors (written for
        # clients: a missing model, a bad option); other tracebacks went to the log only.
        reasons = reasons or {}
        why = "; ".join(f"{name}: {reasons[name]}" for name in failed if name in reasons)
        super().__init__(
            f"Analyzer(s) {', '.join(failed)} failed{f' ({why})' if why else ''}; "
            "the other analyzers finished.",
            details={"failed": failed, "finished": sorted(results), "reasons": reasons},
        )
        self.failed = failed
        self.results = results


def client_reason(exc: BaseException) -> str | None:
    """What a client may read of why an analyzer failed: a ``FramelensError``'s message."""
    return exc.message if isinstance(exc, FramelensError) else None
