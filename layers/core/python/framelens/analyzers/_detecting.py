"""``DetectingAnalyzer``: what the analyzers built on one detector per frame share.

Owns: the common options (``fps``, ``confidence``, ``classes``, ``model``), the frames they need
(BGR at ``fps``, no bigger than the network input), the shared detection work they declare
(``shared_detection``: one detector call per frame however many of them run) and its filtering.
Subclasses (``objects``, ``tags``) only decide what to keep from each frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from framelens.analyzers.detections import option_float, parse_classes, working_side
from framelens.analyzers.shared_detection import DetectionWork, keep
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
        self._work = DetectionWork(self.model, self.confidence or 0.0)
        self._class_ids: set[int] | None = None
        self._model_name: str | None = None

    def needs(self) -> FrameNeeds:
        """BGR frames at ``fps``, no bigger than the network input; the shared detections."""
        return FrameNeeds(
            sample_fps=self.fps,
            max_side=working_side(self.model),
            colour="bgr",
            shared=(self._work,),
        )

    def load(self, ctx: RunContext) -> None:
        """Load the detector from ``ctx.models`` and validate ``classes`` against it."""
        detector = self._work.load(ctx.models)
        self._class_ids = detector.class_ids(self.classes)
        self._model_name = detector.name

    def detect(self, frame: Frame) -> sv.Detections:
        """The frame's detections in source pixels, at this analyzer's threshold and classes."""
        found: sv.Detections = frame.shared(self._work)
        return keep(found, self.confidence or 0.0, self._class_ids)

    @property
    def model_name(self) -> str | None:
        """The detector that ran, or the requested one before ``start``."""
        return self._model_name or self.model
