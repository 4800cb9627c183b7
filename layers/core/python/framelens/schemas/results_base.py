"""The base of every analyzer's typed result; each analyzer's result model subclasses it.

It lives in ``schemas`` (the single source of result models) and is re-exported by
``engine.base``, so the engine depends on schemas and never the other way round.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["AnalyzerResult", "Label", "public_view", "unique_labels"]


class Label(BaseModel):
    """One thing a result found, named (seed 003 ``summary[].items[]``: ``{"type", "label"}``).

    ``type`` is what kind of thing: ``face``, ``object``, ``tag``, ``text``, ``shot``,
    ``activity``, ``section`` or ``frame``.
    """

    type: str = Field(examples=["face"])
    label: str = Field(examples=["Frederik Böhm"])


def unique_labels(labels: list[Label]) -> list[Label]:
    """``labels`` without repeats, first occurrence first."""
    seen: set[tuple[str, str]] = set()
    out = []
    for item in labels:
        if (item.type, item.label) not in seen:
            seen.add((item.type, item.label))
            out.append(item)
    return out


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

    def labels(self) -> list[Label]:
        """What was found, as ``{"type", "label"}`` items (seed 003's job summary)."""
        return []

    def public(self) -> AnalyzerResult:
        """The result as clients see it. Part models (which add merge state) return their
        public base model without that state; a public model returns itself."""
        return self


def public_view(part: AnalyzerResult, public: type[AnalyzerResult]) -> AnalyzerResult:
    """``part`` as an instance of ``public`` (one of its bases): only ``public``'s fields."""
    return public.model_validate(part.model_dump(include=set(public.model_fields)))
