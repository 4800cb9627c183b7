"""``DetectingAnalyzer``: what the analyzers built on one detector per frame share.

Owns: the common options (``fps``, ``confidence``, ``classes``, ``model``), the frames they need
(BGR at ``fps``, no bigger than the network input), loading the detector in ``start`` and running
it on a frame. Subclasses (``objects``, ``tags``) only decide what to keep from each frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from framelens.analyzers.detections import (
    ObjectDetector,
    load_detector,
    option_float,
    parse_classes,
    working_side,
)
from framelens.engine.base import Analyzer, FrameNeeds

if TYPE_CHECKING:
    import supervision as sv

    from framelens.engine.base import Frame, RunContext

__all__ = ["DetectingAnalyzer"]


class DetectingAnalyzer(Analyzer):
    """Base of analyzers that run the selected detector on sampled frames."""

    default_fps: ClassVar[float]
    default_confidence: ClassVar[float] = 0.3

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.fps = option_float(self.options, "fps", self.default_fps, 0.01, 240.0)
        self.confidence = option_float(
            self.options, "confidence", self.default_confidence, 0.0, 1.0
        )
        self.classes = parse_classes(self.options.get("classes"))
        self.model: str | None = self.options.get("model")
        self._detector: ObjectDetector | None = None
        self._class_ids: set[int] | None = None

    def needs(self) -> FrameNeeds:
        """BGR frames at ``fps``, no bigger than the network input."""
        return FrameNeeds(sample_fps=self.fps, max_side=working_side(self.model), colour="bgr")

    def load(self, ctx: RunContext) -> None:
        """Load the detector from ``ctx.models`` and validate ``classes`` against it."""
        self._detector = load_detector(ctx.models, self.model)
        self._class_ids = self._detector.class_ids(self.classes)

    def detect(self, frame: Frame) -> sv.Detections:
        """The frame's detections in source pixels (``start`` must have run)."""
        assert self._detector is not None, "start() must run first"
        return self._detector.detect_frame(
            frame, confidence=self.confidence or 0.0, class_ids=self._class_ids
        )

    @property
    def model_name(self) -> str | None:
        """The detector that ran, or the requested one before ``start``."""
        return self._detector.name if self._detector else self.model
