"""A short-lived cache of successful authentications, for the API Gateway authorizer.

Owns: remembering, per key hash, the principal a key resolved to for ``ttl_s`` seconds, so a
warm authorizer does not read DynamoDB twice per request. API Gateway cannot cache the
authorizer's answer itself: keys arrive in one of three headers, and a cached REQUEST authorizer
needs every identity source present. Only successes are kept (a key created a moment ago is never
refused from the cache); a revoked key stops working within ``ttl_s``. Does not own the lookup
(``KeyService``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from framelens.auth.keys import hash_key

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.auth.keys import KeyService
    from framelens.auth.principal import Principal

__all__ = ["CachedAuthenticator"]

_MAX_ENTRIES = 1024  # a warm container serves few keys; a bound keeps memory flat regardless


class CachedAuthenticator:
    """``KeyService.authenticate`` with a per-container TTL cache of successes.

    Args:
        keys: The key service.
        ttl_s: How long a success is reused (``0`` disables the cache).
        clock: Monotonic seconds (tests pass a fake).

    Examples:
        >>> auth = CachedAuthenticator(keys, ttl_s=60)  # doctest: +SKIP
        >>> auth.authenticate(secret).tenant_id  # doctest: +SKIP
        'acme'
    """

    def __init__(
        self, keys: KeyService, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._keys = keys
        self._ttl_s = ttl_s
        self._clock = clock
        self._hits: dict[str, tuple[float, Principal]] = {}

    def authenticate(self, secret: str | None) -> Principal:
        """The principal of ``secret``. Raises ``AuthError`` as ``KeyService.authenticate``."""
        if not secret or self._ttl_s <= 0:
            return self._keys.authenticate(secret)
        digest = hash_key(secret)
        now = self._clock()
        hit = self._hits.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = self._keys.authenticate(secret)
        if len(self._hits) >= _MAX_ENTRIES:
            self._hits.clear()
        self._hits[digest] = (now + self._ttl_s, principal)
        return principal
