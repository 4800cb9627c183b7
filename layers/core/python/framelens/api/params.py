"""Request parameters several routers read the same way (headers shared by native and seeds)."""

from __future__ import annotations

from framelens.errors import ValidationError

__all__ = ["parse_max_processing_time"]


def parse_max_processing_time(value: str | None) -> int:
    """Seed 001's ``Max-Processing-Time`` header: an integer >= 0 (0 = unlimited)."""
    if value is None or value == "":
        return 0
    if not value.strip().isdigit():
        raise ValidationError(
            "Max-Processing-Time must be an integer number of seconds >= 0 (0 = unlimited)",
            details={"header": "Max-Processing-Time", "value": value[:50]},
        )
    return int(value)
