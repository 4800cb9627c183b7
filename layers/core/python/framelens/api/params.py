"""Request parameters several routers read the same way (headers shared by native and seeds)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from framelens.errors import ValidationError

__all__ = [
    "MAX_PROCESSING_TIME_S",
    "IdempotencyKeyHeader",
    "MaxProcessingTimeHeader",
    "parse_max_processing_time",
]

# Declared on routes for validation and the OpenAPI document; the flow reads the raw header.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="The same key with the same request and options answers the same job.",
    ),
]
MaxProcessingTimeHeader = Annotated[
    str | None,
    Header(alias="Max-Processing-Time", description="Seconds the job may run; 0 = unlimited."),
]

# A Step Functions execution lives at most a year; a job deadline beyond a month is a mistake.
MAX_PROCESSING_TIME_S = 31 * 24 * 3600


def parse_max_processing_time(value: str | None) -> int:
    """Seed 001's ``Max-Processing-Time`` header: an integer >= 0 (0 = unlimited).

    Only ASCII digits (``str.isdigit`` also accepts ``²`` and other scripts' digits), and at
    most ``MAX_PROCESSING_TIME_S``.
    """
    if value is None or value == "":
        return 0
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise ValidationError(
            "Max-Processing-Time must be an integer number of seconds >= 0 (0 = unlimited)",
            details={"header": "Max-Processing-Time", "value": value[:50]},
        )
    seconds = int(text)
    if seconds > MAX_PROCESSING_TIME_S:
        raise ValidationError(
            f"Max-Processing-Time must be at most {MAX_PROCESSING_TIME_S} seconds (31 days)",
            details={"header": "Max-Processing-Time", "value": value[:50]},
        )
    return seconds
