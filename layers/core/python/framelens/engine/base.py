"""The analyzer interface: what every analyzer declares, receives and returns.

Owns: ``FrameNeeds``, ``SharedWork``, ``Frame``, ``FrameExport``, ``MediaInfo``, ``Segment``,
``RunContext``, ``AnalyzerResult`` and the ``Analyzer`` base class. Does not own: decoding
(``engine.decode``/``engine.run``), frame export (``engine.exports`` through ``media``), model
loading (``framelens.models``) or storing results (the orchestration stages).

Modelled on PySceneDetect's detector/manager split: analyzers never open, decode, seek, call AWS
or write results. Frames arrive in PTS order, already resized to what ``needs()`` declared.
What an analyzer needs beyond its frames it declares: per-frame work it shares with others
(``FrameNeeds.shared``: one detector call per sampled frame however many detection modules run)
and frames of the source to store as images once its result is final (``exports``), which the
engine fulfils with a targeted seek owned by ``media``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, Literal

from framelens.media.info import MediaInfo
from framelens.schemas.module_options import validate_module_options
from framelens.schemas.results_base import AnalyzerResult

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.models.provider import ModelProvider
    from framelens.schemas.identities import GalleryView

__all__ = [
    "Analyzer",
    "AnalyzerResult",
    "ArtifactSink",
    "Frame",
    "FrameExport",
    "FrameNeeds",
    "MediaInfo",
    "RunContext",
    "Segment",
    "SharedWork",
]


class SharedWork(ABC):
    """Per-frame work that several analyzers of one run need (e.g. one detector call).

    Analyzers declare it in ``FrameNeeds.shared``; works with equal ``key`` are combined (see
    ``combine``) and computed at most once per decoded frame, on the first ``Frame.shared`` call
    for that frame, at the work's own size and colour. Analyzers declare the work in ``needs``
    and read it with ``frame.shared(work)``.
    """

    key: str
    max_side: int | None = None
    colour: Literal["gray", "bgr"] = "bgr"

    @abstractmethod
    def compute(self, frame: Frame) -> Any:
        """The work's value for one frame (given at ``max_side`` in ``colour``)."""

    def combine(self, other: SharedWork) -> SharedWork:
        """One work serving both ``self``'s and ``other``'s requesters (same key).

        The default keeps ``self``: override when requesters differ, e.g. a lower score floor.
        """
        return self


@dataclass(frozen=True, slots=True)
class FrameNeeds:
    """What frames an analyzer wants from the shared decode pass.

    Attributes:
        sample_fps: frames per second of media time to deliver; ``None`` means every frame.
        keyframes_only: deliver only keyframes (cheapest; overrides ``sample_fps``).
        max_side: downscale so the longer side is at most this many pixels; ``None`` = full size.
        colour: ``"gray"`` (HxW uint8, from the decoded luma plane, no swscale) or ``"bgr"``
            (HxWx3 uint8, converted only for frames that are delivered).
        lookback: how many sampled frames before a segment's start to deliver first, flagged
            ``Frame.is_lookback``, so per-step measures at the boundary equal the single pass.
        shared: per-frame work this analyzer reads through ``Frame.shared(work)``.
        decode: ``"all"``: every frame of the video is decoded and sampling picks among them.
            ``"reference"``: the analyzer is content with the frames the decoder produces while
            skipping non-reference frames (H.264/HEVC; about half the frames with common
            encoder settings, at about half the cost), sampling picking among those; with
            ``sample_fps=None`` it may ask for the skipped frames before any frame through
            ``Analyzer.refine`` (it then needs ``lookback >= 1``, so a segment's first frame
            has a predecessor). The run skips only when every analyzer of it says
            ``"reference"``; otherwise every frame is decoded and delivered as for ``"all"``.
    """

    sample_fps: float | None = None
    keyframes_only: bool = False
    max_side: int | None = None
    colour: Literal["gray", "bgr"] = "gray"
    lookback: int = 0
    shared: tuple[SharedWork, ...] = ()
    decode: Literal["all", "reference"] = "all"


