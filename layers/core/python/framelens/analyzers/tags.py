"""``tags``: what is in an image or video, as seed 001/003 tags ``{tag, probability, is_critical}``.

Owns: turning detections into tags (max confidence per class over the sampled frames) and
flagging the tenant's critical tags. Does not own: detection (``detections``) or the tenant's
critical list (passed in ``ctx.critical_tags``). Later analyzers (scene classifiers) may add tags.

Options:
    ``fps`` (default 1): sampled frames per second for video; images are one frame.
    ``confidence`` (default 0.3), ``classes``, ``model``: as for ``objects``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from framelens.analyzers._detecting import DetectingAnalyzer
from framelens.schemas.results_objects import Tag, TagsResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["TagsAnalyzer"]


class TagsAnalyzer(DetectingAnalyzer):
    """One tag per detected class with its best confidence, most probable first."""

    name: ClassVar[str] = "tags"
    default_fps = 1.0

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._critical: frozenset[str] = frozenset()
        self._best: dict[str, float] = {}

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Load the detector; remember the tenant's critical tags (case-insensitive)."""
        self.load(ctx)
        self._critical = frozenset(t.strip().lower() for t in ctx.critical_tags)
        self._best = {}

    def process(self, frame: Frame) -> None:
        """Keep the best confidence of every class seen so far."""
        found = self.detect(frame)
        if found.confidence is None:
            raise RuntimeError("the detector returned boxes without confidences")
        for name, conf in zip(found.data["class_name"], found.confidence, strict=True):
            self._best[str(name)] = max(self._best.get(str(name), 0.0), float(conf))

    def finish(self) -> TagsResult:
        """Tags sorted by probability (then name)."""
        return _result(self.model_name, self._best, self._critical)

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> TagsResult:
        """Max probability per tag over segments; critical if any segment flagged it."""
        best: dict[str, float] = {}
        critical: set[str] = set()
        typed = [p for p in parts if isinstance(p, TagsResult)]
        for part in typed:
            for tag in part.tags:
                best[tag.tag] = max(best.get(tag.tag, 0.0), tag.probability)
                if tag.is_critical:
                    critical.add(tag.tag.lower())
        return _result(next((p.model for p in typed if p.model), None), best, frozenset(critical))


def _result(model: str | None, best: dict[str, float], critical: frozenset[str]) -> TagsResult:
    tags = [
        Tag(tag=name, probability=round(p, 4), is_critical=name.lower() in critical)
        for name, p in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return TagsResult(model=model, tags=tags)
