"""Short-lived links to stored bytes, for clients that cannot send an API key (``<video>``).

Owns: ``MediaLinks``, which turns a tenant's blob key into a URL valid for a while: the blob
store's own presigned GET where it has one (S3, which also answers HTTP Range itself), else a
local link ``/v1/links/<token>`` whose token is an HMAC-signed ``{key, tenant, expiry, type}``
that the API verifies before serving (Range included). Does not own serving the bytes (the API's
links route) or who may ask for a link (routes that authenticated the caller).

Why: a browser's ``<video src>`` and ``<img src>`` cannot add ``X-API-Key``; a link signed for a
caller who did authenticate is how the results viewer plays media without exposing the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from framelens.errors import AuthError

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.stores import BlobStore

__all__ = ["LINK_PREFIX", "LinkTarget", "MediaLinks"]

LINK_PREFIX = "/v1/links/"


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a verified token grants: one blob of one tenant, served as ``content_type``."""

    key: str
    tenant_id: str
    content_type: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class MediaLinks:
    """Signs and verifies links to blobs.

    Args:
        blobs: the blob store (its ``presign_get`` wins when it has one).
        secret: the HMAC key of local links (at least 32 bytes).
        ttl_s: how long a link lives.
        clock: seconds since the epoch (tests pass a fake).
    """

    def __init__(
        self,
        blobs: BlobStore,
        secret: bytes,
        ttl_s: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < 32:
            raise ValueError("a link secret needs at least 32 bytes")
        self._blobs = blobs
        self._secret = secret
        self.ttl_s = ttl_s
        self._clock = clock

    def url(self, tenant_id: str, key: str, content_type: str) -> str:
        """A link to ``key`` valid for ``ttl_s`` (raises ``NotFoundError`` for a missing key)."""
        presigned = self._blobs.presign_get(key, expires_s=self.ttl_s, content_type=content_type)
        if presigned is not None:
            return presigned
        body = {"k": key, "t": tenant_id, "c": content_type, "e": int(self._clock()) + self.ttl_s}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{LINK_PREFIX}{payload}.{self._sign(payload)}"

    def verify(self, token: str) -> LinkTarget:
        """What ``token`` grants.

        Raises:
            AuthError: a token this server did not sign, or one that expired.
        """
        payload, _, signature = token.partition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            raise AuthError("this link is not valid: ask the API for a new one")
        try:
            body = json.loads(_unb64(payload))
            target = LinkTarget(str(body["k"]), str(body["t"]), str(body["c"]), int(body["e"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthError("this link is not valid: ask the API for a new one") from exc
        if target.expires < self._clock():
            raise AuthError("this link has expired: ask the API for a new one")
        return target

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())
