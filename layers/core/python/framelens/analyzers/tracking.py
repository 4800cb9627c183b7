"""``tracking``: persistent object ids (ByteTrack) and an annotated H.264 MP4.

Owns: which frames are detected, feeding ByteTrack, per-track JSON, drawing every frame and the
cross-segment re-linking of tracks. Does not own: detection (``detections``), the tracker
algorithm (roboflow ``trackers``' ByteTrack, the successor of ``supervision.ByteTrack``), drawing
and MP4 encoding (``framelens.media.annotated.AnnotatedVideo``, the one writer of annotated
video) or storing bytes (``ctx.artifacts``).

Options:
    ``fps`` (default 10): detections per second of video; ``0`` = every frame. 10 fps keeps a
        walking person's box overlapping between samples (ByteTrack associates by IoU) while
        costing half of a 20-30 fps clip; use 0 for short clips with fast motion.
    ``confidence`` (default 0.4): score to start or firmly continue a track (ByteTrack's high
        threshold); boxes down to 0.1 still continue existing tracks (ByteTrack's second stage).
    ``classes``, ``model``: as for ``objects``.
    ``video`` (default true): write the annotated MP4 (``tracking.mp4``).
    ``max_side`` (default 640): size of the annotated video's frames.

The annotated video needs every frame, so with ``video`` the analyzer asks the engine for every
frame at ``max_side`` and runs detection only on sampled ones; frames in between show the last
tracked boxes. Without ``video`` it asks only for the sampled frames.

Segments: each segment writes its own MP4 (``tracking_<start ms>.mp4``); ``merge`` re-links tracks
across a boundary when a track ending within ``LINK_GAP_S`` before it and a track starting within
``LINK_GAP_S`` after it have the same class and IoU >= ``LINK_IOU`` (greedy, best IoU first).
"""

from __future__ import annotations

import tempfile
from fractions import Fraction
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar

import numpy as np

from framelens.analyzers._track_book import TrackBook
from framelens.analyzers.detections import option_float, parse_classes, working_side
from framelens.analyzers.shared_detection import DetectionWork, keep
from framelens.analyzers.yolo_decode import NMS_IOU
from framelens.engine.base import Analyzer, FrameNeeds
from framelens.engine.sampling import on_tick
from framelens.errors import ValidationError
from framelens.schemas.parts_pages import TrackingPart
from framelens.schemas.results_objects import Track, TrackBox, TrackingResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    import supervision as sv

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext
    from framelens.media.annotated import AnnotatedVideo
    from framelens.media.overlay import OverlayBox

__all__ = ["TrackingAnalyzer"]

DEFAULT_FPS = 10.0
DEFAULT_CONFIDENCE = 0.4
MIN_CONFIDENCE = 0.1  # ByteTrack's low-score floor for the second association stage
LOST_SECONDS = 2.0
LINK_GAP_S = 1.0
LINK_IOU = 0.3


