"""``tags``: what is in an image or video, as seed 001 tags ``{tag, probability, is_critical}``.

Owns: running the ImageNet classifier and the object detector on sampled frames, per-scene
aggregation (a scene is a shot found by ``_shot_spans`` on the same frames), the whole-media tags,
the shot framing sections use and the ``is_critical`` flag. Does not own: the models' tensors
(``_classifier``, ``detections``), the tag words (``tag_vocabulary``) or the tenant's critical
list (``ctx.critical_tags``).

Method: each sampled frame gives ``{tag: probability}`` (``tag_vocabulary.frame_tags``: ImageNet
classes and their broader words, COCO detections). A scene's tag probability is its mean over the
scene's samples (absent = 0), so a tag must be there and sure to score high; the media's is the
best scene's. An image is one sample. Tags under ``min_probability`` are left out. A scene's
framing comes from the largest person box (see ``SceneTags.framing``).

Merge: per-scene sums over samples are additive, and ``LOOKBACK`` samples make the cut test at a
segment's start the single pass's, so merged results equal the single pass (up to the rounding
of sums kept in the part).

Options:
    ``fps`` (default 1): sampled frames per second for video; images are one frame.
    ``min_probability`` (default 0.1): smallest probability reported.
    ``critical``: tags to flag ``is_critical`` (list or comma-separated), added to the tenant's
        ``critical_tags``; case-insensitive. Empty by default. Example: ``["knife", "gun"]``.
    ``classifier`` (default ``efficientnet_lite0_imagenet1k``): a ``classification`` model.
    ``confidence`` (default 0.3), ``classes``, ``model``: the detector's, as for ``objects``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from framelens.analyzers._detecting import DetectingAnalyzer
from framelens.analyzers._shot_spans import LOOKBACK, ShotFollower, join_shots
from framelens.analyzers.detections import option_float
from framelens.analyzers.tag_vocabulary import frame_tags
from framelens.engine.base import FrameNeeds
from framelens.errors import ModelError, ValidationError
from framelens.schemas.results_tags import Framing, SceneTags, Tag, TagsResult

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from fractions import Fraction

    from framelens.analyzers._classifier import ImageClassifier
    from framelens.engine.base import AnalyzerResult, Frame, MediaInfo, RunContext

__all__ = ["DEFAULT_CLASSIFIER", "TagsAnalyzer", "framing_of"]

DEFAULT_CLASSIFIER = "efficientnet_lite0_imagenet1k"
# Per-frame classifier probabilities below this are not kept: 1000 classes would bloat the sums.
_FLOOR = 0.02
_CLOSE_UP, _MEDIUM = 0.6, 0.2


def framing_of(person_area: float | None) -> Framing | None:
    """Shot scale from the mean share of the frame the largest person covers.

    On the violinist clip close-ups measure 0.76-0.84 and medium/wide shots 0.27-0.48.
    """
    if person_area is None:
        return None
    if person_area >= _CLOSE_UP:
        return "close-up"
    return "medium shot" if person_area >= _MEDIUM else "wide shot"


@dataclass(slots=True)
class _Scene:
    start: Fraction
    start_frame: int
    continues: bool
    last_frame: int = 0
    last_pts: Fraction | None = None
    samples: int = 0
    sums: dict[str, float] = field(default_factory=dict)
    person_sum: float = 0.0
    person_samples: int = 0


class TagsAnalyzer(DetectingAnalyzer):
    """ImageNet classes and detected objects as tags, per scene and for the whole media."""

    name: ClassVar[str] = "tags"
    default_fps = 1.0

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.min_probability = option_float(self.options, "min_probability", 0.1, 0.0, 1.0) or 0.0
        self.classifier_name = str(self.options.get("classifier") or DEFAULT_CLASSIFIER)
        self._extra_critical = _names_option(self.options.get("critical"))
        self._critical: tuple[str, ...] = ()
        self._classifier: ImageClassifier | None = None
        self._follower = ShotFollower()
        self._is_video = False
        self._scenes: list[SceneTags] = []
        self._open: _Scene | None = None

    def needs(self) -> FrameNeeds:
        """The detector's frames plus ``LOOKBACK`` samples before a segment (cut test)."""
        base = super().needs()
        return FrameNeeds(
            sample_fps=base.sample_fps,
            max_side=base.max_side,
            colour="bgr",
            lookback=LOOKBACK,
            shared=base.shared,
        )

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Load both models; the critical set is the job's ``critical`` plus the tenant's."""
        from framelens.analyzers._classifier import ImageClassifier

        self.load(ctx)
        if ctx.models is None:
            raise ModelError("no model registry in the run context (RunContext.models)")
        manifest = ctx.models.manifest(self.classifier_name)
        if manifest.task != "classification":
            raise ValidationError(f"model {self.classifier_name!r} is not an image classifier")
        self._classifier = ImageClassifier(
            ctx.models.session(self.classifier_name),
            manifest,
            ctx.models.labels(self.classifier_name),
        )
        self._critical = _normalise([*ctx.critical_tags, *self._extra_critical])
        self._follower.start(media, ctx)
        self._is_video = media.media_type == "video"
        self._scenes, self._open = [], None

    def process(self, frame: Frame) -> None:
        """Classify and detect on one sampled frame; a cut closes the scene."""
        assert self._classifier is not None, "start() must run first"
        new = self._follower.update(frame)
        if new is None:
            return
        if new:
            if self._open is not None:
                self._close(self._open, frame.pts, open_end=False)
            first = self._open is None and not self._scenes
            self._open = _Scene(frame.pts, frame.index, first and self._follower.first_continues)
        scene = self._open
        assert scene is not None
        found = self.detect(frame)
        names = [str(n) for n in found.data.get("class_name", [])]
        confidences = [float(c) for c in (found.confidence if found.confidence is not None else [])]
        tags = frame_tags(
            self._classifier.probabilities(frame.image),
            self._classifier.labels,
            zip(names, confidences, strict=True),
            _FLOOR,
        )
        for name, p in tags.items():
            scene.sums[name] = scene.sums.get(name, 0.0) + p
        area = _largest_person(found.xyxy, names, frame)
        if area is not None:
            scene.person_sum += area
            scene.person_samples += 1
        scene.samples += 1
        scene.last_frame, scene.last_pts = frame.index, frame.pts

    def finish(self) -> TagsResult:
        """Close the last scene; tags per scene and for the whole media."""
        if self._open is not None:
            end = self._follower.end if self._follower.end is not None else self._open.last_pts
            self._close(self._open, end or self._open.start, open_end=self._follower.open_end)
            self._open = None
        scenes = self._scenes
        image_tags = None
        if not self._is_video:
            image_tags = scenes[0].tags if scenes else []
            scenes = []
        return _result(
            self.classifier_name,
            self.model_name,
            self.fps,
            self.min_probability,
            self._critical,
            scenes,
            image_tags,
        )

    def _close(self, scene: _Scene, end: Fraction, *, open_end: bool) -> None:
        keep_state = scene.continues or open_end
        self._scenes.append(
            _scene_tags(
                SceneTags(
                    start_seconds=float(scene.start),
                    end_seconds=float(max(end, scene.start)),
                    start_frame=scene.start_frame,
                    last_frame=scene.last_frame,
                    samples=scene.samples,
                    continues_previous=scene.continues,
                    open_end=open_end,
                    person_samples=scene.person_samples,
                ),
                scene.sums,
                scene.person_sum,
                self.min_probability,
                self._critical,
                keep_state,
            )
        )

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> TagsResult:
        """Join the segments' scenes (sums add up) and take each tag's best scene."""
        typed = [p for p in parts if isinstance(p, TagsResult)]
        if not typed:
            return TagsResult()
        first = typed[0]
        critical = _normalise(c for p in typed for c in p.critical_tags)
        if not any(p.scenes for p in typed):
            best: dict[str, float] = {}
            for part in typed:
                for tag in part.tags:
                    best[tag.tag] = max(best.get(tag.tag, 0.0), tag.probability)
            tags = _tag_list(best, first.min_probability, critical)
            return first.model_copy(update={"tags": tags, "critical_tags": list(critical)})

        def combine(a: SceneTags, b: SceneTags) -> dict[str, Any]:
            sums = dict(a.tag_sums or {})
            for name, value in (b.tag_sums or {}).items():
                sums[name] = sums.get(name, 0.0) + value
            joined = a.model_copy(
                update={"samples": a.samples + b.samples, "open_end": b.open_end,
                        "person_samples": a.person_samples + b.person_samples}
            )  # fmt: skip
            person = (a.person_area_sum or 0.0) + (b.person_area_sum or 0.0)
            done = _scene_tags(joined, sums, person, first.min_probability, critical, True)
            return {k: getattr(done, k) for k in _SCENE_PAYLOAD}

        def settle(scene: SceneTags) -> SceneTags:
            if scene.has_open_edge:
                return scene
            return scene.model_copy(update={"tag_sums": None, "person_area_sum": None})

        scenes = join_shots([p.scenes for p in typed], combine, settle)
        return _result(
            first.model,
            first.detector,
            first.sample_fps,
            first.min_probability,
            critical,
            scenes,
            None,
        )


_SCENE_PAYLOAD = ("tags", "framing", "person_area", "person_samples", "tag_sums", "person_area_sum")


def _scene_tags(
    scene: SceneTags,
    sums: dict[str, float],
    person_sum: float,
    min_probability: float,
    critical: tuple[str, ...],
    keep_state: bool,
) -> SceneTags:
    """Fill a scene's tags and framing from its sums over ``scene.samples`` samples."""
    n = max(1, scene.samples)
    area = person_sum / scene.person_samples if scene.person_samples else None
    mostly_person = scene.person_samples * 2 >= n
    return scene.model_copy(
        update={
            "tags": _tag_list({k: v / n for k, v in sums.items()}, min_probability, critical),
            "person_area": round(area, 4) if area is not None else None,
            "framing": framing_of(area) if mostly_person else None,
            "tag_sums": {k: round(v, 6) for k, v in sorted(sums.items())} if keep_state else None,
            "person_area_sum": round(person_sum, 6) if keep_state else None,
        }
    )


