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

from framelens.analyzers.detections import (
    Detector,
    load_detector,
    option_float,
    parse_classes,
    working_side,
)
from framelens.engine.base import Analyzer, FrameNeeds
from framelens.schemas.results_objects import Tag, TagsResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["TagsAnalyzer"]

DEFAULT_FPS = 1.0
DEFAULT_CONFIDENCE = 0.3


class TagsAnalyzer(Analyzer):
    """One tag per detected class with its best confidence, most probable first."""

    name: ClassVar[str] = "tags"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.fps = option_float(self.options, "fps", DEFAULT_FPS, 0.01, 240.0)
        self.confidence = option_float(self.options, "confidence", DEFAULT_CONFIDENCE, 0.0, 1.0)
        self.classes = parse_classes(self.options.get("classes"))
        self.model: str | None = self.options.get("model")
        self._detector: Detector | None = None
        self._class_ids: set[int] | None = None
        self._critical: frozenset[str] = frozenset()
        self._best: dict[str, float] = {}

    def needs(self) -> FrameNeeds:
        """BGR frames at ``fps``, no bigger than the network input."""
        return FrameNeeds(sample_fps=self.fps, max_side=working_side(self.model), colour="bgr")

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Load the detector; remember the tenant's critical tags (case-insensitive)."""
        self._detector = load_detector(ctx.models, self.model)
        self._class_ids = self._detector.class_ids(self.classes)
        self._critical = frozenset(t.strip().lower() for t in ctx.critical_tags)
        self._best = {}

    def process(self, frame: Frame) -> None:
        """Keep the best confidence of every class seen so far."""
        assert self._detector is not None, "start() must run first"
        found = self._detector.detect_frame(
            frame, confidence=self.confidence or 0.0, class_ids=self._class_ids
        )
        if found.confidence is None:
            raise RuntimeError("the detector returned boxes without confidences")
        for name, conf in zip(found.data["class_name"], found.confidence, strict=True):
            self._best[str(name)] = max(self._best.get(str(name), 0.0), float(conf))

    def finish(self) -> TagsResult:
        """Tags sorted by probability (then name)."""
        return _result(
            self._detector.name if self._detector else self.model, self._best, self._critical
        )

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
