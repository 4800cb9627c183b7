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

Memory: detections go to a ``FramePager``, so in the pipeline (``RunContext.pages``) a worker
holds one page of frames at a time, whatever the video's length (``benchmarks/memory.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from framelens.analyzers._detecting import DetectingAnalyzer
from framelens.analyzers._pages import FramePager
from framelens.analyzers.detections import detection_dicts
from framelens.schemas.parts_pages import ObjectsPart
from framelens.schemas.results_objects import Detection, FrameDetections, ObjectsResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["ObjectsAnalyzer"]


class ObjectsAnalyzer(DetectingAnalyzer):
    """Detect objects on sampled frames; result ``{frame, timestamp, detections:[...]}``.

    Examples:
        >>> run_analyzers(path, [ObjectsAnalyzer({"fps": 2})], ctx)["objects"]  # doctest: +SKIP
    """

    name: ClassVar[str] = "objects"
    runtime = "gpu"  # ARCHITECTURE: detection+tracking run on the GPU worker in the cloud
    default_fps = 5.0
    result_type = ObjectsPart

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._frames: FramePager[FrameDetections] = FramePager(self.name, None)

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Load the detector from ``ctx.models`` and validate ``classes`` against it."""
        self.load(ctx)
        # An image is one frame: paging pays off only for video.
        sink = ctx.pages if media.media_type == "video" else None
        self._frames = FramePager(self.name, sink)

    def process(self, frame: Frame) -> None:
        """Detect on one frame; boxes are stored in source pixels."""
        found = self.detect(frame)
        self._frames.add(
            FrameDetections(
                frame=frame.index,
                timestamp=float(frame.pts),
                detections=[Detection.model_validate(d) for d in detection_dicts(found)],
            )
        )

    def finish(self) -> ObjectsPart:
        """Every sampled frame's detections, in time order (inline, or in pages)."""
        frames, pages = self._frames.close()
        return ObjectsPart(model=self.model_name, sample_fps=self.fps, frames=frames, pages=pages)

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> ObjectsPart:
        """Concatenate segments' frames in time order (a frame seen twice is kept once).

        Parts are unpaged first (``orchestration.merge``); pages still listed are kept, in
        order, for whoever unpages the merged part."""
        typed = [p for p in parts if isinstance(p, ObjectsResult)]
        by_frame: dict[int, FrameDetections] = {}
        for part in typed:
            for frame in part.frames:
                by_frame.setdefault(frame.frame, frame)
        return ObjectsPart(
            model=next((p.model for p in typed if p.model), None),
            sample_fps=typed[0].sample_fps if typed else None,
            frames=[by_frame[i] for i in sorted(by_frame)],
            pages=[key for p in typed if isinstance(p, ObjectsPart) for key in p.pages],
        )
