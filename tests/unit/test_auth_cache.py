"""The authorizer's success cache: reuse within the TTL, recheck after it, never cache refusals."""

from __future__ import annotations

import pytest

from framelens.auth import KeyService
from framelens.auth.cache import CachedAuthenticator
from framelens.errors import AuthError
from framelens.stores.embedded import build_embedded_stores


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys(tmp_path):
    return KeyService(build_embedded_stores(tmp_path).keys)


def test_a_success_is_reused_within_the_ttl_and_rechecked_after(keys):
    # GIVEN a key checked once through the cache
    secret, record = keys.create("acme")
    clock = Clock()
    auth = CachedAuthenticator(keys, ttl_s=60, clock=clock)
    assert auth.authenticate(secret).tenant_id == "acme"
    # WHEN the key is revoked
    keys.revoke(record.key_id)
    # THEN the cached success holds until the TTL, then the key is refused
    clock.now = 59
    assert auth.authenticate(secret).tenant_id == "acme"
    clock.now = 61
    with pytest.raises(AuthError):
        auth.authenticate(secret)


def test_a_refusal_is_never_cached(keys):
    auth = CachedAuthenticator(keys, ttl_s=60, clock=Clock())
    with pytest.raises(AuthError):
        auth.authenticate("fl_unknown")
    with pytest.raises(AuthError):
        auth.authenticate(None)


def test_ttl_zero_checks_every_time(keys):
    secret, record = keys.create("acme")
    auth = CachedAuthenticator(keys, ttl_s=0, clock=Clock())
    auth.authenticate(secret)
    keys.revoke(record.key_id)
    with pytest.raises(AuthError):
        auth.authenticate(secret)
