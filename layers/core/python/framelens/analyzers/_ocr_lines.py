"""Reading order: the engine's raw lines as ``OcrLine``s in source pixels, and the full text.

Owns: grouping lines into rows (lines whose vertical centres are within half a line height of the
row's), ordering rows top to bottom and lines in a row left to right, and joining them into
``full_text`` (words of a row by spaces, rows by newlines). Does not own: running OCR
(``framelens.models.ocr``) or language (``analyzers._language``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from framelens.schemas.results_ocr import OcrLine

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.models.ocr import RawLine

__all__ = ["read_order"]


@dataclass(frozen=True, slots=True)
class _Placed:
    line: RawLine
    centre_y: float
    height: float
    left: float


def _place(line: RawLine) -> _Placed:
    (x0, y0), (_, y1), (_, y2), (x3, y3) = line.box[:4]
    top = (y0 + y1) / 2
    bottom = (y2 + y3) / 2
    return _Placed(line, (top + bottom) / 2, max(1.0, bottom - top), min(x0, x3))


def _rows(placed: list[_Placed]) -> list[list[_Placed]]:
    rows: list[list[_Placed]] = []
    for item in sorted(placed, key=lambda p: (p.centre_y, p.left)):
        if rows:
            row = rows[-1]
            centre = sum(p.centre_y for p in row) / len(row)
            height = min(min(p.height for p in row), item.height)
            if abs(item.centre_y - centre) <= 0.5 * height:
                row.append(item)
                continue
        rows.append([item])
    return [sorted(row, key=lambda p: p.left) for row in rows]


def read_order(
    raw: Sequence[RawLine], scale: float = 1.0, min_confidence: float = 0.0
) -> tuple[list[OcrLine], str]:
    """Lines in reading order with boxes in source pixels, and the full text.

    Args:
        raw: the engine's lines, in the pixels of the working image.
        scale: working size / source size (``Frame.scale``).
        min_confidence: lines scoring below it are dropped.

    Returns:
        ``(lines, full_text)``; ``lines[i].order == i``.

    Examples:
        >>> from framelens.models.ocr import RawLine
        >>> box = lambda x, y: ((x, y), (x + 50, y), (x + 50, y + 20), (x, y + 20))
        >>> read_order([RawLine("world", 0.9, box(60, 12)), RawLine("hello", 0.9, box(0, 10))])[1]
        'hello world'
    """
    kept = [_place(r) for r in raw if r.text.strip() and r.confidence >= min_confidence]
    rows = _rows(kept)
    lines: list[OcrLine] = []
    for item in (p for row in rows for p in row):
        box = [[round(x / scale), round(y / scale)] for x, y in item.line.box[:4]]
        lines.append(
            OcrLine(
                text=item.line.text.strip(),
                confidence=round(min(1.0, max(0.0, item.line.confidence)), 4),
                box=box,
                order=len(lines),
            )
        )
    text = "\n".join(" ".join(p.line.text.strip() for p in row) for row in rows)
    return lines, text
