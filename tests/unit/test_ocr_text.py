"""Pure text logic of ``ocr``: reading order, language ids, time segments, the seed 000 body."""

from __future__ import annotations

import pytest

from framelens.analyzers._language import language_of
from framelens.analyzers._ocr_lines import read_order
from framelens.analyzers._text_segments import build_segments, same_text
from framelens.models.ocr import RawLine
from framelens.schemas.results_ocr import OcrBlock, OcrFrame, OcrLine, OcrResult
from framelens.schemas.seeds.ocr import OcrResponse, ocr_response


def _box(x: float, y: float, w: float = 100, h: float = 20) -> tuple[tuple[float, float], ...]:
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def _frame(index: int, seconds: float, *texts: str) -> OcrFrame:
    lines = [
        OcrLine(
            text=t,
            confidence=0.9,
            box=[[0, 20 * i], [9, 20 * i], [9, 20 * i + 9], [0, 20 * i + 9]],
            order=i,
        )
        for i, t in enumerate(texts)
    ]
    return OcrFrame(frame=index, timestamp=seconds, full_text="\n".join(texts), lines=lines)


def test_reading_order_is_rows_top_down_then_left_to_right() -> None:
    # GIVEN lines given bottom-first, a row whose right word sits 3 px higher, boxes at half scale
    raw = [
        RawLine("footer", 0.9, _box(10, 200)),
        RawLine("world", 0.9, _box(300, 47)),
        RawLine("hello", 0.9, _box(10, 50)),
        RawLine("title", 0.9, _box(10, 5)),
        RawLine("noise", 0.2, _box(10, 120)),
    ]
    # WHEN ordered
    lines, text = read_order(raw, scale=0.5, min_confidence=0.5)
    # THEN title, (hello world), footer; low scores dropped; boxes back in source pixels
    assert [line.text for line in lines] == ["title", "hello", "world", "footer"]
    assert [line.order for line in lines] == [0, 1, 2, 3]
    assert text == "title\nhello world\nfooter"
    assert lines[0].box == [[20, 10], [220, 10], [220, 50], [20, 50]]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("No dogs off leash", "en"),
        ("Welcome to the museum", "en"),
        ("Sortie de secours", "fr"),
        ("Bitte nicht berühren", "de"),
        ("Salida de emergencia", "es"),
        ("禁止吸烟", "zh"),
        ("ok", "und"),
        ("42", "und"),
        ("www.tfm.ro", "und"),
        ("info@example.com", "und"),
    ],
)
def test_language_is_an_iso_code_or_und_when_too_short(text: str, code: str) -> None:
    # GIVEN a short text WHEN identified THEN its ISO 639-1 code, or und rather than a guess
    assert language_of(text) == code


def test_one_misread_letter_is_the_same_text_but_other_digits_are_not() -> None:
    assert same_text("- front left -", "- front left :")
    assert same_text("www.tfm.ro", "eww.tfm.ro")
    assert not same_text("- lfe ( 70 hz ) -", "- lfe ( 60 hz ) -")
    assert not same_text("entrance", "exit")


def test_segments_join_misreadings_and_end_at_the_first_frame_without_the_text() -> None:
    # GIVEN 1 fps samples: a caption read with one wrong letter once, then another caption
    frames = [
        _frame(0, 0.0, "Entrance -> Lobby"),
        _frame(25, 1.0, "Entrance -> Lobby"),
        _frame(50, 2.0, "Entrance -> Lobbv"),
        _frame(75, 3.0, "Exit only"),
        _frame(100, 4.0, "Exit only"),
    ]
    # WHEN segmented over a 4.6 s video
    segments = build_segments(frames, 4.6, max_missed=0)
    # THEN two segments: the majority reading [0, 3) and the second caption to the end
    assert [
        (s.full_text, s.time_segment.start_seconds, s.time_segment.end_seconds)
        for s in segments
        if s.time_segment
    ] == [
        ("Entrance -> Lobby", 0.0, 3.0),
        ("Exit only", 3.0, 4.6),
    ]
    assert segments[0].language_code == "en"


def test_a_text_missing_from_one_sample_stays_one_segment() -> None:
    # GIVEN a caption the detector misses on one sample
    frames = [_frame(i * 25, float(i), *(["Platform 4"] if i != 2 else [])) for i in range(5)]
    frames.append(_frame(125, 5.0))
    frames.append(_frame(150, 6.0))
    # WHEN segmented with the default tolerance of one missed sample
    segments = build_segments(frames, 7.0)
    # THEN one segment, ending at the first sample of the final absence
    assert len(segments) == 1
    assert segments[0].time_segment is not None
    assert (segments[0].time_segment.start_seconds, segments[0].time_segment.end_seconds) == (
        0.0,
        5.0,
    )


def test_seed_000_body_for_a_document_lists_blocks_and_image_lines_in_order() -> None:
    # GIVEN a document result: a paragraph, an image with two lines, a cell
    line = OcrLine(text="EXIT", confidence=0.9, box=[[0, 0], [9, 0], [9, 9], [0, 9]], order=0)
    result = OcrResult(
        media_type="document",
        blocks=[
            OcrBlock(index=2, kind="table_cell", text="North", language_code="und"),
            OcrBlock(index=0, kind="paragraph", text="Purpose & Scope:", language_code="en"),
            OcrBlock(
                index=1,
                kind="image",
                text="EXIT\nHERE",
                language_code="und",
                lines=[line, line.model_copy(update={"text": "HERE", "order": 1})],
            ),
        ],
    )
    # WHEN shaped for POST /ocr/api/ocr
    body = ocr_response(result, "report.docx", "7e2c.docx").model_dump()
    # THEN seed 000's fields, one {"text"} per segment in document order
    assert body == {
        "status": "success",
        "detected_type": "document",
        "input": {"original_filename": "report.docx", "saved_filename": "7e2c.docx"},
        "output": [
            {"text": "Purpose & Scope:"},
            {"text": "EXIT"},
            {"text": "HERE"},
            {"text": "North"},
        ],
    }
    OcrResponse.model_validate(body)


def test_seed_000_body_for_an_image_has_one_entry_per_line_and_refuses_video() -> None:
    frame = _frame(0, 0.0, "Kitchen", "Open daily")
    body = ocr_response(OcrResult(media_type="image", frames=[frame]), "a.png", "b.png")
    assert body.detected_type == "image"
    assert [t.text for t in body.output] == ["Kitchen", "Open daily"]
    with pytest.raises(ValueError, match="video"):
        ocr_response(OcrResult(media_type="video", frames=[frame]), "a.mp4", "b.mp4")
