"""The local server's HTTP/1.1 protocol: uvicorn's h11 protocol with a deadline on headers.

Owns: closing a connection whose request line and headers have not all arrived within
``header_timeout_s`` of its first byte (slowloris: a client that opens connections and drips
header bytes holds them forever under plain uvicorn, whose only timer is the keep-alive one
between requests). Does not own: slow *bodies* (``api.guard`` answers 408 when a body stalls)
or idle keep-alive connections (uvicorn's ``timeout_keep_alive``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import asyncio

    from uvicorn.config import Config
    from uvicorn.server import ServerState

__all__ = ["DEFAULT_HEADER_TIMEOUT_S", "header_timeout_protocol"]

DEFAULT_HEADER_TIMEOUT_S = 10.0


class _HeaderTimeoutProtocol(H11Protocol):
    header_timeout_s = DEFAULT_HEADER_TIMEOUT_S

    def __init__(self, config: Config, server_state: ServerState, *args: Any, **kw: Any) -> None:
        super().__init__(config, server_state, *args, **kw)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # a request line or headers are still partial
            self._arm_header_timer()
        else:
            self._disarm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        # Only a connection still waiting for its request's headers: one that is between
        # requests with nothing sent is the keep-alive timer's, one with a request is the app's.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            self.transport.close()


def header_timeout_protocol(header_timeout_s: float) -> type[H11Protocol]:
    """An h11 protocol class (for ``uvicorn.run(http=...)``) closing connections whose headers
    take longer than ``header_timeout_s``."""
    return type(
        "HeaderTimeoutProtocol", (_HeaderTimeoutProtocol,), {"header_timeout_s": header_timeout_s}
    )