def _result(
    model: str | None,
    detector: str | None,
    fps: float | None,
    min_probability: float,
    critical: tuple[str, ...],
    scenes: list[SceneTags],
    image_tags: list[Tag] | None,
) -> TagsResult:
    """Whole-media tags: an image's own, or each tag's best scene probability (pure)."""
    tags = image_tags
    if tags is None:
        best: dict[str, float] = {}
        for scene in scenes:
            for tag in scene.tags:
                best[tag.tag] = max(best.get(tag.tag, 0.0), tag.probability)
        tags = _tag_list(best, min_probability, critical)
    return TagsResult(
        model=model,
        detector=detector,
        sample_fps=fps,
        min_probability=min_probability,
        critical_tags=list(critical),
        tags=tags,
        scenes=scenes,
    )


def _tag_list(
    probs: dict[str, float], min_probability: float, critical: tuple[str, ...]
) -> list[Tag]:
    kept = [(name, round(min(1.0, p), 4)) for name, p in probs.items() if p >= min_probability]
    return [
        Tag(tag=name, probability=p, is_critical=name.lower() in critical)
        for name, p in sorted(kept, key=lambda kv: (-kv[1], kv[0]))
    ]


def _names_option(value: Any) -> list[str]:
    """The ``critical`` option: a list of tags or a comma-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValidationError("option 'critical' must be a list of tags")


def _normalise(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({n.strip().lower() for n in names if n.strip()}))


def _largest_person(boxes: Any, names: list[str], frame: Frame) -> float | None:
    """Share of the (source) frame covered by the largest ``person`` box, or ``None``."""
    h, w = frame.image.shape[:2]
    area = (h / frame.scale) * (w / frame.scale)
    sizes = [
        float((b[2] - b[0]) * (b[3] - b[1])) for b, n in zip(boxes, names, strict=True)
        if n == "person"
    ]  # fmt: skip
    return min(1.0, max(sizes) / area) if sizes and area > 0 else None