class TrackingAnalyzer(Analyzer):
    """Detect, track with ByteTrack, report tracks and draw them on every frame."""

    name: ClassVar[str] = "tracking"
    media_types: ClassVar[frozenset[str]] = frozenset({"video"})
    runtime = "gpu"  # ARCHITECTURE: detection+tracking run on the GPU worker in the cloud
    result_type = TrackingPart

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        fps = option_float(self.options, "fps", DEFAULT_FPS, 0.0, 240.0)
        self.fps = Fraction(fps).limit_denominator(1000) if fps else None  # None = every frame
        self.confidence = option_float(self.options, "confidence", DEFAULT_CONFIDENCE, 0.1, 1.0)
        self.classes = parse_classes(self.options.get("classes"))
        self.model: str | None = self.options.get("model")
        self.video = bool(self.options.get("video", True))
        self.max_side = int(option_float(self.options, "max_side", 640, 64, 4096) or 640)
        self._work = DetectionWork(self.model, MIN_CONFIDENCE)
        self._model_name: str | None = None
        self._ctx: RunContext | None = None
        self._media_fps = Fraction(25)
        self._reset()

    def _reset(self) -> None:
        self._tracker: Any = None
        self._class_ids: set[int] | None = None
        self._prev_pts: Fraction | None = None
        self._last_ts: float | None = None
        self._last: sv.Detections | None = None
        self._book = TrackBook()
        self._video: AnnotatedVideo | None = None
        self._video_file: BinaryIO | None = None

    def needs(self) -> FrameNeeds:
        """Every frame when drawing the video, else only the detection samples."""
        if self.video:
            return FrameNeeds(
                sample_fps=None, max_side=self.max_side, colour="bgr", shared=(self._work,)
            )
        fps = float(self.fps) if self.fps else None
        return FrameNeeds(
            sample_fps=fps, max_side=working_side(self.model), colour="bgr", shared=(self._work,)
        )

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Load the detector and a fresh ByteTrack for this segment."""
        from trackers import ByteTrackTracker

        self._reset()
        self._ctx = ctx
        self._book = TrackBook(ctx.pages)  # boxes go out in pages in the pipeline
        detector = self._work.load(ctx.models)
        self._class_ids = detector.class_ids(self.classes)
        self._model_name = detector.name
        self._media_fps = media.fps or Fraction(25)
        rate = float(self.fps or self._media_fps)
        if self.confidence is None:
            raise ValidationError("option 'confidence' must be a number between 0.1 and 1.0")
        self._tracker = ByteTrackTracker(
            # lost_track_buffer counts 30 fps frames; with timestamps it becomes seconds / 30.
            lost_track_buffer=round(LOST_SECONDS * 30),
            frame_rate=rate,
            track_activation_threshold=self.confidence,
            high_conf_det_threshold=self.confidence,
            minimum_consecutive_frames=2,
            minimum_iou_threshold=0.1,
        )

    def process(self, frame: Frame) -> None:
        """Detect and track on sampled frames; draw the current tracks on every frame."""
        assert self._tracker is not None, "start() must run first"
        if on_tick(frame.pts, self._prev_pts, self.fps):  # the engine's own sampling rule
            found = keep(frame.shared(self._work), MIN_CONFIDENCE, self._class_ids)
            # Trackers want one box per object: class-agnostic NMS on the shared detections.
            found = found.with_nms(threshold=NMS_IOU, class_agnostic=True) if len(found) else found
            # ByteTrack skips non-increasing timestamps; keep its clock moving if a container
            # reports PTS out of order (seen on AVI with B-frames) instead of losing the update.
            ts = float(frame.pts)
            if self._last_ts is not None and ts <= self._last_ts:
                ts = self._last_ts + 1.0 / float(self._media_fps)
            self._last_ts = ts
            tracked = self._tracker.update(found, timestamp=ts)
            tracked = tracked[tracked.tracker_id >= 0] if len(tracked) else tracked
            self._record(frame, tracked)
            self._last = tracked
        self._prev_pts = frame.pts
        if self.video:
            self._draw(frame)

    def _record(self, frame: Frame, tracked: sv.Detections) -> None:
        if not len(tracked):
            return
        if tracked.tracker_id is None:
            raise RuntimeError("the tracker returned detections without track ids")
        names = tracked.data.get("class_name", [])
        conf = tracked.confidence if tracked.confidence is not None else np.ones(len(tracked))
        self._book.add_frame(
            [
                (
                    int(tracked.tracker_id[i]),
                    str(names[i]),
                    TrackBox(
                        frame=frame.index,
                        timestamp=float(frame.pts),
                        bbox=[round(float(v)) for v in tracked.xyxy[i]],
                        confidence=round(float(conf[i]), 4),
                    ),
                )
                for i in range(len(tracked))
            ]
        )

    def _draw(self, frame: Frame) -> None:
        from framelens.media.annotated import AnnotatedVideo

        if self._video is None:
            # Our own temporary file, streamed to the artifact sink at the end (a long video's
            # MP4 never sits in memory).
            self._video_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish
            self._video = AnnotatedVideo(fps=self._media_fps, fp=self._video_file)
        self._video.add(frame.image, frame.pts, self._boxes_shown(), scale=frame.scale)

    def _boxes_shown(self) -> list[OverlayBox]:
        """The last tracked boxes (source pixels), labelled with each track's majority class."""
        from framelens.media.overlay import OverlayBox

        shown = self._last
        if shown is None or not len(shown):
            return []
        if shown.tracker_id is None:
            raise RuntimeError("the tracker returned detections without track ids")
        return [
            OverlayBox(
                box=(float(x1), float(y1), float(x2), float(y2)),
                label=self._class_of(int(tid)),
                track_id=int(tid),
            )
            for (x1, y1, x2, y2), tid in zip(shown.xyxy, shown.tracker_id, strict=True)
        ]

    def _class_of(self, tid: int) -> str:
        return self._book.class_of(tid)

    def finish(self) -> TrackingPart:
        """Tracks numbered 1..N by first appearance (boxes inline, or in pages), and the stored
        MP4's artifact key."""
        videos: list[str] = []
        if self._video is not None and self._video_file is not None:
            self._video.close()
            try:
                ctx = self._ctx
                if ctx is not None and ctx.artifacts is not None and self._video.frames:
                    seg = ctx.segment
                    whole = seg.start == 0 and seg.end is None
                    name = (
                        "tracking.mp4" if whole else f"tracking_{round(seg.start * 1000):09d}.mp4"
                    )
                    self._video_file.seek(0)
                    videos.append(ctx.artifacts.put_file(name, self._video_file, "video/mp4"))
            finally:
                self._video_file.close()
        tracks, pages = self._book.close()
        return TrackingPart(
            model=self._model_name or self.model,
            detect_fps=float(self.fps) if self.fps else None,
            tracks=tracks,
            videos=videos,
            pages=pages,
        )

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> TrackingPart:
        """Concatenate segments in time order, re-linking tracks across each boundary.

        Parts come unpaged (``orchestration.merge``): linking reads each track's boxes."""
        typed = [p for p in parts if isinstance(p, TrackingResult)]
        tracks: list[Track] = []
        for part in typed:
            tracks = _link(tracks, part.tracks)
        first = typed[0] if typed else TrackingResult()
        return TrackingPart(
            model=first.model,
            detect_fps=first.detect_fps,
            tracks=tracks,
            videos=[v for p in typed for v in p.videos],
        )


