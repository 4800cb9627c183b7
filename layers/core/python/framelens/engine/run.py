"""Run analyzers over one file (or one segment of it) in a single decode pass.

Owns: per-analyzer sampling, lookback delivery at segment starts, progress reporting and
per-analyzer isolation. Does not own: decoding details (``engine.decode``), what analyzers compute,
or storing results (the orchestration stages).

Failure shape: if an analyzer raises in ``start``/``process``/``finish`` its traceback is logged,
it receives no more frames, the others run to the end, and then ``AnalyzerFailedError`` is raised
naming the failed analyzers and carrying the finished results in ``.results``. Media errors
(``UnprocessableMediaError``) are not isolated: no analyzer can run on an undecodable file; nor
is a ``ValidationError`` from ``start`` (an option the request gave that the analyzer refuses).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from framelens.engine.base import Frame
from framelens.engine.decode import DecodedFrame, decode_video, read_image
from framelens.engine.exceptions import AnalyzerFailedError
from framelens.engine.sampling import on_tick
from framelens.engine.shared import SharedWorks
from framelens.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from framelens.engine.base import (
        Analyzer,
        AnalyzerResult,
        FrameNeeds,
        MediaInfo,
        RunContext,
    )

__all__ = ["run_analyzers"]

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Slot:
    """One analyzer's place in the pass: its needs, sampling state and lookback buffer."""

    analyzer: Analyzer
    needs: FrameNeeds
    rate: Fraction | None
    pending: deque[DecodedFrame] = field(default_factory=deque)
    failed: bool = False

    def wants(self, frame: DecodedFrame, prev: Fraction | None, first: bool) -> bool:
        """Sampling by PTS, so it does not depend on where a segment starts.

        Frame ``i`` is delivered iff it is the first frame at or after some tick ``k / fps``:
        ``floor(pts * fps) > floor(prev_pts * fps)``. ``prev`` is ``None`` only for the first
        frame after a seek, whose predecessor is unknown; it is never in the segment (the seek
        lands at least one frame early), so it is simply not sampled.
        """
        if self.needs.keyframes_only:
            return frame.is_keyframe
        if self.rate is None or first:
            return True
        if prev is None:
            return False
        return on_tick(frame.pts, prev, self.rate)


def _fail(slot: _Slot, stage: str) -> None:
    # The engine's isolation boundary (STYLE 2.5): log the traceback, never echo it to clients.
    _log.exception("analyzer %s failed in %s", slot.analyzer.name, stage)
    slot.failed = True
    slot.pending.clear()


def _deliver(slot: _Slot, frame: DecodedFrame, lookback: bool, works: SharedWorks) -> None:
    image, scale = frame.image(slot.needs.max_side, slot.needs.colour)
    try:
        slot.analyzer.process(
            Frame(
                frame.index,
                frame.pts,
                image,
                scale,
                frame.is_keyframe,
                is_lookback=lookback,
                works=works.bind(frame),
            )
        )
    except Exception:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
        _fail(slot, "process")


def _seek_margin(slots: list[_Slot], fps: Fraction | None) -> Fraction | None:
    """How far before the segment start to seek so lookback frames and sampling are exact."""
    if fps is None or fps <= 0:
        return None
    frame = 1 / fps
    margin = 2 * frame
    for slot in slots:
        step = 1 / slot.rate if slot.rate else frame
        margin = max(margin, (slot.needs.lookback + 1) * step + 2 * frame)
    return margin


def _frames(
    path: Path, media: MediaInfo, ctx: RunContext, slots: list[_Slot]
) -> Iterator[DecodedFrame]:
    if media.media_type == "image":
        yield read_image(path)
        return
    start = ctx.segment.start
    seek_to = None
    if start > 0:
        margin = _seek_margin(slots, media.fps)
        seek_to = max(Fraction(0), start - margin) if margin is not None else None
    yield from decode_video(path, seek_to=seek_to, end=ctx.segment.end)


def run_analyzers(
    path: Path,
    analyzers: Sequence[Analyzer],
    ctx: RunContext,
    media: MediaInfo | None = None,
) -> dict[str, AnalyzerResult]:
    """Decode ``path`` once and feed every analyzer what its ``needs()`` asked for.

    Args:
        path: a video or image file, or a DOCX document (read by ``engine.documents``).
        analyzers: fresh analyzer instances (distinct ``name``s).
        ctx: run inputs; ``ctx.segment`` selects ``[start, end)`` of media time (frame indexes
            and timestamps stay global); ``ctx.on_progress`` receives fractions in [0, 1].
        media: the probe's ``MediaInfo``; probed here when ``None``.

    Returns:
        ``{analyzer.name: result}`` in the order given.

    Raises:
        AnalyzerFailedError: an analyzer raised (after all others finished; see module doc).
        UnprocessableMediaError: the file cannot be decoded.

    Examples:
        >>> from framelens.analyzers.scenes import ScenesAnalyzer  # doctest: +SKIP
        >>> out = run_analyzers(Path("clip.mp4"), [ScenesAnalyzer()], RunContext())
        >>> out["scenes"].model_dump()["raw_scenes"]
    """
    path = Path(path)
    if media is None:
        from framelens.media.probe import media_info

        media = media_info(path)
    if media.media_type == "document":
        from framelens.engine.documents import run_document

        return run_document(path, analyzers, ctx, media)
    slots: list[_Slot] = []
    for analyzer in analyzers:
        needs = analyzer.needs()
        rate = Fraction(needs.sample_fps).limit_denominator(1_000_000) if needs.sample_fps else None
        slot = _Slot(analyzer, needs, rate)
        slots.append(slot)
        try:
            analyzer.start(media, ctx)
        except ValidationError:
            # An option the client gave that the analyzer refuses (a class its model lacks): the
            # request's fault, so the run ends with that message rather than a logged failure.
            raise
        except Exception:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
            _fail(slot, "start")
    works = SharedWorks([w for slot in slots if not slot.failed for w in slot.needs.shared])
    _pass(path, media, ctx, slots, works)
    results: dict[str, AnalyzerResult] = {}
    failed: list[str] = []
    for slot in slots:
        if not slot.failed:
            try:
                results[slot.analyzer.name] = slot.analyzer.finish()
                continue
            except Exception:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
                _fail(slot, "finish")
        failed.append(slot.analyzer.name)
    if ctx.on_progress is not None:
        ctx.on_progress(1.0)
    if failed:
        raise AnalyzerFailedError(failed, results)
    return results


def _pass(
    path: Path, media: MediaInfo, ctx: RunContext, slots: list[_Slot], works: SharedWorks
) -> None:
    start = ctx.segment.start
    end = ctx.segment.end if ctx.segment.end is not None else media.duration
    span = (end - start) if end is not None and end > start else None
    reported = -1.0
    prev: Fraction | None = None
    for frame in _frames(path, media, ctx, slots):
        first = frame.index == 0
        in_segment = frame.pts >= start
        for slot in slots:
            if slot.failed or not slot.wants(frame, prev, first):
                continue
            if not in_segment:
                if slot.needs.lookback:
                    slot.pending.append(frame)
                    while len(slot.pending) > slot.needs.lookback:
                        slot.pending.popleft()
                continue
            while slot.pending and not slot.failed:
                _deliver(slot, slot.pending.popleft(), lookback=True, works=works)
            if not slot.failed:
                _deliver(slot, frame, lookback=False, works=works)
        prev = frame.pts
        if ctx.on_progress is not None and span and in_segment:
            done = min(1.0, float((frame.pts - start) / span))
            if done - reported >= 0.01:
                reported = done
                ctx.on_progress(done)
