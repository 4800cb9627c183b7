"""Generated text media: images, videos and DOCX files whose text and timing are known.

Owns: rendering known text with several fonts (OpenCV's Hershey fonts, Pillow's bundled scalable
font, and the DejaVu TrueType fonts when the machine has them), sizes, polarities and rotations;
a video with captions at known times; a DOCX with paragraphs, a table and an image of text.
Each generator's docstring states its ground truth.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests.media import Generated, write_video

if TYPE_CHECKING:
    from collections.abc import Sequence

CANVAS = (640, 360)  # width, height: the size of a small screenshot or photo
BLACK = (0, 0, 0)
WHITE = (255, 255, 255)
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class Font:
    """A way to draw text: a Hershey font id (``cv2.putText``) or a TrueType file / Pillow's own."""

    name: str
    hershey: int | None = None
    path: Path | None = None


def fonts() -> list[Font]:
    """Four Hershey fonts and Pillow's bundled font (always there), plus DejaVu when installed."""
    found = [
        Font("hershey-simplex", cv2.FONT_HERSHEY_SIMPLEX),
        Font("hershey-duplex", cv2.FONT_HERSHEY_DUPLEX),
        Font("hershey-triplex", cv2.FONT_HERSHEY_TRIPLEX),
        Font("hershey-complex", cv2.FONT_HERSHEY_COMPLEX),
        Font("pillow-default"),
    ]
    for name in ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono-Bold.ttf"):
        if (_DEJAVU / name).is_file():
            found.append(Font(name.removesuffix(".ttf"), path=_DEJAVU / name))
    return found


def _draw_pil(
    canvas: np.ndarray, text: str, font: Font, px: int, colour: tuple[int, int, int]
) -> None:
    face = ImageFont.truetype(str(font.path), px) if font.path else ImageFont.load_default(size=px)
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    x = (canvas.shape[1] - (right - left)) // 2 - left
    y = (canvas.shape[0] - (bottom - top)) // 2 - top
    draw.text((x, y), text, font=face, fill=colour)
    canvas[:] = np.asarray(image)


def _draw_cv(
    canvas: np.ndarray, text: str, font: Font, px: int, colour: tuple[int, int, int]
) -> None:
    assert font.hershey is not None
    scale = cv2.getFontScaleFromHeight(font.hershey, px, 2)
    (w, h), _ = cv2.getTextSize(text, font.hershey, scale, 2)
    origin = ((canvas.shape[1] - w) // 2, (canvas.shape[0] + h) // 2)
    cv2.putText(canvas, text, origin, font.hershey, scale, colour, 2, cv2.LINE_AA)


def text_image(
    text: str,
    font: Font,
    px: int = 32,
    *,
    dark_on_light: bool = True,
    angle: float = 0.0,
    size: tuple[int, int] = CANVAS,
) -> np.ndarray:
    """A BGR image with ``text`` centred on a plain background.

    Truth: the image shows exactly ``text`` on one line, ``px`` pixels tall (cap height for
    Hershey fonts, em size for TrueType), turned ``angle`` degrees counter-clockwise about the
    centre (180 = upside down).
    """
    fg, bg = (BLACK, WHITE) if dark_on_light else (WHITE, BLACK)
    canvas = np.full((size[1], size[0], 3), bg, np.uint8)
    (_draw_cv if font.hershey is not None else _draw_pil)(canvas, text, font, px, fg)
    if angle:
        centre = (size[0] / 2, size[1] / 2)
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        canvas = cv2.warpAffine(canvas, matrix, size, borderValue=bg)
    return canvas


@dataclass(frozen=True)
class Caption:
    """A caption shown on frames ``[first, last]`` (inclusive)."""

    text: str
    first: int
    last: int


def captions_clip(
    path: Path, captions: Sequence[Caption], frames: int = 250, fps: int = 25
) -> Generated:
    """A grey 640x360 clip with dark captions at known frames; the background turns blue at the
    second caption's first frame (a hard cut, so that caption starts a shot).

    Truth: ``truth`` = the captions (frame ranges inclusive; seconds = frame / fps).
    """
    font = Font("hershey-duplex", cv2.FONT_HERSHEY_DUPLEX)
    cut = captions[1].first if len(captions) > 1 else frames

    def frame(i: int) -> np.ndarray:
        bg = (200, 200, 200) if i < cut else (230, 160, 90)
        image = np.full((CANVAS[1], CANVAS[0], 3), bg, np.uint8)
        for caption in captions:
            if caption.first <= i <= caption.last:
                _draw_cv(image, caption.text, font, 36, BLACK)
        return image

    count = write_video(path, (frame(i) for i in range(frames)), fps=fps)
    return Generated(path, frames=count, width=CANVAS[0], height=CANVAS[1], truth=list(captions))


def png_bytes(image: np.ndarray) -> bytes:
    """``image`` encoded as PNG."""
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


def text_docx(path: Path, image_text: str) -> Generated:
    """A DOCX made with python-docx: header, two paragraphs, a 2x2 table (its top row merged), a
    paragraph with an image of ``image_text`` between two runs, a last paragraph and a footer.

    Truth: ``truth`` = the blocks in document order as ``(kind, text)``; the image's entry is
    ``("image", image_text)``.
    """
    import docx
    from docx.shared import Inches

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "Quarterly report header"
    section.footer.paragraphs[0].text = "Confidential footer"
    document.add_paragraph("AI Models Server Deployment Guide")
    document.add_paragraph("Purpose and scope of this document")
    table = document.add_table(rows=2, cols=2)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "Region totals"
    table.cell(1, 0).text = "North"
    table.cell(1, 1).text = "1250 units"
    paragraph = document.add_paragraph("See the sign below:")
    picture = text_image(image_text, fonts()[1], 40, size=(640, 200))
    paragraph.add_run().add_picture(io.BytesIO(png_bytes(picture)), width=Inches(4))
    paragraph.add_run("as photographed")
    document.add_paragraph("Thank you for reading")
    document.save(str(path))
    truth = [
        ("header", "Quarterly report header"),
        ("paragraph", "AI Models Server Deployment Guide"),
        ("paragraph", "Purpose and scope of this document"),
        ("table_cell", "Region totals"),
        ("table_cell", "North"),
        ("table_cell", "1250 units"),
        ("paragraph", "See the sign below:"),
        ("image", image_text),
        ("paragraph", "as photographed"),
        ("paragraph", "Thank you for reading"),
        ("footer", "Confidential footer"),
    ]
    return Generated(path, truth=truth)
