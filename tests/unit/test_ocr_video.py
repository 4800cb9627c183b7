"""``ocr`` on video: caption segments on the real test card and on a clip with known captions.

Sampling is 1 fps plus shot starts, so a segment may start up to one sampled frame after the
caption appears and end up to one sampled frame after it disappears.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import pytest
from rapidfuzz.distance import Levenshtein

from framelens.analyzers.ocr import OcrAnalyzer
from framelens.engine.base import RunContext, Segment
from framelens.engine.run import run_analyzers
from framelens.schemas.results_ocr import OcrResult, TextSegment
from tests.media_text import Caption, captions_clip
from tests.shared import media

if TYPE_CHECKING:
    from pathlib import Path

    from tests.media import Generated

TESTCARD = media("text_overlay_ac3_testcard_640x480.avi")
FPS = 25
# ../shared/media/MANIFEST.md: what the test card shows at these frames.
TESTCARD_CAPTIONS = {
    50: "- FRONT LEFT -",
    200: "- Rear Left -",
    400: "- LFE ( 60 Hz ) -",
    600: "- Rear Left > Rear Right -",
    800: "- Front Right > Front Left -",
}
CAPTIONS = [
    Caption("Entrance to the Lobby", 12, 74),
    Caption("Departures Platform 4", 75, 137),  # a hard cut at frame 75 starts this shot
    Caption("Thank you for visiting", 175, 224),
]
SAMPLE_S = 1.0  # one sampled frame at the default 1 fps


def _squash(text: str) -> str:
    return "".join(text.casefold().split())


def _matches(segment: TextSegment, caption: str) -> bool:
    # Tolerant of case, spacing and one character.
    return Levenshtein.distance(_squash(segment.full_text), _squash(caption)) <= 1


def _ocr(
    path: Path, options: dict[str, object] | None = None, segment: Segment | None = None
) -> OcrResult:
    ctx = RunContext(segment=segment or Segment())
    result = run_analyzers(path, [OcrAnalyzer(options)], ctx)["ocr"]
    assert isinstance(result, OcrResult)
    return result


@pytest.fixture(scope="module")
def captions(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return captions_clip(tmp_path_factory.mktemp("ocr") / "captions.mp4", CAPTIONS)


@pytest.fixture(scope="module")
def captions_result(captions: Generated) -> OcrResult:
    return _ocr(captions.path)


@pytest.mark.skipif(not TESTCARD.is_file(), reason="needs ../shared/media (see tests/shared.py)")
def test_test_card_captions_are_segments_bracketing_the_manifest_frames() -> None:
    # GIVEN the AC3 test card (white captions changing every few seconds) WHEN read at 1 fps
    result = _ocr(TESTCARD)
    # THEN for every frame the manifest describes, a segment covering it carries that caption
    for frame, caption in TESTCARD_CAPTIONS.items():
        seconds = frame / FPS
        covering = [
            s
            for s in result.segments
            if s.time_segment
            and s.time_segment.start_seconds <= seconds < s.time_segment.end_seconds
        ]
        assert any(_matches(s, caption) for s in covering), (frame, caption, covering)
    # AND the site name shown throughout is one long segment, not one per frame
    site = [s for s in result.segments if "tfm.ro" in s.full_text and s.time_segment]
    assert (
        max(
            s.time_segment.end_seconds - s.time_segment.start_seconds
            for s in site
            if s.time_segment
        )
        > 15
    )
    assert result.model is not None and "PP-OCRv4" in result.model


def test_three_captions_give_three_segments_within_one_sampled_frame(
    captions_result: OcrResult,
) -> None:
    # GIVEN a clip with three captions at known frames WHEN read
    segments = captions_result.segments
    # THEN exactly three segments, each the caption's text, starting and ending within one
    # sampled frame of the truth
    assert [s.full_text for s in segments] == [c.text for c in CAPTIONS]
    for segment, caption in zip(segments, CAPTIONS, strict=True):
        assert segment.time_segment is not None
        start, end = caption.first / FPS, (caption.last + 1) / FPS
        assert start <= segment.time_segment.start_seconds <= start + SAMPLE_S, segment
        assert end <= segment.time_segment.end_seconds <= end + SAMPLE_S, segment
        assert segment.language_code == "en"
    # AND the caption that starts with the cut starts exactly there (first frame of the shot)
    assert segments[1].time_segment is not None
    assert segments[1].time_segment.start_seconds == pytest.approx(CAPTIONS[1].first / FPS)
    # AND detailed results keep the per-frame lines with boxes in source pixels
    read = [f for f in captions_result.frames if f.lines]
    assert all(
        0 <= x <= 640 and 0 <= y <= 360 for f in read for line in f.lines for x, y in line.box
    )


def test_change_test_skips_unchanged_frames_without_changing_the_segments(
    captions: Generated, captions_result: OcrResult
) -> None:
    # GIVEN the same clip read again with the change test off
    every = _ocr(captions.path, {"change_test": False})
    # THEN the change test read fewer frames, copied the rest, and found the same segments
    assert every.frames_read == every.frames_sampled == captions_result.frames_sampled
    assert captions_result.frames_read < captions_result.frames_sampled
    assert any(f.reused for f in captions_result.frames)
    assert not any(f.reused for f in every.frames)
    assert every.segments == captions_result.segments


def test_segments_of_two_halves_merge_into_the_single_pass_segments(
    captions: Generated, captions_result: OcrResult
) -> None:
    # GIVEN the clip analyzed as [0, 5) and [5, end): the second caption crosses the boundary
    first = _ocr(captions.path, segment=Segment(Fraction(0), Fraction(5)))
    second = _ocr(captions.path, segment=Segment(Fraction(5), None))
    assert any(s.full_text == CAPTIONS[1].text for s in first.segments)
    assert any(s.full_text == CAPTIONS[1].text for s in second.segments)
    # WHEN merged (in either order)
    merged = OcrAnalyzer.merge([second, first])
    # THEN the caption is one segment again and all segments equal the single pass
    assert merged.segments == captions_result.segments
    assert [f.frame for f in merged.frames] == [f.frame for f in captions_result.frames]
