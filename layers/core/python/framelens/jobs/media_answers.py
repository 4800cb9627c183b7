"""What the media service answers, for a router to turn into an HTTP response one-to-one.

Owns: ``GetConditions`` (the request's ``Range`` and validators), ``BytesAnswer`` (small
bodies: JPEGs, 304, 416), ``StreamAnswer`` (chunks from a blob or a render in progress),
``RedirectAnswer`` (a presigned URL in AWS) and ``PendingAnswer`` (a render a worker must
produce first: 202 with ``Retry-After``). Does not own the service that
builds them (``jobs.media_service``) or HTTP itself (the routers).

Suggested mapping: ``BytesAnswer`` → ``Response(body, status, headers, media_type)``;
``StreamAnswer`` → ``StreamingResponse(chunks, status, headers, media_type)``;
``RedirectAnswer`` → ``RedirectResponse(url, status)`` with its headers; ``PendingAnswer`` →
202 with ``Retry-After`` after enqueuing ``render`` for the worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from framelens.jobs.render_cache import RenderRequest

__all__ = [
    "BytesAnswer",
    "GetConditions",
    "MediaAnswer",
    "PendingAnswer",
    "RedirectAnswer",
    "StreamAnswer",
]


@dataclass(frozen=True, slots=True)
class GetConditions:
    """The request headers a ranged, conditional GET depends on (raw values or ``None``)."""

    range: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_range: str | None = None


@dataclass(frozen=True, slots=True)
class BytesAnswer:
    """A whole body in memory (thumbnails), or an empty one (304, 416)."""

    body: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StreamAnswer:
    """A body sent as it is produced; ``Content-Length`` is in ``headers`` when known.

    Closing ``chunks`` (a client that went away) stops the reading or rendering behind it.
    """

    chunks: Iterator[bytes]
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RedirectAnswer:
    """Send the client to ``url`` (a short-lived presigned GET); S3 answers Range itself."""

    url: str
    status: int = 307
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PendingAnswer:
    """The render is not cached yet and this deployment renders on a worker, not inline."""

    render: RenderRequest
    key: str
    retry_after_s: int = 5


MediaAnswer = BytesAnswer | StreamAnswer | RedirectAnswer | PendingAnswer