def _track(track_id: int, class_name: str, boxes: list[TrackBox]) -> Track:
    return Track.model_validate(
        {
            "id": track_id,
            "class": class_name,
            "first_frame": boxes[0].frame,
            "last_frame": boxes[-1].frame,
            "first_timestamp": boxes[0].timestamp,
            "last_timestamp": boxes[-1].timestamp,
            "frames": boxes,
        }
    )


def _iou(a: list[int], b: list[int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _link(done: list[Track], new: list[Track]) -> list[Track]:
    """Append ``new`` (a later segment) to ``done``, continuing tracks that cross the boundary."""
    if not new:
        return done
    boundary = min(t.first_timestamp for t in new)
    enders = [t for t in done if boundary - t.last_timestamp <= LINK_GAP_S]
    starters = [t for t in new if t.first_timestamp - boundary <= LINK_GAP_S]
    pairs = sorted(
        (
            (_iou(e.frames[-1].bbox, s.frames[0].bbox), e.id, s.id)
            for e in enders
            for s in starters
            if e.class_ == s.class_
        ),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    linked: dict[int, int] = {}  # new id -> existing id
    used: set[int] = set()
    for iou, old_id, new_id in pairs:
        if iou >= LINK_IOU and old_id not in used and new_id not in linked:
            linked[new_id] = old_id
            used.add(old_id)
    by_id = {t.id: t for t in done}
    next_id = max(by_id, default=0) + 1
    for track in sorted(new, key=lambda t: t.id):
        if track.id in linked:
            old = by_id[linked[track.id]]
            by_id[old.id] = _track(old.id, old.class_, [*old.frames, *track.frames])
        else:
            by_id[next_id] = track.model_copy(update={"id": next_id})
            next_id += 1
    return [by_id[i] for i in sorted(by_id)]
