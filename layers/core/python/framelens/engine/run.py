"""Run analyzers over one file (or one segment of it) in a single decode pass.

Owns: per-analyzer sampling, lookback delivery at segment starts, the decode mode of the run and
refinement, progress reporting and per-analyzer isolation. Does not own: decoding details
(``engine.decode``, ``engine.refine``), what analyzers compute, or storing results (the
orchestration stages).

Decode mode: when every analyzer of the run declares ``FrameNeeds.decode="reference"`` the pass
skips non-reference frames (``engine.decode``), and before delivering a frame with skipped
frames before it to an analyzer taking every decoded frame, it asks ``Analyzer.refine``; where
the answer is yes, the skipped frames are decoded again (``engine.refine.GapDecoder``) and
delivered first. So ``scenes`` measures every reference frame, and every frame around a change,
and finds cuts on their exact frame at about the cost of decoding the reference frames. At a
segment's end the frames skipped before the first frame past it are refined the same way (those
inside the segment are delivered), so segments deliver what the single pass delivers. One
OpenCV thread during the pass: FFmpeg's decoder threads already use the cores, and OpenCV's
pool otherwise spins (``sched_yield``) between the small per-frame calls.

Failure shape: if an analyzer raises in ``start``/``process``/``finish`` its traceback is logged,
it receives no more frames, the others run to the end, and then ``AnalyzerFailedError`` is raised
naming the failed analyzers and carrying the finished results in ``.results``. Media errors
(``UnprocessableMediaError``) are not isolated: no analyzer can run on an undecodable file; nor
is a ``ValidationError`` from ``start`` (an option the request gave that the analyzer refuses).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from framelens.engine.base import Frame
from framelens.engine.decode import DecodedFrame, decode_video, read_image
from framelens.engine.exceptions import AnalyzerFailedError, client_reason
from framelens.engine.refine import GapDecoder
from framelens.engine.sampling import on_tick
from framelens.engine.shared import SharedWorks
from framelens.errors import ValidationError
from framelens.media.source import is_url

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
# Most consecutive non-reference frames we plan lookback for (libx264 allows 16 B-frames).
_MAX_RUN = 16


@dataclass(slots=True)
class _Slot:
    """One analyzer's place in the pass: its needs, sampling state and lookback buffer."""

    analyzer: Analyzer
    needs: FrameNeeds
    rate: Fraction | None
    pending: deque[DecodedFrame] = field(default_factory=deque)
    failed: bool = False
    reason: str | None = None  # client-safe, when it failed with a Framelens error
    last: DecodedFrame | None = None  # the frame delivered last (refinement's left edge)

    @property
    def refines(self) -> bool:
        """Whether it takes every decoded frame of a reference run, so it may ask for gaps."""
        return self.rate is None and not self.needs.keyframes_only

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


def _fail(slot: _Slot, stage: str, exc: Exception) -> None:
    # The engine's isolation boundary (STYLE 2.5): log the traceback, never echo it to clients.
    _log.exception("analyzer %s failed in %s", slot.analyzer.name, stage)
    slot.failed = True
    slot.reason = client_reason(exc)
    slot.pending.clear()


@dataclass(slots=True)
class _Pass:
    """What delivering needs besides the slot: the segment, the shared works, the gap decoder."""

    start: Fraction
    end: Fraction | None
    works: SharedWorks
    gaps: GapDecoder | None

    def frame(self, slot: _Slot, frame: DecodedFrame) -> Frame:
        image, scale = frame.image(slot.needs.max_side, slot.needs.colour)
        return Frame(
            frame.index,
            frame.pts,
            image,
            scale,
            frame.is_keyframe,
            is_lookback=frame.pts < self.start,
            works=self.works.bind(frame),
        )

    def feed(self, slot: _Slot, frame: DecodedFrame, *, deliver: bool = True) -> None:
        """Deliver ``frame`` (unless ``deliver`` is False), first the skipped frames before it
        when the analyzer asks for them; frames at or past the segment's end are never
        delivered."""
        view = self.frame(slot, frame)
        last = slot.last
        gapped = last is not None and frame.index > last.index + 1 and slot.refines
        if self.gaps is not None and last is not None and gapped and self._asks(slot, view):
            for skipped in self.gaps.between(last, frame):
                if slot.failed or (self.end is not None and skipped.pts >= self.end):
                    break
                _process(slot, self.frame(slot, skipped))
            # Bound again: the shared works keep the values of the last few frames only.
            view = self.frame(slot, frame)
        if deliver and not slot.failed:
            _process(slot, view)
            slot.last = frame

    @staticmethod
    def _asks(slot: _Slot, view: Frame) -> bool:
        try:
            return bool(slot.analyzer.refine(view))
        except Exception as exc:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
            _fail(slot, "refine", exc)
            return False


def _process(slot: _Slot, frame: Frame) -> None:
    try:
        slot.analyzer.process(frame)
    except Exception as exc:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
        _fail(slot, "process", exc)


