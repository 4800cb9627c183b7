"""Time segments of text: the same text on consecutive sampled frames becomes one segment.

Owns: ``build_segments`` (pure: sampled frames in, seed 001 ``ocr_results`` out) and the rule for
"the same text". Two readings are the same text when, after case folding and whitespace collapsing,
their digits are identical and their Levenshtein distance is at most ``max(1, len // 10)``: one
misread letter does not split a segment, but "60 Hz" and "70 Hz" are different captions. A segment
survives ``max_missed`` sampled frames without a sighting (OCR flicker); it ends at the time of the
first sampled frame that no longer shows it, or at ``end_seconds`` if it lasts to the end. Its text
is the reading with the highest summed confidence. Does not own: OCR or sampling
(``analyzers.ocr``).

Because it only needs the frames, ``merge`` re-runs it on the joined frames of all segments, so
the merged result equals the single pass and text crossing a segment boundary stays one segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from framelens.analyzers._language import DEFAULT_LANGUAGES, language_of
from framelens.schemas.common import TimeSegment
from framelens.schemas.results_ocr import TextSegment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.schemas.results_ocr import OcrFrame

__all__ = ["build_segments", "normalise", "same_text"]

_MAX_VARIANTS = 8


def normalise(text: str) -> str:
    """Case-folded, whitespace-collapsed text (what matching compares)."""
    return " ".join(text.casefold().split())


def same_text(a: str, b: str) -> bool:
    """Whether two normalised readings are the same text (see the module docstring)."""
    from rapidfuzz.distance import Levenshtein

    if [c for c in a if c.isdigit()] != [c for c in b if c.isdigit()]:
        return False
    allowed = max(1, max(len(a), len(b)) // 10)
    return bool(Levenshtein.distance(a, b, score_cutoff=allowed) <= allowed)


@dataclass(slots=True)
class _Open:
    start: float
    readings: dict[str, float] = field(default_factory=dict)  # text -> summed confidence
    variants: list[str] = field(default_factory=list)  # recent normalised readings
    missed_at: float | None = None
    misses: int = 0

    def matches(self, norm: str) -> bool:
        return any(same_text(norm, v) for v in self.variants)

    def see(self, text: str, norm: str, confidence: float) -> None:
        self.readings[text] = self.readings.get(text, 0.0) + confidence
        if norm not in self.variants:
            self.variants = [*self.variants, norm][-_MAX_VARIANTS:]
        self.missed_at = None
        self.misses = 0

    def text(self) -> str:
        return max(self.readings.items(), key=lambda kv: (kv[1], kv[0]))[0]


def _segment(seg: _Open, end: float, languages: Sequence[str]) -> TextSegment:
    text = seg.text()
    return TextSegment(
        language_code=language_of(text, languages),
        full_text=text,
        time_segment=TimeSegment(start_seconds=seg.start, end_seconds=max(end, seg.start)),
    )


def _step(open_: list[_Open], frame: OcrFrame) -> set[int]:
    """Assign the frame's lines to open segments (new ones for new text); return those seen."""
    seen: set[int] = set()
    for line in frame.lines:
        norm = normalise(line.text)
        if not norm:
            continue
        match = next((i for i, s in enumerate(open_) if i not in seen and s.matches(norm)), None)
        if match is None:
            open_.append(_Open(start=frame.timestamp))
            match = len(open_) - 1
        open_[match].see(line.text, norm, line.confidence)
        seen.add(match)
    return seen


def build_segments(
    frames: Sequence[OcrFrame],
    end_seconds: float,
    *,
    max_missed: int = 1,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
) -> list[TextSegment]:
    """Text segments from sampled frames' lines.

    Args:
        frames: sampled frames (any order; sorted by frame index here).
        end_seconds: where the media (or the merged span) ends.
        max_missed: sampled frames a segment may miss before it ends.
        languages: candidate languages for each segment's ``language_code``.

    Returns:
        Segments ordered by start time, then text.
    """
    open_: list[_Open] = []
    ended: list[tuple[_Open, float]] = []
    for frame in sorted(frames, key=lambda f: f.frame):
        seen = _step(open_, frame)
        still: list[_Open] = []
        for i, seg in enumerate(open_):
            if i not in seen:
                seg.missed_at = frame.timestamp if seg.missed_at is None else seg.missed_at
                seg.misses += 1
                if seg.misses > max_missed:
                    ended.append((seg, seg.missed_at))
                    continue
            still.append(seg)
        open_ = still
    ended += [(s, end_seconds if s.missed_at is None else s.missed_at) for s in open_]
    segments = [_segment(seg, end, languages) for seg, end in ended]
    return sorted(
        segments,
        key=lambda s: (s.time_segment.start_seconds if s.time_segment else 0.0, s.full_text),
    )
