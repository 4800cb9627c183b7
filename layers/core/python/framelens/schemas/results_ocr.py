"""Result schema of the ``ocr`` analyzer: text lines per image or sampled frame, time segments
of text in videos, and text blocks of documents.

Owns: the field names. Seed 001 ``ocr_results[]`` is ``{language_code, full_text,
time_segment{start_seconds, end_seconds}}`` (images omit ``time_segment``); that is ``TextSegment``
and what ``OcrResult.summary()`` returns. Per-line boxes and per-frame detail are ours. Does not
own: computing them (``framelens.analyzers.ocr``) or the seed 000 OCR response
(``framelens.schemas.seeds.ocr``).

Times are floats here (STYLE 2.4). A video result keeps every sampled frame's lines, so merging
segment parts re-runs the segment builder on the joined frames (as ``scenes`` does).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from framelens.schemas.common import TimeSegment
from framelens.schemas.results_base import AnalyzerResult, Label

__all__ = ["BlockKind", "OcrBlock", "OcrFrame", "OcrLine", "OcrResult", "TextSegment"]

BlockKind = Literal["paragraph", "table_cell", "header", "footer", "image"]


class OcrLine(BaseModel):
    """One recognised line of text."""

    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    box: list[list[int]] = Field(
        min_length=4,
        max_length=4,
        description="Polygon [[x, y] x 4] in source pixels, clockwise from the top-left corner.",
        examples=[[[18, 74], [633, 74], [633, 128], [18, 128]]],
    )
    order: int = Field(ge=0, description="Position in reading order within its image or frame.")


class OcrFrame(BaseModel):
    """The lines of one image or one sampled video frame, in reading order."""

    frame: int
    timestamp: float
    full_text: str = Field(description="Lines in reading order: rows by newline, words by space.")
    lines: list[OcrLine] = Field(default_factory=list)
    reused: bool = Field(
        default=False,
        description=(
            "The change test found this frame's text regions unchanged since the last frame that "
            "was read, so its lines were copied from that frame instead of running OCR again."
        ),
    )


class TextSegment(BaseModel):
    """A text and where it is (seed 001 ``ocr_results[]``); images and documents have no time."""

    language_code: str = Field(
        description="ISO 639-1 code of the text's language, or 'und' when it cannot be told.",
        examples=["en"],
    )
    full_text: str = Field(examples=["Entrance -> Lobby"])
    time_segment: TimeSegment | None = None


class OcrBlock(BaseModel):
    """One block of a document, in document order: its text, or the text read from its image."""

    index: int = Field(ge=0, description="Position of the block in the document.")
    kind: BlockKind
    text: str
    language_code: str
    table: int | None = Field(default=None, description="Table cells: the table's position.")
    row: int | None = None
    column: int | None = None
    lines: list[OcrLine] = Field(default_factory=list, description="Image blocks: OCR lines.")


class OcrResult(AnalyzerResult):
    """``ocr``: lines of an image, of sampled video frames (with text segments), or a document."""

    analyzer: str = "ocr"
    media_type: Literal["image", "video", "document"] | None = None
    sample_fps: float | None = None
    frames: list[OcrFrame] = Field(default_factory=list)
    blocks: list[OcrBlock] = Field(default_factory=list)
    segments: list[TextSegment] = Field(default_factory=list)
    frames_sampled: int = Field(default=0, description="Frames considered for OCR.")
    frames_read: int = Field(default=0, description="Frames OCR actually ran on (change test).")
    start_seconds: float = 0.0
    end_seconds: float = 0.0
    max_missed: int = Field(default=1, description="Segment rule: sampled frames a text may miss.")
    languages: list[str] = Field(default_factory=list, description="Candidate language codes.")

    def summary(self) -> list[dict[str, Any]]:
        """Seed 001 ``ocr_results``: the text segments (``time_segment`` only for video)."""
        return [s.model_dump(exclude_none=True) for s in self.segments]

    def labels(self) -> list[Label]:
        """One ``text`` per text segment (document blocks for documents)."""
        texts = [s.full_text for s in self.segments] or [b.text for b in self.blocks]
        return [Label(type="text", label=t) for t in texts if t.strip()]

    def items(self) -> list[Any]:
        """Document blocks, or the per-frame lines of images and videos."""
        return list(self.blocks) if self.media_type == "document" else list(self.frames)
