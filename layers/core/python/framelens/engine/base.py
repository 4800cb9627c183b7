"""The analyzer interface: what every analyzer declares, receives and returns.

Owns: ``FrameNeeds``, ``Frame``, ``MediaInfo``, ``Segment``, ``RunContext``, ``AnalyzerResult``
and the ``Analyzer`` base class. Does not own: decoding (``engine.decode``/``engine.run``),
model loading (``framelens.models``) or storing results (the orchestration stages).

Modelled on PySceneDetect's detector/manager split: analyzers never open, decode, seek, call AWS
or write results. Frames arrive in PTS order, already resized to what ``needs()`` declared.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from framelens.media.info import MediaInfo
from framelens.schemas.results_base import AnalyzerResult

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.schemas.identities import GalleryView

__all__ = [
    "Analyzer",
    "AnalyzerResult",
    "ArtifactSink",
    "Frame",
    "FrameNeeds",
    "MediaInfo",
    "RunContext",
    "Segment",
]


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
    """

    sample_fps: float | None = None
    keyframes_only: bool = False
    max_side: int | None = None
    colour: Literal["gray", "bgr"] = "gray"
    lookback: int = 0


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
    """

    index: int
    pts: Fraction
    image: npt.NDArray[np.uint8]
    scale: float = 1.0
    is_keyframe: bool = False
    is_lookback: bool = False


class ArtifactSink(ABC):
    """Where an analyzer's binary outputs (frame JPEGs, annotated MP4s) go; returns a blob key."""

    @abstractmethod
    def put(self, name: str, data: bytes, content_type: str) -> str:
        """Store ``data`` as artifact ``name`` (unique within the job) and return its blob key."""


@dataclass(slots=True)
class RunContext:
    """Per-run inputs an analyzer may use. Never a module global: Lambda reuses containers."""

    job_id: str = ""
    tenant_id: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    segment: Segment = field(default_factory=Segment)
    artifacts: ArtifactSink | None = None
    models: Any = None  # framelens.models registry; typed loosely to keep this module light
    critical_tags: tuple[str, ...] = ()
    on_progress: Callable[[float], None] | None = None
    source_path: str | None = None  # only for analyzers that must re-read a frame (best_frames)
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
    result_type: ClassVar[type[AnalyzerResult]] = AnalyzerResult  # what finish() returns

    @classmethod
    def load_result(cls, data: dict[str, Any]) -> AnalyzerResult:
        """Parse a stored result (a segment's part) back into the typed result.

        Without an explicit ``result_type``, the result class is the ``AnalyzerResult``
        subclass whose ``analyzer`` field defaults to the stored ``analyzer`` name.
        """
        result_type = cls.result_type
        if result_type is AnalyzerResult:
            result_type = _result_class(str(data.get("analyzer", cls.name)))
        return result_type.model_validate(data)

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})

    @abstractmethod
    def needs(self) -> FrameNeeds:
        """The frames this analyzer wants."""

    @abstractmethod
    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Prepare for a run over ``ctx.segment`` of ``media``."""

    @abstractmethod
    def process(self, frame: Frame) -> None:
        """Consume one frame (PTS order)."""

    @abstractmethod
    def finish(self) -> AnalyzerResult:
        """Flush buffered state and return the typed result."""

    @classmethod
    @abstractmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> AnalyzerResult:
        """Merge per-segment results given in time order into the whole-media result."""
