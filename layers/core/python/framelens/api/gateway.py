"""The public path prefix API Gateway puts in front of the app (its stage), as ASGI's root path.

Owns: reading, from the API Gateway REST proxy event Mangum hands the app (``scope["aws.event"]``),
the part of the client's path that the function never sees, and presenting it the ASGI way
(``root_path`` set, ``path`` including it), so ``request.base_url`` and every absolute link built
from it (upload ``complete_url``, DeepVA ``detailed_link``) name the URL the client really called;
and prefixing it to root-relative ``Location`` headers (a client resolves them against its own
request URL, RFC 9110 §10.2.2). Does not own links in bodies that are paths relative to the base
URL (``status_url``: the seeds join them to the base URL the client was given) or what happens
without API Gateway (no event: nothing changes).

Why it is needed: on the default ``execute-api`` endpoint the client calls
``https://<id>.execute-api.<region>.amazonaws.com/v1/v1/uploads`` (stage ``v1``, route
``/v1/uploads``); the event's ``path`` is ``/v1/uploads`` and ``requestContext.path`` is
``/v1/v1/uploads``. The prefix is their difference, so it is also right on a custom domain (with
or without a base path mapping), where Mangum alone would drop it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["StagePrefix", "public_prefix"]


def public_prefix(event: dict[str, Any]) -> str:
    """The path prefix the client sent before the app's path (``/v1`` for a stage), or ``""``."""
    context = event.get("requestContext") or {}
    public = unquote(str(context.get("path") or ""))
    path = unquote(str(event.get("path") or ""))
    if not public or not path or not public.endswith(path):
        return ""
    return public[: len(public) - len(path)].rstrip("/")


class StagePrefix:
    """ASGI middleware: the gateway's prefix becomes the request's ``root_path``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        event = scope.get("aws.event")
        prefix = public_prefix(event) if scope["type"] == "http" and event else ""
        if not prefix:
            await self.app(scope, receive, send)
            return
        scope = {**scope, "root_path": prefix, "path": prefix + scope["path"]}

        async def send_located(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _located(message["headers"], prefix)}
            await send(message)

        await self.app(scope, receive, send_located)


def _located(headers: list[tuple[bytes, bytes]], prefix: str) -> list[tuple[bytes, bytes]]:
    out = []
    for name, value in headers:
        # "//host/..." is network-path (another host): only root-relative paths get the prefix.
        if name.lower() == b"location" and value.startswith(b"/") and not value.startswith(b"//"):
            value = prefix.encode() + value
        out.append((name, value))
    return out
