"""Streamed media answers stop their work when the client goes away.

Starlette never closes a sync iterator whose client disconnected; ``ClosingStreamingResponse``
must, under both ASGI disconnect styles (``http.disconnect`` messages before spec 2.4, a send
that raises ``OSError`` from 2.4 on, which uvicorn uses).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import TYPE_CHECKING, Any

import pytest

from framelens.api.media_responses import ClosingStreamingResponse

if TYPE_CHECKING:
    from collections.abc import Iterator


class Render:
    """A long render: counts the chunks it made and whether its ``finally`` ran."""

    def __init__(self) -> None:
        self.made = 0
        self.stopped = threading.Event()

    def chunks(self) -> Iterator[bytes]:
        try:
            for _ in range(10_000):
                self.made += 1
                yield b"x" * 1024
        finally:
            self.stopped.set()


def _scope(spec: str) -> dict[str, Any]:
    return {"type": "http", "asgi": {"spec_version": spec}, "method": "GET", "path": "/"}


@pytest.mark.parametrize("spec", ["2.0", "2.4"])
def test_a_disconnected_client_closes_the_render_at_once(spec: str) -> None:
    # GIVEN a render streamed to a client that leaves after three body chunks
    render = Render()
    chunks = render.chunks()
    response = ClosingStreamingResponse(chunks, media_type="video/mp4")
    bodies: list[bytes] = []
    gone = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            if gone.is_set() and spec == "2.4":
                raise OSError("connection reset")
            bodies.append(message["body"])
            if len(bodies) == 3:
                gone.set()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    # WHEN the response is served (a client that left is not an error: nothing is raised)
    asyncio.run(response(_scope(spec), receive, send))
    # THEN the render's generator is closed before the response returns (the test still holds
    # it, so garbage collection cannot be what closed it) and it stopped making chunks
    assert render.stopped.is_set()
    assert inspect.getgeneratorstate(chunks) == inspect.GEN_CLOSED
    assert render.made < 100


def test_a_complete_response_is_closed_too() -> None:
    render = Render()
    chunks = render.chunks()
    response = ClosingStreamingResponse(chunks, media_type="video/mp4")
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    asyncio.run(response(_scope("2.4"), receive, send))
    assert render.made == 10_000 and render.stopped.is_set()
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
