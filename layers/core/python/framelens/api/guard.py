"""The request guard: authenticate before a body is read, cap every body by route, time out
slow bodies.

Owns: the ASGI middleware that, for a request with a body, (1) checks the API key of routes that
need one before a single body byte is read (401 in the route's error dialect, never a 422 for
malformed JSON sent without a key), (2) refuses a ``Content-Length`` over the route's cap at
once (413), (3) counts the bytes of chunked bodies as they stream and stops at the cap (413),
and (4) answers 408 when a body stops arriving for ``body_timeout_s``. Does not own: what a
route does with its body (``api.uploads`` still enforces each route's own limit with the seed's
status), rate limits (the ``authenticate`` dependency counts the request, once) or
incomplete headers (the server's protocol: ``framelens.cli.http``).

A body cap is the route's documented limit plus framing: JSON bodies parsed by FastAPI get
``JSON_BODY_MAX_BYTES``; routes that read their body themselves get twice their own limit
(their own check answers first, in the seed's dialect; this one only stops abuse).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi.routing import RouteContext, iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match

from framelens.api.deps import PREAUTH_SCOPE_KEY, authenticate
from framelens.api.errors import render_error
from framelens.api.uploads import MULTIPART_SLACK
from framelens.auth import extract_key
from framelens.errors import FramelensError, MediaTooLargeError

if TYPE_CHECKING:
    from fastapi.dependencies.models import Dependant
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from framelens.api.deps import AppServices
    from framelens.config import Settings

__all__ = ["JSON_BODY_MAX_BYTES", "RequestGuard", "body_limit"]

# The largest JSON a native or seed route parses (jobs, uploads, identities, subscriptions): a
# job of 100 sources with options is a few tens of kB.
JSON_BODY_MAX_BYTES = 1024 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A refused body is not read to its end: the connection cannot carry another request.
_CLOSE = {"Connection": "close"}


def body_limit(route: RouteContext, settings: Settings) -> int:
    """The most bytes ``route`` may receive (see the module docstring)."""
    method = next(iter(route.methods or {"GET"}))
    path = route.path_format
    if method == "PUT" and path == "/v1/uploads/{file_id}":
        return settings.max_presigned_upload_bytes
    if path == "/v1/images":  # seed 001 batches: base64 of every image, in one JSON document
        return settings.image_batch_max_bytes * 4 // 3 + JSON_BODY_MAX_BYTES
    if getattr(route, "body_field", None) is not None:
        return JSON_BODY_MAX_BYTES
    return 2 * settings.max_upload_bytes + MULTIPART_SLACK


@dataclass(frozen=True, slots=True)
class _RouteRule:
    authenticated: bool
    max_bytes: int


def _needs_key(dependant: Dependant) -> bool:
    return any(dep.call is authenticate or _needs_key(dep) for dep in dependant.dependencies)


class RequestGuard:
    """ASGI middleware in front of the app's routes (see the module docstring).

    Args:
        app: the inner ASGI app.
        body_timeout_s: answer 408 when no body bytes arrive for this long (the local server;
            API Gateway hands Lambda whole bodies, so it never waits there).
    """

    def __init__(self, app: ASGIApp, body_timeout_s: float = 20.0) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s
        self._routes: list[tuple[RouteContext, _RouteRule]] | None = None
        self._routes_version = -1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if scope["method"] not in _BODY_METHODS:  # a body on a GET is never read: don't drain it
            meter = self._metered(request, 0)
            await self.app(scope, receive, meter.closing(send))
            return
        rule = self._rule(scope, request.app.state.services)
        if rule is None:  # no route: the router's own 404/405
            meter = self._metered(request, None)
            await self.app(scope, meter.receive, meter.closing(send))
            return
        try:
            if rule.authenticated:
                await self._authenticate(request)
            self._check_length(request, rule.max_bytes)
        except FramelensError as exc:
            response = await render_error(request, exc)
            response.headers.update(_CLOSE)
            await response(scope, receive, send)
            return
        meter = self._metered(request, rule.max_bytes)
        await self.app(scope, meter.receive, meter.closing(send))

    def _rule(self, scope: Scope, services: AppServices) -> _RouteRule | None:
        # The app's routes, flattened again only when a route family was loaded (api.families).
        version = getattr(scope["app"].state, "routes_version", 0)
        if self._routes is None or version != self._routes_version:
            self._routes_version = version
            self._routes = [
                (rc, _RouteRule(_needs_key(rc.dependant), body_limit(rc, services.settings)))
                for rc in iter_route_contexts(scope["app"].routes)
                if getattr(rc, "dependant", None) is not None
            ]
        for route, rule in self._routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return rule
        return None

    @staticmethod
    async def _authenticate(request: Request) -> None:
        services: AppServices = request.app.state.services
        key = extract_key(request.headers)
        principal = await run_in_threadpool(services.keys.authenticate, key)
        request.scope[PREAUTH_SCOPE_KEY] = principal

    @staticmethod
    def _check_length(request: Request, max_bytes: int) -> None:
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(max_bytes)

    def _metered(self, request: Request, max_bytes: int | None) -> _BodyMeter:
        headers = request.headers
        empty = headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers
        return _BodyMeter(request.receive, max_bytes, self.body_timeout_s, expects_body=not empty)


class _BodyMeter:
    """The request's ``receive``, metered: stops a body over ``max_bytes`` (413) or one that
    stalls for ``timeout_s`` (408), and knows whether the body was read to its end.

    Both refusals are raised as ``HTTPException``: FastAPI re-raises those from its body
    parsing (any other error there becomes a 400), and the app's handlers render them.
    """

    def __init__(
        self, receive: Receive, max_bytes: int | None, timeout_s: float, *, expects_body: bool
    ) -> None:
        self._receive = receive
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s
        self._expects_body = expects_body  # a Content-Length > 0 or a chunked body was declared
        self.seen = 0
        self.done = False

    async def receive(self) -> Message:
        """The next message, under the cap and the timeout."""
        if self.done:  # after the body: a response listening for the disconnect waits freely
            return await self._receive()
        try:
            message = await asyncio.wait_for(self._receive(), self._timeout_s)
        except TimeoutError as exc:
            raise HTTPException(
                408,
                f"the request body stopped arriving for {self._timeout_s:g} s; send it at once",
                headers=_CLOSE,
            ) from exc
        if message["type"] != "http.request":
            self.done = True  # the client went away
            return message
        self.done = not message.get("more_body", False)
        self.seen += len(message.get("body", b""))
        if self._max_bytes is not None and self.seen > self._max_bytes:
            raise HTTPException(413, _too_large(self._max_bytes).message, headers=_CLOSE)
        return message

    def closing(self, send: Send) -> Send:
        """``send`` that closes the connection after an answer sent before the body was read to
        its end (a refused upload token, a body on a GET), so that the server does not read and
        discard the rest of it."""

        async def wrapped(message: Message) -> None:
            unread = self._expects_body and not self.done
            if message["type"] == "http.response.start" and unread:
                headers = list(message.get("headers", []))
                if all(k != b"connection" for k, _ in headers):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        return wrapped


def _too_large(max_bytes: int) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"the request body is larger than the {_size(max_bytes)} this endpoint accepts; "
        "send large files with POST /v1/uploads",
        details={"max_bytes": max_bytes},
    )


def _size(n: int) -> str:
    mib = n / (1024 * 1024)
    return f"{mib:g} MB" if mib >= 1 else f"{n // 1024} kB"
