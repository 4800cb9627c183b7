"""The base of every analyzer's typed result; each analyzer's result model subclasses it.

It lives in ``schemas`` (the single source of result models) and is re-exported by
``engine.base``, so the engine depends on schemas and never the other way round.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["AnalyzerResult", "public_view"]


class AnalyzerResult(BaseModel):
    """Base of every analyzer's typed result (each analyzer subclasses it in ``schemas``)."""

    analyzer: str
    model: str | None = None

    def summary(self) -> list[dict[str, Any]]:
        """Short items for the job summary (seed 003 ``summary[].items``)."""
        return []

    def items(self) -> list[Any]:
        """The detailed items, paged by ``GET /v1/jobs/{id}/results``."""
        return []

    def public(self) -> AnalyzerResult:
        """The result as clients see it. Part models (which add merge state) return their
        public base model without that state; a public model returns itself."""
        return self


def public_view(part: AnalyzerResult, public: type[AnalyzerResult]) -> AnalyzerResult:
    """``part`` as an instance of ``public`` (one of its bases): only ``public``'s fields."""
    return public.model_validate(part.model_dump(include=set(public.model_fields)))
