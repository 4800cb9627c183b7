"""HTTP responses for the media service's answers, one-to-one.

Owns: ``respond`` (``BytesAnswer`` → a body, ``StreamAnswer`` → a streamed body that is closed
when the client goes away, ``RedirectAnswer`` → 307, ``PendingAnswer`` → 202 with
``Retry-After``), ``ClosingStreamingResponse``, and reading ``GetConditions`` from a request.
Does not own what the answers are (``jobs.media_service``, ``jobs.file_media``).

Why ``ClosingStreamingResponse``: Starlette iterates a sync iterator in a thread pool and, when
the client disconnects, cancels the sending task but never calls the iterator's ``close()``. A
render's generator would then live on (holding its decoder and temporary file) until garbage
collection. Closing it runs its ``finally`` blocks at once: the decode and encode stop, and the
render cache stores nothing partial. A client that leaves is normal (players drop requests when
they seek): under ASGI 2.4 Starlette raises ``ClientDisconnect``, which ends the response
quietly here instead of reaching the error handlers as a 500 to log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import Response
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from framelens.jobs.media_answers import (
    BytesAnswer,
    GetConditions,
    PendingAnswer,
    RedirectAnswer,
    StreamAnswer,
)
from framelens.schemas.seeds.streaming import RenderPending

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import Request
    from starlette.types import Receive, Scope, Send

    from framelens.jobs.media_answers import MediaAnswer

__all__ = ["ClosingStreamingResponse", "conditions", "pending_response", "respond"]

log = logging.getLogger(__name__)


class ClosingStreamingResponse(StreamingResponse):
    """A ``StreamingResponse`` over a sync iterator that is always closed when the response
    ends: sent in full, failed, or cut short by a client that disconnected."""

    def __init__(self, chunks: Iterator[bytes], **kwargs: object) -> None:
        self._chunks = chunks
        super().__init__(chunks, **kwargs)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ClientDisconnect:
            # A player that seeks drops its request: normal, not a server error to log.
            log.info("client went away during a streamed answer")
        finally:
            await run_in_threadpool(_close, self._chunks)


def _close(chunks: Iterator[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if close is None:
        return
    try:
        close()
    except ValueError:
        # "generator already executing": its thread is still inside next(); it finishes that
        # chunk and the generator is collected with the response.
        return


def conditions(request: Request) -> GetConditions:
    """The request's ``Range`` and validator headers."""
    headers = request.headers
    return GetConditions(
        range=headers.get("range"),
        if_none_match=headers.get("if-none-match"),
        if_modified_since=headers.get("if-modified-since"),
        if_range=headers.get("if-range"),
    )


def pending_response(pending: PendingAnswer) -> Response:
    """202 with ``Retry-After`` and a ``RenderPending`` body."""
    body = RenderPending(
        retry_after=pending.retry_after_s,
        message=(
            f"The {pending.render.kind} is being prepared by the render worker; "
            f"ask again in {pending.retry_after_s} s."
        ),
    )
    return Response(
        content=body.model_dump_json(),
        status_code=202,
        media_type="application/json",
        headers={"Retry-After": str(pending.retry_after_s)},
    )


def respond(answer: MediaAnswer) -> Response:
    """The HTTP response of a media answer."""
    if isinstance(answer, BytesAnswer):
        return Response(
            content=answer.body,
            status_code=answer.status,
            headers=answer.headers,
            media_type=answer.content_type if answer.body or answer.status == 200 else None,
        )
    if isinstance(answer, StreamAnswer):
        return ClosingStreamingResponse(
            answer.chunks,
            status_code=answer.status,
            headers=answer.headers,
            media_type=answer.content_type,
        )
    if isinstance(answer, RedirectAnswer):
        return RedirectResponse(answer.url, status_code=answer.status, headers=answer.headers)
    return pending_response(answer)