@dataclass(frozen=True, slots=True)
class Segment:
    """A half-open span ``[start, end)`` of media time in exact seconds (``end=None``: open)."""

    start: Fraction = Fraction(0)
    end: Fraction | None = None

    def contains(self, pts: Fraction) -> bool:
        """Whether a frame at ``pts`` belongs to this segment."""
        return pts >= self.start and (self.end is None or pts < self.end)


@dataclass(slots=True)
class Frame:
    """One decoded frame as an analyzer sees it.

    Attributes:
        index: zero-based index of the frame in the whole stream (decode order = display order).
        pts: presentation time in exact seconds from the stream start (first frame at 0).
        image: ``HxW`` (gray) or ``HxWx3`` (BGR) uint8 at the analyzer's working size.
        scale: working size / source size; divide working-size coordinates by it for source pixels.
        is_keyframe: whether the decoder marked the frame as a keyframe.
        is_lookback: context before the segment start (see ``FrameNeeds.lookback``): use it to
            prime state, never report it.
        works: the run's shared per-frame work for this frame (``shared``), set by the engine.
    """

    index: int
    pts: Fraction
    image: npt.NDArray[np.uint8]
    scale: float = 1.0
    is_keyframe: bool = False
    is_lookback: bool = False
    works: Callable[[str], Any] | None = None

    def shared(self, work: SharedWork) -> Any:
        """The value of ``work`` for this frame, computed once per frame for the whole run.

        Outside an engine run (frames fed by hand) the work is computed on this frame directly.
        """
        if self.works is None:
            return work.compute(self)
        return self.works(work.key)


@dataclass(frozen=True, slots=True)
class FrameExport:
    """A frame of the source an analyzer wants stored as an image once its result is final.

    Attributes:
        name: artifact name, a relative path unique within the job's source
            (``best_frames/frame_0000042.jpg``).
        frame_index: zero-based display-order index (0 for an image).
        fmt: ``"jpeg"`` or ``"png"``.
        crop: ``(x1, y1, x2, y2)`` in source pixels, clamped to the frame (face thumbnails).
        size: ``(width, height)`` to resize the (cropped) image to, or ``None``.
    """

    name: str
    frame_index: int
    fmt: Literal["jpeg", "png"] = "jpeg"
    crop: tuple[int, int, int, int] | None = None
    size: tuple[int, int] | None = None

    @property
    def content_type(self) -> str:
        """The MIME type of the stored image."""
        return "image/png" if self.fmt == "png" else "image/jpeg"


class ArtifactSink(ABC):
    """Where an analyzer's binary outputs (frame JPEGs, annotated MP4s) go; returns a blob key."""

    @abstractmethod
    def put(self, name: str, data: bytes, content_type: str) -> str:
        """Store ``data`` as artifact ``name`` (unique within the job) and return its blob key."""

    def put_file(self, name: str, fp: BinaryIO, content_type: str) -> str:
        """Store an open file's contents from its current position (an annotated video);
        sinks that can stream override this, the default reads it into memory."""
        return self.put(name, fp.read(), content_type)


@dataclass(slots=True)
class RunContext:
    """Per-run inputs an analyzer may use. Never a module global: Lambda reuses containers."""

    job_id: str = ""
    tenant_id: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    segment: Segment = field(default_factory=Segment)
    artifacts: ArtifactSink | None = None
    # Where analyzers page out per-frame results (``analyzers._pages``); None = keep in memory.
    pages: ArtifactSink | None = None
    models: ModelProvider | None = None
    critical_tags: tuple[str, ...] = ()
    on_progress: Callable[[float], None] | None = None
    gallery: GalleryView | None = None  # faces: the tenant's identities to match (jobs.galleries)


