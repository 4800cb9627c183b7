"""Seed 000 OCR API shapes: ``GET /ocr/health`` and ``POST /ocr/api/ocr``.

Owns: the response models as seed 000's "OCR API" section shows them and ``ocr_response``, the
pure builder from an ``ocr`` result. Does not own: the route, upload handling or error bodies.

``output`` has one ``{"text"}`` per detected text segment, in reading order: for an image, one per
recognised line; for a document, one per text block (paragraph, table cell, header, footer) and,
for each embedded image, one per line read from it, where the image occurs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from framelens.schemas.results_ocr import OcrResult

__all__ = ["OcrHealth", "OcrInput", "OcrResponse", "OcrText", "ocr_response", "saved_filename"]


class OcrHealth(BaseModel):
    """``GET /ocr/health``: ``{"status": "ok", "model": "loaded"}`` when the models load.

    ``"error"`` / ``"unavailable"`` (HTTP 503, with ``detail``) when this process cannot load
    them; ``"remote"`` where the API process does not run analysis (AWS: the inference image
    does, and the API function carries no models).
    """

    status: Literal["ok", "error"] = "ok"
    model: Literal["loaded", "unavailable", "remote"] = "loaded"
    detail: str | None = Field(default=None, description="Why the models are not loaded here.")


class OcrInput(BaseModel):
    """The upload as received and as stored."""

    original_filename: str = Field(examples=["report.docx"])
    saved_filename: str = Field(examples=["7e2c977b-f5a7-4caf-9ddf-e6ddefbde99b.docx"])


class OcrText(BaseModel):
    """One detected text segment."""

    text: str = Field(examples=["AI Models Server Deployment Guide"])


class OcrResponse(BaseModel):
    """``POST /ocr/api/ocr`` success body."""

    status: Literal["success"] = "success"
    detected_type: Literal["image", "document"]
    input: OcrInput
    output: list[OcrText] = Field(default_factory=list)


_EXTENSIONS = {"jpeg": "jpg"}


def saved_filename(file_id: str, container: str | None) -> str:
    """The name the upload is stored under: its file id and an extension from its content.

    Examples:
        >>> saved_filename("f_abc", "jpeg")
        'f_abc.jpg'
    """
    ext = _EXTENSIONS.get(container or "", container or "bin")
    return f"{file_id}.{ext}"


def ocr_response(result: OcrResult, original_filename: str, saved_filename: str) -> OcrResponse:
    """The seed 000 body for an ``ocr`` result of an image or a document.

    Raises:
        ValueError: the result is of a video (seed 000's OCR API takes images and documents).

    Examples:
        >>> from framelens.schemas.results_ocr import OcrBlock, OcrResult
        >>> doc = OcrResult(media_type="document", blocks=[
        ...     OcrBlock(index=0, kind="paragraph", text="Purpose & Scope:", language_code="en")])
        >>> ocr_response(doc, "report.docx", "7e2c.docx").model_dump()["output"]
        [{'text': 'Purpose & Scope:'}]
    """
    if result.media_type == "document":
        texts = [
            line.text
            for block in sorted(result.blocks, key=lambda b: b.index)
            for line in (block.lines if block.kind == "image" else [block])
        ]
        detected: Literal["image", "document"] = "document"
    elif result.media_type == "image":
        texts = [line.text for frame in result.frames for line in frame.lines]
        detected = "image"
    else:
        raise ValueError(f"seed 000 OCR answers images and documents, not {result.media_type}")
    return OcrResponse(
        detected_type=detected,
        input=OcrInput(original_filename=original_filename, saved_filename=saved_filename),
        output=[OcrText(text=t) for t in texts if t],
    )
