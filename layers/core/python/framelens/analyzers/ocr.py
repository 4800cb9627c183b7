"""``ocr``: text in images, video frames and DOCX documents (seed 000 OCR API, seed 001
``ocr_results``).

Owns: which frames are read, the change test that skips reading unchanged frames, the per-frame
lines and the result. Does not own: the OCR models (``framelens.models.ocr``), reading order
(``analyzers._ocr_lines``), language (``analyzers._language``), time segments
(``analyzers._text_segments``) or reading documents (``media.document`` via ``engine.documents``).

Video: the engine delivers BGR frames at ``shot_fps``; every one feeds a ``ShotWatcher``. A frame
is *sampled* when it is the first at or after a ``1 / fps`` tick or the first of a new shot. A
sampled frame is *read* by OCR unless the change test finds it equal to the last frame read (then
its lines are copied, ``reused=True``). One lookback frame primes the shot watcher and the ticks at
a segment start, so segments sample exactly the frames the single pass does.

Images are one frame, always read. Documents: the engine hands text blocks to ``process_text`` and
decoded embedded images to ``process`` (``frame.index`` is the block's position), in order.

Options:
    ``fps`` (default 1): sampled frames per second of video.
    ``shot_fps`` (5): frames per second checked for shot starts (0 disables shot starts).
    ``change_test`` (true): skip OCR on sampled frames whose text regions have not changed.
    ``max_side`` (1920): working size; larger frames are downscaled before OCR.
    ``min_confidence`` (0.5): lines recognised with a lower score are dropped.
    ``max_missed`` (1): sampled frames a text may be missing from and stay one segment.
    ``languages``: ISO 639-1 codes to identify (default: ``_language.DEFAULT_LANGUAGES``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from framelens.analyzers._language import DEFAULT_LANGUAGES, language_of
from framelens.analyzers._ocr_lines import read_order
from framelens.analyzers._pages import FramePager
from framelens.analyzers._shots import ShotWatcher
from framelens.analyzers._text_change import ChangeTest
from framelens.analyzers._text_segments import build_segments
from framelens.analyzers.detections import option_float
from framelens.engine.base import Analyzer, FrameNeeds
from framelens.schemas.parts_pages import OcrPart
from framelens.schemas.results_ocr import OcrBlock, OcrFrame, OcrResult, TextSegment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.engine.base import (
        AnalyzerResult,
        ArtifactSink,
        Frame,
        MediaInfo,
        RunContext,
    )
    from framelens.media.document import DocumentText
    from framelens.models.ocr import OcrEngine

__all__ = ["OcrAnalyzer"]

_DEFAULT_MAX_SIDE = 1920


class OcrAnalyzer(Analyzer):
    """Lines of text per image, sampled video frame or document block; see the module doc."""

    name: ClassVar[str] = "ocr"
    media_types: ClassVar[frozenset[str]] = frozenset({"image", "video", "document"})
    result_type = OcrPart

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.fps = self._number("fps", 1.0, 0.01, 60.0)
        self.shot_fps = self._number("shot_fps", 5.0, 0.0, 60.0)
        self.change_test = bool(self.options.get("change_test", True))
        self.max_side = int(self._number("max_side", _DEFAULT_MAX_SIDE, 32, 8192))
        self.min_confidence = self._number("min_confidence", 0.5, 0.0, 1.0)
        self.max_missed = int(self._number("max_missed", 1, 0, 100))
        self.languages: tuple[str, ...] = tuple(self.options.get("languages") or DEFAULT_LANGUAGES)
        self._engine: OcrEngine | None = None
        self._reset("video", None)

    def _number(self, key: str, default: float, lo: float, hi: float) -> float:
        value = option_float(self.options, key, default, lo, hi)
        return default if value is None else value

    def _reset(
        self, media_type: str, end: Fraction | None, pages: ArtifactSink | None = None
    ) -> None:
        self._media_type = media_type
        self._end = end
        self._frames: FramePager[OcrFrame] = FramePager(self.name, pages)
        self._blocks: list[OcrBlock] = []
        self._shots = ShotWatcher()
        self._change = ChangeTest()
        self._last: OcrFrame | None = None
        self._prev_pts: Fraction | None = None
        self._rate = Fraction(self.fps).limit_denominator(1_000_000)
        self._start: Fraction | None = None
        self._last_pts = Fraction(0)
        self._sampled = 0
        self._read = 0

    def needs(self) -> FrameNeeds:
        """BGR at ``max(fps, shot_fps)``, at most ``max_side``; one lookback frame."""
        return FrameNeeds(
            sample_fps=max(self.fps, self.shot_fps),
            max_side=self.max_side,
            colour="bgr",
            lookback=1,
        )

    def start(self, media: MediaInfo, ctx: RunContext) -> None:
        """Load the shared OCR engine; remember the media type and where the segment ends."""
        from framelens.models.ocr import ocr_engine

        self._engine = ocr_engine()
        end = ctx.segment.end if ctx.segment.end is not None else media.duration
        # Video frames go out in pages (an image is one frame): segments are rebuilt at merge.
        self._reset(media.media_type, end, ctx.pages if media.media_type == "video" else None)
        self._start = ctx.segment.start

    def process(self, frame: Frame) -> None:
        """Read an image or document image; for video, sample, change-test and read."""
        if self._media_type == "document":
            lines, text = self._ocr(frame)
            self._blocks.append(
                OcrBlock(
                    index=frame.index,
                    kind="image",
                    text=text,
                    language_code=language_of(text, self.languages),
                    lines=lines,
                )
            )
            return
        if self._media_type == "image":
            self._keep(frame, reuse=False)
            return
        new_shot = self._shots.update(frame.image) if self.shot_fps else False
        tick = self._is_tick(frame.pts)
        self._prev_pts = frame.pts
        if frame.is_lookback or not (tick or new_shot):
            return
        unchanged = (
            self.change_test
            and self._last is not None
            and not new_shot
            and not self._change.changed(frame.image)
        )
        self._keep(frame, reuse=unchanged)

    def process_text(self, block: DocumentText) -> None:
        """Keep a document's text block, with its language."""
        self._blocks.append(
            OcrBlock(
                index=block.index,
                kind=block.kind,
                text=block.text,
                language_code=language_of(block.text, self.languages),
                table=block.table,
                row=block.row,
                column=block.column,
            )
        )

    def _is_tick(self, pts: Fraction) -> bool:
        # The first frame at or after each k / fps, by PTS (as the engine samples).
        if self._prev_pts is None:
            return pts == 0 or self._start is None or pts >= self._start
        return math.floor(pts * self._rate) > math.floor(self._prev_pts * self._rate)

    def _ocr(self, frame: Frame) -> tuple[list[Any], str]:
        assert self._engine is not None, "start() must run first"
        out = self._engine.read(frame.image)
        self._read += 1
        return read_order(out.lines, frame.scale, self.min_confidence)

    def _keep(self, frame: Frame, *, reuse: bool) -> None:
        self._sampled += 1
        self._last_pts = frame.pts
        if reuse and self._last is not None:
            kept = self._last.model_copy(
                update={"frame": frame.index, "timestamp": float(frame.pts), "reused": True}
            )
        else:
            lines, text = self._ocr(frame)
            kept = OcrFrame(
                frame=frame.index, timestamp=float(frame.pts), full_text=text, lines=lines
            )
            self._last = kept
            self._change.remember(frame.image)
        self._frames.add(kept)

    def finish(self) -> OcrPart:
        """The result for the media type seen in ``start`` (video frames inline or paged; text
        segments only from inline frames: a paged part gets them at merge)."""
        model = self._engine.name if self._engine else None
        if self._media_type == "document":
            blocks = sorted(self._blocks, key=lambda b: b.index)
            return OcrPart(
                model=model,
                media_type="document",
                blocks=blocks,
                segments=_block_segments(blocks),
                frames_read=self._read,
            )
        end = self._end if self._end is not None else self._last_pts
        frames, pages = self._frames.close()
        result = OcrPart(
            model=model,
            media_type="image" if self._media_type == "image" else "video",
            sample_fps=None if self._media_type == "image" else self.fps,
            frames=frames,
            pages=pages,
            frames_sampled=self._sampled,
            frames_read=self._read,
            start_seconds=float(self._start or 0),
            end_seconds=float(end),
            max_missed=self.max_missed,
            languages=list(self.languages),
        )
        return _with_segments(result)

    @classmethod
    def merge(cls, parts: Sequence[AnalyzerResult]) -> OcrResult:
        """Join frames (or blocks) of segments in time order and rebuild the text segments."""
        typed = sorted(
            (p for p in parts if isinstance(p, OcrResult)), key=lambda p: p.start_seconds
        )
        if not typed:
            return OcrResult()
        first = typed[0]
        if first.media_type == "document":
            blocks = sorted((b for p in typed for b in p.blocks), key=lambda b: b.index)
            return first.model_copy(update={"blocks": blocks, "segments": _block_segments(blocks)})
        frames: dict[int, OcrFrame] = {}
        for part in typed:
            for frame in part.frames:
                frames.setdefault(frame.frame, frame)
        merged = first.model_copy(
            update={
                "frames": [frames[k] for k in sorted(frames)],
                "frames_sampled": sum(p.frames_sampled for p in typed),
                "frames_read": sum(p.frames_read for p in typed),
                "end_seconds": max(p.end_seconds for p in typed),
                "model": next((p.model for p in typed if p.model), None),
            }
        )
        return _with_segments(merged)


_R = TypeVar("_R", bound=OcrResult)


def _with_segments(result: _R) -> _R:
    languages = result.languages or DEFAULT_LANGUAGES
    if result.media_type == "image":
        segments = [
            TextSegment(language_code=language_of(f.full_text, languages), full_text=f.full_text)
            for f in result.frames
            if f.full_text
        ]
    else:
        segments = build_segments(
            result.frames, result.end_seconds, max_missed=result.max_missed, languages=languages
        )
    return result.model_copy(update={"segments": segments})


def _block_segments(blocks: Sequence[OcrBlock]) -> list[TextSegment]:
    return [TextSegment(language_code=b.language_code, full_text=b.text) for b in blocks if b.text]