def _result_class(name: str) -> type[AnalyzerResult]:
    """The most specific ``AnalyzerResult`` subclass declaring ``analyzer = name``."""
    pending: list[type[AnalyzerResult]] = list(AnalyzerResult.__subclasses__())
    while pending:
        sub = pending.pop()
        field_info = sub.model_fields.get("analyzer")
        if field_info is not None and field_info.default == name:
            return sub
        pending.extend(sub.__subclasses__())
    return AnalyzerResult


class Analyzer(ABC):
    """One analysis capability, fed by the shared decode pass.

    Lifecycle per segment: ``needs()`` → ``start()`` → ``process()`` for every delivered frame →
    ``finish()``. Segments are merged with ``merge()`` in time order; the merged result of N
    segments equals the single-pass result.
    """

    name: ClassVar[str]
    media_types: ClassVar[frozenset[str]] = frozenset({"video", "image"})
    runtime: ClassVar[Literal["cpu", "gpu"]] = "cpu"  # where the cloud pipeline runs it
    # What finish() and merge() return: the public result, or a part model that subclasses it
    # and adds the state merging needs (``AnalyzerResult.public`` drops that state).
    result_type: ClassVar[type[AnalyzerResult]] = AnalyzerResult
    # Other modules whose merged results ``compose`` refines this one with (when a job has them).
    uses: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def runtime_for(cls, media_type: str) -> Literal["cpu", "gpu"]:
        """Where the cloud pipeline runs it on a source of ``media_type`` (``runtime``)."""
        return cls.runtime

    @classmethod
    def load_result(cls, data: dict[str, Any]) -> AnalyzerResult:
        """Parse a stored part back into the typed model ``finish`` returned.

        Without an explicit ``result_type``, the result class is the ``AnalyzerResult``
        subclass whose ``analyzer`` field defaults to the stored ``analyzer`` name.
        """
        result_type = cls.result_type
        if result_type is AnalyzerResult:
            result_type = _result_class(str(data.get("analyzer", cls.name)))
        return result_type.model_validate(data)

    @classmethod
    def compose(
        cls, result: AnalyzerResult, others: Mapping[str, AnalyzerResult]
    ) -> AnalyzerResult:
        """Refine a merged result with the merged results of the modules in ``uses`` (pure).

        Runs where every module's results meet (after merge), before exports; by default the
        result is unchanged.
        """
        return result

    @classmethod
    def exports(cls, result: AnalyzerResult) -> Sequence[FrameExport]:
        """Frames of the source to store as images for a final (merged) result; none by default."""
        return ()

    @classmethod
    def with_exports(cls, result: AnalyzerResult, stored: Mapping[str, str]) -> AnalyzerResult:
        """``result`` naming the stored images (``FrameExport.name`` → blob key)."""
        return result

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})
        # The options model the API checked the job against at creation (schemas), so an
        # analyzer never runs with options its declared schema refuses.
        validate_module_options({getattr(self, "name", ""): self.options})

    @abstractmethod
    def needs(self) -> FrameNeeds:
        """The frames this analyzer wants."""

    @abstractmethod
    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Prepare for a run over ``ctx.segment`` of ``media``."""

    @abstractmethod
    def process(self, frame: Frame) -> None:
        """Consume one frame (PTS order)."""

    def refine(self, frame: Frame) -> bool:
        """Whether to receive the frames skipped before ``frame`` (``FrameNeeds.decode``).

        Asked, before ``frame`` is delivered, when the run skipped non-reference frames
        between the frame this analyzer received last and ``frame``; only of analyzers taking
        every decoded frame (``sample_fps=None``). ``True``: the engine decodes those frames
        again (``engine.refine``) and delivers them first, in PTS order. The answer must not
        change what the analyzer reports: at a segment's end the engine asks about the first
        frame after it, which it then does not deliver. By default never.
        """
        return False

    @abstractmethod
    def finish(self) -> AnalyzerResult:
        """Flush buffered state and return the typed result."""

    @classmethod
    @abstractmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> AnalyzerResult:
        """Merge per-segment results given in time order into the whole-media result."""
