"""``objects``: object detection per sampled frame (seed 000 Detection API data).

Owns: the options, sampling and per-frame result of detection. Does not own: decoding (the
engine), the model (``framelens.models`` through ``ctx.models``) or YOLO maths (``yolo_decode``).

Options:
    ``fps`` (default 5): sampled frames per second of video. 5 fps sees anything visible for
        0.2 s and keeps YOLOX-nano faster than real time on two CPU cores; images are one frame.
    ``confidence`` (default 0.3): minimum score, the threshold YOLOX-nano was verified with.
    ``classes``: class names to keep (list or comma-separated), default all.
    ``model``: detector name in the model registry (built-in or operator-registered), default
        ``yolox_nano_coco80``; detections carry that model's class names.

Batching: the YOLOX-nano export has a static batch of 1 (``images [1,3,416,416]``), so frames
run one at a time; see ``benchmarks/detect.py`` for what that costs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from framelens.analyzers.detections import (
    Detector,
    detection_dicts,
    load_detector,
    option_float,
    parse_classes,
    working_side,
)
from framelens.engine.base import Analyzer, FrameNeeds
from framelens.schemas.results_objects import Detection, FrameDetections, ObjectsResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["ObjectsAnalyzer"]

DEFAULT_FPS = 5.0
DEFAULT_CONFIDENCE = 0.3


class ObjectsAnalyzer(Analyzer):
    """Detect objects on sampled frames; result ``{frame, timestamp, detections:[...]}``.

    Examples:
        >>> run_analyzers(path, [ObjectsAnalyzer({"fps": 2})], ctx)["objects"]  # doctest: +SKIP
    """

    name: ClassVar[str] = "objects"
    runtime = "gpu"  # ARCHITECTURE: detection+tracking run on the GPU worker in the cloud

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.fps = option_float(self.options, "fps", DEFAULT_FPS, 0.01, 240.0)
        self.confidence = option_float(self.options, "confidence", DEFAULT_CONFIDENCE, 0.0, 1.0)
        self.classes = parse_classes(self.options.get("classes"))
        self.model: str | None = self.options.get("model")
        self._detector: Detector | None = None
        self._class_ids: set[int] | None = None
        self._frames: list[FrameDetections] = []

    def needs(self) -> FrameNeeds:
        """BGR frames at ``fps``, no bigger than the network input."""
        return FrameNeeds(sample_fps=self.fps, max_side=working_side(self.model), colour="bgr")

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Load the detector from ``ctx.models`` and validate ``classes`` against it."""
        self._detector = load_detector(ctx.models, self.model)
        self._class_ids = self._detector.class_ids(self.classes)
        self._frames = []

    def process(self, frame: Frame) -> None:
        """Detect on one frame; boxes are stored in source pixels."""
        assert self._detector is not None, "start() must run first"
        found = self._detector.detect_frame(
            frame, confidence=self.confidence or 0.0, class_ids=self._class_ids
        )
        self._frames.append(
            FrameDetections(
                frame=frame.index,
                timestamp=float(frame.pts),
                detections=[Detection.model_validate(d) for d in detection_dicts(found)],
            )
        )

    def finish(self) -> ObjectsResult:
        """Every sampled frame's detections, in time order."""
        return ObjectsResult(
            model=self._detector.name if self._detector else self.model,
            sample_fps=self.fps,
            frames=list(self._frames),
        )

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> ObjectsResult:
        """Concatenate segments' frames in time order (a frame seen twice is kept once)."""
        typed = [p for p in parts if isinstance(p, ObjectsResult)]
        by_frame: dict[int, FrameDetections] = {}
        for part in typed:
            for frame in part.frames:
                by_frame.setdefault(frame.frame, frame)
        return ObjectsResult(
            model=next((p.model for p in typed if p.model), None),
            sample_fps=typed[0].sample_fps if typed else None,
            frames=[by_frame[i] for i in sorted(by_frame)],
        )
