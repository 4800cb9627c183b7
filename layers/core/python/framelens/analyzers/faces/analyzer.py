"""``faces``: faces of images and videos, followed as traces, clustered into identities.

Owns: the analyzer lifecycle (load models, watch for cuts, observe sampled frames, build traces,
store representative thumbnails, assemble the result) and segment ``merge``. Does not own:
decoding (the engine), the models (``ctx.models``), where gallery vectors come from
(``ctx.gallery``, built by ``jobs.galleries``) or the seed shapes built from the result.

Options: see ``options``. Frames: BGR at ``fps`` (5) and ``max_side`` (960), one lookback frame
so a segment knows whether it starts with a cut. Images are one-frame videos.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from framelens.analyzers._shots import ShotWatcher
from framelens.analyzers.faces.assemble import TraceRecord, assemble
from framelens.analyzers.faces.attributes import gender_of
from framelens.analyzers.faces.matching import GalleryIndex, score_floor
from framelens.analyzers.faces.models import FaceModels, load_face_models
from framelens.analyzers.faces.observe import FaceObservation, embed_patch, observe
from framelens.analyzers.faces.options import MAX_GAP_S, parse_options, settings_from_dict
from framelens.analyzers.faces.quality import blur_score, jpeg_bytes, prominence
from framelens.analyzers.faces.segments import join_parts
from framelens.analyzers.faces.traces import Candidate, FaceSample, Trace, TraceBuilder
from framelens.engine.base import Analyzer, FrameNeeds
from framelens.errors import ValidationError
from framelens.schemas.results_faces import (
    FaceBox,
    FacesPart,
    FacesPartState,
    FaceTrace,
    PixelBox,
    RepresentativeFace,
    TraceState,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext
    from framelens.schemas.identities import GalleryView

__all__ = ["FacesAnalyzer"]


def _pixel_box(box: tuple[float, float, float, float]) -> PixelBox:
    x, y, w, h = box
    return PixelBox(x=round(x), y=round(y), width=round(w), height=round(h))


def _representative(best: Candidate, thumbnail: str | None) -> RepresentativeFace:
    sample = best.sample
    return RepresentativeFace(
        trace_id=0,
        frame_number=sample.frame,
        timestamp_secs=float(sample.pts),
        bbox=_pixel_box(sample.box),
        confidence=round(sample.score, 4),
        quality_score=round(best.quality, 2),
        blur_score=round(blur_score(best.sharpness), 4),
        sharpness=round(best.sharpness, 3),
        face_thumbnail=thumbnail,
    )


def check_gallery(
    view: GalleryView | None, gallery: str | None, allowlist: str | None, embedder: str
) -> GalleryView | None:
    """The run's gallery view if the options ask for one, after checking it fits them.

    Raises:
        ValidationError: a gallery was asked for but not provided, or it was built for other
            options or another embedder.
    """
    if gallery is None and allowlist is None:
        return None
    if view is None:
        raise ValidationError(
            f"faces: gallery {gallery or allowlist!r} was requested but the run received none"
        )
    if (view.gallery, view.allowlist) != (gallery, allowlist):
        raise ValidationError("faces: the run's gallery does not match the gallery options")
    if view.embedder != embedder:
        raise ValidationError(
            f"faces: gallery vectors come from {view.embedder!r}, this run embeds with "
            f"{embedder!r}; re-enrol the gallery with the same embedder",
            details={"gallery_embedder": view.embedder, "embedder": embedder},
        )
    return view


class FacesAnalyzer(Analyzer):
    """Detect, embed, estimate age/gender, trace and cluster faces; match a gallery.

    Examples:
        >>> run_analyzers(path, [FacesAnalyzer({"fps": 5})], ctx)["faces"]  # doctest: +SKIP
    """

    name: ClassVar[str] = "faces"
    # ARCHITECTURE: faces on video run on the GPU worker, on images in the CPU inference image
    # (one photo, e.g. an enrolment, never waits for a GPU instance to scale up from zero).
    runtime = "gpu"
    result_type = FacesPart

    @classmethod
    def runtime_for(cls, media_type: str) -> Literal["cpu", "gpu"]:
        """CPU for images, the GPU worker for video."""
        return "cpu" if media_type == "image" else cls.runtime

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.settings = parse_options(self.options)
        self._models: FaceModels | None = None
        self._ctx: RunContext | None = None
        self._index: GalleryIndex | None = None
        self._reset()

    def _reset(self) -> None:
        self._watcher = ShotWatcher()
        self._builder = TraceBuilder(self.settings.trace_gate, MAX_GAP_S, reembed=self._reembed)
        self._first: int | None = None
        self._last: int | None = None
        self._cut_at_start = False
        self._size = (0, 0)
        self._media: MediaInfo | None = None

    def _reembed(self, obs: FaceObservation) -> npt.NDArray[np.float32]:
        """Embed a face observed without an embedding, when the traces come to doubt it."""
        assert self._models is not None and obs.patch is not None, "observe() keeps a patch"
        return embed_patch(self._models, obs.patch)

    def needs(self) -> FrameNeeds:
        """BGR at ``fps`` and ``max_side``, with one lookback sample for the cut test."""
        return FrameNeeds(
            sample_fps=self.settings.fps, max_side=self.settings.max_side, colour="bgr", lookback=1
        )

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Load the models and check the gallery the run received."""
        self._reset()
        self._ctx = ctx
        self._media = media
        self._models = load_face_models(
            ctx.models, embedder=self.settings.embedder, min_score=self.settings.min_score
        )
        view = check_gallery(
            ctx.gallery, self.settings.gallery, self.settings.allowlist, self._models.embedder.name
        )
        self._index = GalleryIndex(view) if view is not None else None

    def process(self, frame: Frame) -> None:
        """Cut test on every frame; faces on in-segment frames."""
        assert self._models is not None, "start() must run first"
        cut = self._watcher.update(frame.image)
        if frame.is_lookback:
            return
        if cut:
            self._builder.cut()
            self._cut_at_start = self._cut_at_start or self._first is None
        if self._first is None:
            self._first = frame.index
        self._last = frame.index
        h, w = frame.image.shape[:2]
        scale = frame.scale if frame.scale > 0 else 1.0
        self._size = (round(w / scale), round(h / scale))
        builder, pts = self._builder, frame.pts
        faces = observe(
            frame.image, self._models, scale, lambda boxes: builder.wants_embedding(pts, boxes)
        )
        proms = [prominence(f.box, *self._size) for f in faces]
        self._builder.update(frame.index, frame.pts, faces, proms)

    def finish(self) -> FacesPart:
        """Confirmed traces with thumbnails, clustered into identities and matched."""
        traces = [t for t in self._builder.finish() if t.max_score >= self.settings.confirm_score]
        records = [self._record(k, t) for k, t in enumerate(traces)]
        view = self._index.view if self._index is not None else None
        state = FacesPartState(
            job_id=self._ctx.job_id if self._ctx else "",
            first_sample=self._first,
            last_sample=self._last,
            cut_at_start=self._cut_at_start,
            options=self.settings.to_dict(),
            gallery_names={e.identity_id: e.name for e in view.entries} if view else {},
            gallery_allowlisted=sorted(e.identity_id for e in view.entries if e.allowlisted)
            if view
            else [],
        )
        return assemble(records, self.settings, self._header(), state)

    def _header(self) -> dict[str, Any]:
        media = self._media
        video = media is not None and media.media_type == "video"
        return {
            "model": self._models.embedder.name if self._models else None,
            "detector": self._models.detector.name if self._models else None,
            "sample_fps": self.settings.fps if video else None,
            "media_fps": float(media.fps) if media is not None and media.fps and video else None,
            "frame_width": self._size[0] or (media.width if media else 0) or 0,
            "frame_height": self._size[1] or (media.height if media else 0) or 0,
            "gallery": self.settings.gallery,
        }

    def _record(self, k: int, trace: Trace) -> TraceRecord:
        """One finished trace as its public model (identity and trace id set later) and the
        state ``merge`` needs."""
        best = trace.representative()
        public = FaceTrace(
            trace_id=0,
            identity_uuid="",
            first_frame=trace.faces[0].frame,
            last_frame=trace.faces[-1].frame,
            first_timestamp=float(trace.faces[0].pts),
            last_timestamp=float(trace.faces[-1].pts),
            face_count=len(trace.faces),
            faces=[self._face_box(f) for f in trace.faces],
            representative=_representative(best, self._thumbnail(k, trace, best)),
            age=0.0,
            gender="unidentified",
            female_probability=0.5,
        )
        floor = score_floor(self.settings.match_threshold)
        state = TraceState(
            trace_id=0,
            embedding_sum=[float(v) for v in trace.embedding_sum],
            ages=[round(a, 3) for a in trace.ages],
            female_probabilities=[round(p, 5) for p in trace.female_probabilities],
            max_score=round(trace.max_score, 4),
            gallery_scores=self._index.scores(trace.mean_embedding, floor) if self._index else {},
        )
        return TraceRecord(public, state)

    def _thumbnail(self, k: int, trace: Trace, best: Candidate) -> str | None:
        """Store the representative face's JPEG; its artifact key (None without a sink)."""
        ctx = self._ctx
        if ctx is None or ctx.artifacts is None:
            return None
        name = f"faces/trace_{trace.faces[0].frame:08d}_{k:04d}.jpg"
        return ctx.artifacts.put(name, jpeg_bytes(best.crop), "image/jpeg")

    def _face_box(self, f: FaceSample) -> FaceBox:
        """One sampled face with its own readings."""
        female = f.female_probability
        return FaceBox(
            frame_number=f.frame,
            timestamp_secs=float(f.pts),
            bbox=_pixel_box(f.box),
            confidence=round(f.score, 4),
            prominence=round(f.prominence, 6),
            landmarks=[[round(x), round(y)] for x, y in f.landmarks] or None,
            age=None if f.age is None else round(f.age, 2),
            gender=None if female is None else gender_of(female, self.settings.gender_margin),
            female_probability=None if female is None else round(female, 4),
            sharpness=None if f.sharpness is None else round(f.sharpness, 3),
        )

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> FacesPart:
        """Join traces across segment boundaries, then re-cluster and re-match the whole file."""
        typed = [p for p in parts if isinstance(p, FacesPart)]
        if not typed:
            return FacesPart()
        settings = settings_from_dict(typed[0].state.options)
        records, header, state = join_parts(typed, settings.trace_gate)
        return assemble(records, settings, header, state)
