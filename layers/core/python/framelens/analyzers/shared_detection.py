"""``DetectionWork``: one detector call per sampled frame, shared by every detection module.

Owns: the shared work ``objects``, ``tags`` and ``tracking`` declare in ``FrameNeeds.shared``
(combined by the engine: the lowest score floor of its requesters wins, so each one can filter
to its own threshold and classes afterwards with identical results), and ``keep``, the filter
each analyzer applies to the shared detections. Does not own the detector (``detections``).

Filtering after a class-wise NMS at a lower floor equals detecting at the higher floor: a box
above the higher floor is suppressed only by higher-scoring boxes, which both runs keep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from framelens.analyzers.detections import ObjectDetector, load_detector, working_side
from framelens.engine.base import SharedWork
from framelens.models.manifests import DEFAULT_DETECTOR

if TYPE_CHECKING:
    import supervision as sv

    from framelens.engine.base import Frame
    from framelens.models.provider import ModelProvider

__all__ = ["DetectionWork", "keep"]


class DetectionWork(SharedWork):
    """The detections of model ``model`` on a frame, at or above ``floor``, in source pixels."""

    def __init__(self, model: str | None, floor: float) -> None:
        self.model = model or DEFAULT_DETECTOR
        self.key = f"detections:{self.model}"
        self.max_side = working_side(model)
        self.colour = "bgr"
        self.floor = floor
        self.detector: ObjectDetector | None = None

    def load(self, models: ModelProvider | None) -> ObjectDetector:
        """Load (once) and return the detector from the run's model provider."""
        if self.detector is None:
            self.detector = load_detector(models, self.model)
        return self.detector

    def combine(self, other: SharedWork) -> SharedWork:
        """One call serving both: the lower floor, and whichever detector is loaded."""
        assert isinstance(other, DetectionWork) and other.key == self.key
        both = DetectionWork(self.model, min(self.floor, other.floor))
        both.max_side = self.max_side
        both.detector = self.detector or other.detector
        return both

    def compute(self, frame: Frame) -> Any:
        """Class-wise NMS detections of the frame (``load`` must have run)."""
        if self.detector is None:
            raise RuntimeError("DetectionWork.load() must run in the analyzer's start()")
        return self.detector.detect_frame(frame, confidence=self.floor)


def keep(found: sv.Detections, confidence: float, class_ids: set[int] | None) -> sv.Detections:
    """The detections at or above ``confidence`` of ``class_ids`` (all when ``None``)."""
    import numpy as np

    if not len(found):
        return found
    mask = np.ones(len(found), dtype=bool)
    if found.confidence is not None:
        mask &= found.confidence >= confidence
    if class_ids is not None and found.class_id is not None:
        mask &= np.isin(found.class_id, sorted(class_ids))
    return cast("sv.Detections", found[mask])
