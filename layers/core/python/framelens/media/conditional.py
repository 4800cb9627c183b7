"""Conditional and ranged GETs: ETags, ``If-None-Match``, ``If-Modified-Since``, ``If-Range``.

Owns: ``make_etag``, the validator comparisons of RFC 9110 §8.8.3 and §13, and ``plan_get``,
which turns a GET's headers and a representation's size and validators into the status and
headers to answer with. Does not own reading the bytes (``BlobStore.iter_range``) or building
the HTTP response (the routers). Pure stdlib: the API's cold path may import it.

Order of evaluation is RFC 9110 §13.2.2: ``If-None-Match`` (else ``If-Modified-Since``) first,
so a matching validator answers 304 whatever ``Range`` says; then ``If-Range``, which drops the
``Range`` (200, whole body) unless its validator still matches; then ``Range``
(``media.byte_ranges``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING

from framelens.media.byte_ranges import ByteRange, parse_range

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "DEFAULT_CACHE_CONTROL",
    "GetPlan",
    "if_none_match_matches",
    "if_range_allows",
    "make_etag",
    "parse_etags",
    "plan_get",
]

# Seed 002 serves media with "Cache-Control: public, max-age=86400 (24h)".
DEFAULT_CACHE_CONTROL = "public, max-age=86400"


def make_etag(*parts: object) -> str:
    """A strong ETag (quoted) derived from what identifies the bytes.

    Args:
        *parts: values that change whenever the bytes change (file id, size, render key...).

    Returns:
        ``"<32 hex>"`` including the quotes.

    Examples:
        >>> make_etag("f_1", 1234) == make_etag("f_1", 1234) != make_etag("f_1", 1235)
        True
    """
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f'"{digest[:32]}"'


def parse_etags(header: str) -> list[tuple[bool, str]] | None:
    """Parse an ``If-None-Match``/``If-Match`` list into ``(weak, opaque tag)`` pairs.

    Returns:
        The tags (opaque tag including its quotes), ``None`` for ``*``, an empty list when
        nothing in the header is a well-formed entity tag.
    """
    text = header.strip()
    if text == "*":
        return None
    tags: list[tuple[bool, str]] = []
    for raw in text.split(","):
        item = raw.strip()
        weak = item.startswith("W/")
        opaque = item[2:] if weak else item
        if len(opaque) >= 2 and opaque[0] == '"' and opaque[-1] == '"' and '"' not in opaque[1:-1]:
            tags.append((weak, opaque))
    return tags


def _opaque(etag: str) -> tuple[bool, str]:
    return (True, etag[2:]) if etag.startswith("W/") else (False, etag)


def if_none_match_matches(header: str, etag: str) -> bool:
    """Whether ``If-None-Match`` matches ``etag`` (weak comparison, ``*`` matches anything)."""
    tags = parse_etags(header)
    if tags is None:
        return True
    _, mine = _opaque(etag)
    return any(opaque == mine for _, opaque in tags)


def _parse_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def if_range_allows(header: str, etag: str | None, last_modified: datetime | None) -> bool:
    """Whether ``If-Range`` lets the ``Range`` apply (RFC 9110 §13.1.5).

    An entity tag must match ``etag`` by strong comparison (a weak tag never does); an HTTP date
    must equal ``last_modified`` to the second. Anything else means the client's copy is stale:
    the range is ignored and the whole representation sent.
    """
    value = header.strip()
    if value.startswith('"') or value.startswith("W/"):
        if etag is None or value.startswith("W/"):
            return False
        weak, mine = _opaque(etag)
        return not weak and value == mine
    date = _parse_date(value)
    if date is None or last_modified is None:
        return False
    return int(date.timestamp()) == int(last_modified.timestamp())


@dataclass(frozen=True, slots=True)
class GetPlan:
    """How to answer a GET of one representation.

    Attributes:
        status: 200, 206, 304 or 416.
        range: the bytes to send (``None`` for 304 and 416; for 200 the whole representation).
        headers: response headers (``Accept-Ranges``, ``ETag``, ``Cache-Control``,
            ``Content-Length``, ``Content-Range``, ``Last-Modified`` as they apply); the caller
            adds ``Content-Type``.
    """

    status: int
    range: ByteRange | None
    headers: dict[str, str] = field(default_factory=dict)


def _not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str | None,
    last_modified: datetime | None,
) -> bool:
    if if_none_match is not None:
        return etag is not None and if_none_match_matches(if_none_match, etag)
    if if_modified_since is not None and last_modified is not None:
        since = _parse_date(if_modified_since)
        return since is not None and int(last_modified.timestamp()) <= int(since.timestamp())
    return False


def plan_get(
    size: int,
    *,
    range_header: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    if_range: str | None = None,
    etag: str | None = None,
    last_modified: datetime | None = None,
    cache_control: str = DEFAULT_CACHE_CONTROL,
) -> GetPlan:
    """Decide status, byte range and headers for a GET of a representation of ``size`` bytes.

    Args:
        size: representation length in bytes.
        range_header: the request's ``Range``.
        if_none_match: the request's ``If-None-Match``.
        if_modified_since: the request's ``If-Modified-Since`` (ignored with ``If-None-Match``).
        if_range: the request's ``If-Range``.
        etag: the representation's ETag (quoted, ``W/`` prefix if weak).
        last_modified: when the representation last changed (timezone-aware).
        cache_control: ``Cache-Control`` to send.

    Returns:
        The plan; never raises.

    Examples:
        >>> plan = plan_get(1000, range_header="bytes=0-99", etag='"a"')
        >>> plan.status, plan.headers["Content-Range"]
        (206, 'bytes 0-99/1000')
    """
    headers = {"Accept-Ranges": "bytes", "Cache-Control": cache_control}
    if etag is not None:
        headers["ETag"] = etag
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if _not_modified(if_none_match, if_modified_since, etag, last_modified):
        return GetPlan(304, None, headers)
    answer = parse_range(range_header, size)
    stale = if_range is not None and not if_range_allows(if_range, etag, last_modified)
    if answer.kind != "full" and stale:
        answer = parse_range(None, size)
    if answer.kind == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{size}"
        headers["Content-Length"] = "0"
        return GetPlan(416, None, headers)
    if answer.kind == "partial" and answer.range is not None:
        headers["Content-Range"] = answer.range.content_range(size)
        headers["Content-Length"] = str(answer.range.length)
        return GetPlan(206, answer.range, headers)
    headers["Content-Length"] = str(size)
    return GetPlan(200, ByteRange(0, size - 1) if size else None, headers)