def _seek_margin(slots: list[_Slot], fps: Fraction | None, skipping: bool) -> Fraction | None:
    """How far before the segment start to seek so lookback frames and sampling are exact."""
    if fps is None or fps <= 0:
        return None
    frame = 1 / fps
    # Skipping, consecutive decoded frames can be up to _MAX_RUN + 1 frames apart.
    decoded = frame * (_MAX_RUN + 1) if skipping else frame
    margin = 2 * decoded
    for slot in slots:
        step = max(1 / slot.rate, decoded) if slot.rate else decoded
        margin = max(margin, (slot.needs.lookback + 1) * step + 2 * decoded)
    return margin


def _frames(
    path: Path | str, media: MediaInfo, ctx: RunContext, slots: list[_Slot], skipping: bool
) -> Iterator[DecodedFrame]:
    if media.media_type == "image":
        yield read_image(Path(path))  # images and documents are always local files
        return
    start = ctx.segment.start
    seek_to = None
    if start > 0:
        margin = _seek_margin(slots, media.fps, skipping)
        seek_to = max(Fraction(0), start - margin) if margin is not None else None
    yield from decode_video(path, seek_to=seek_to, skip_nonref=skipping)


def run_analyzers(
    path: Path | str,
    analyzers: Sequence[Analyzer],
    ctx: RunContext,
    media: MediaInfo | None = None,
) -> dict[str, AnalyzerResult]:
    """Decode ``path`` once and feed every analyzer what its ``needs()`` asked for.

    Args:
        path: a video or image file, a DOCX document (read by ``engine.documents``), or the
            ``http(s)://`` URL of a video (FFmpeg reads it with ranged requests).
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
    path = path if is_url(path) else Path(path)
    if media is None:
        from framelens.media.probe import media_info

        media = media_info(path)
    if media.media_type == "document":
        from framelens.engine.documents import run_document

        return run_document(Path(path), analyzers, ctx, media)
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
        except Exception as exc:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
            _fail(slot, "start", exc)
    works = SharedWorks([w for slot in slots if not slot.failed for w in slot.needs.shared])
    with _ONE_OPENCV_THREAD.held():
        _pass(path, media, ctx, slots, works)
    results: dict[str, AnalyzerResult] = {}
    failed: list[str] = []
    for slot in slots:
        if not slot.failed:
            try:
                results[slot.analyzer.name] = slot.analyzer.finish()
                continue
            except Exception as exc:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
                _fail(slot, "finish", exc)
        failed.append(slot.analyzer.name)
    if ctx.on_progress is not None:
        ctx.on_progress(1.0)
    if failed:
        reasons = {s.analyzer.name: s.reason for s in slots if s.reason is not None}
        raise AnalyzerFailedError(failed, results, reasons)
    return results


class _OneOpenCvThread:
    """OpenCV on one thread while any pass runs; its own setting comes back after the last.

    Process-wide (OpenCV's pool is), counted because a local server runs several passes at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._passes = 0
        self._before = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        import cv2

        with self._lock:
            if self._passes == 0:
                self._before = cv2.getNumThreads()
                cv2.setNumThreads(1)
            self._passes += 1
        try:
            yield
        finally:
            with self._lock:
                self._passes -= 1
                if self._passes == 0:
                    cv2.setNumThreads(self._before)


_ONE_OPENCV_THREAD = _OneOpenCvThread()


def _pass(
    path: Path | str, media: MediaInfo, ctx: RunContext, slots: list[_Slot], works: SharedWorks
) -> None:
    start = ctx.segment.start
    end = ctx.segment.end if ctx.segment.end is not None else media.duration
    span = (end - start) if end is not None and end > start else None
    active = [slot for slot in slots if not slot.failed]
    skipping = bool(active) and all(slot.needs.decode == "reference" for slot in active)
    gaps = GapDecoder(path) if skipping and media.media_type == "video" else None
    run = _Pass(start, ctx.segment.end, works, gaps)
    reported = -1.0
    prev: Fraction | None = None
    try:
        for frame in _frames(path, media, ctx, slots, skipping):
            if run.end is not None and frame.pts >= run.end:
                # Skipped frames before the first frame past the segment may belong to it.
                for slot in slots:
                    if not slot.failed and slot.wants(frame, prev, frame.index == 0):
                        run.feed(slot, frame, deliver=False)
                break
            if gaps is not None and frame.is_keyframe:
                gaps.keyframe(frame.ticks)
            _step(run, slots, frame, prev)
            prev = frame.pts
            if ctx.on_progress is not None and span and frame.pts >= start:
                done = min(1.0, float((frame.pts - start) / span))
                if done - reported >= 0.01:
                    reported = done
                    ctx.on_progress(done)
    finally:
        if gaps is not None:
            gaps.close()


def _step(run: _Pass, slots: list[_Slot], frame: DecodedFrame, prev: Fraction | None) -> None:
    """Hand one decoded frame to every slot that samples it (buffered before the segment)."""
    first = frame.index == 0
    in_segment = frame.pts >= run.start
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
            run.feed(slot, slot.pending.popleft())
        if not slot.failed:
            run.feed(slot, frame)
