"""Seed 001 image batches: ``POST /v1/images`` (JSON, base64 images) and its status body.

Owns: the request and response models as seed 001 names them (``images[].external_id``,
``data_base64``, ``webhook``; ``items[].result.{tags, person_ids, ocr_results}``), the per-item
outcome kept on the job (``BatchItem``) and ``decode_item``, the pure check of one item's base64.
Does not own: the route, storing the images or analysing them.

Per the seed, ``data_base64`` is raw base64 (no data URI prefix) and an item that fails
(a data URI, bad base64, bytes that are not a decodable image) is reported ``failed`` with its
reason while the other items are analysed.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from pydantic import BaseModel, Field

from framelens.schemas.jobs import JobState, WebhookConfig
from framelens.schemas.results_tags import Tag
from framelens.schemas.seeds.videos import SeedPerson

__all__ = [
    "BatchItem",
    "ImageBatchAccepted",
    "ImageBatchCreate",
    "ImageBatchStatus",
    "ImageIn",
    "ImageItemOut",
    "ImageItemResult",
    "ImageText",
    "ItemError",
    "ItemRefusedError",
    "decode_item",
]

_SPACE = re.compile(rb"\s+")


class ImageIn(BaseModel):
    """One image of a batch."""

    external_id: str = Field(min_length=1, max_length=256, examples=["abc"])
    data_base64: str = Field(
        description="The image's bytes as raw base64 (no data URI prefix).",
        examples=["/9j/4AAQSkZJRgABAQAAAQABAAD..."],
    )


class ImageBatchCreate(BaseModel):
    """``POST /v1/images`` body."""

    images: list[ImageIn] = Field(min_length=1, description="One or more images to analyze.")
    webhook: WebhookConfig | None = None


class ImageBatchAccepted(BaseModel):
    """The 202 body."""

    job_id: str = Field(examples=["image_batch_123"])


class ItemError(BaseModel):
    """Why an item failed: a stable code and what to fix."""

    code: str = Field(examples=["invalid_base64"])
    message: str


class BatchItem(BaseModel):
    """An item as the job keeps it: its source index, or why it was refused on arrival."""

    external_id: str
    source: int | None = None
    error: ItemError | None = None


class ImageText(BaseModel):
    """A text read in the image (seed 001 image ``ocr_results[]``: no ``time_segment``)."""

    language_code: str = Field(examples=["en"])
    full_text: str = Field(examples=["Kitchen"])


class ImageItemResult(BaseModel):
    """What one image shows (seed 001)."""

    tags: list[Tag] = Field(default_factory=list)
    person_ids: list[SeedPerson] = Field(default_factory=list)
    ocr_results: list[ImageText] = Field(default_factory=list)


class ImageItemOut(BaseModel):
    """One item of ``GET /v1/images/{job_id}``; ``result`` once it is ``finished``."""

    external_id: str
    status: JobState = Field(description="``failed`` alone when the item was refused.")
    result: ImageItemResult | None = None
    error: ItemError | None = None


class ImageBatchStatus(BaseModel):
    """``GET /v1/images/{job_id}``: the batch and every item in the order they were sent."""

    job_id: str
    status: JobState
    progress: float = 0.0
    items: list[ImageItemOut] = Field(default_factory=list)
    error: dict[str, Any] | None = None


class ItemRefusedError(ValueError):
    """One item of a batch cannot be analysed; the others can (seed 001: it fails alone)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_error(self) -> ItemError:
        """The item's ``error`` field."""
        return ItemError(code=self.code, message=self.message)


def decode_item(data_base64: str) -> bytes:
    """The bytes of one item's ``data_base64``.

    Whitespace (line breaks of wrapped base64) is ignored; anything else that is not base64 is
    refused, and so is a data URI (the seed asks for raw base64).

    Raises:
        ItemRefusedError: code ``data_uri``, ``invalid_base64`` or ``empty_image``.

    Examples:
        >>> decode_item("aGVsbG8=")
        b'hello'
        >>> decode_item("data:image/png;base64,aGVsbG8=")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        framelens.schemas.seeds.images.ItemRefusedError: data_base64 starts with a data URI ...
    """
    if data_base64[:5].lower() == "data:":
        raise ItemRefusedError(
            "data_uri",
            "data_base64 starts with a data URI prefix ('data:...;base64,'); "
            "send the raw base64 only",
        )
    try:
        raw = _SPACE.sub(b"", data_base64.encode("ascii"))
        data = base64.b64decode(raw, validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ItemRefusedError(
            "invalid_base64", "data_base64 is not valid base64 (A-Z, a-z, 0-9, +, / and = padding)"
        ) from exc
    if not data:
        raise ItemRefusedError("empty_image", "data_base64 is empty; send the image's bytes")
    return data
