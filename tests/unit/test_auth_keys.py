"""Unit tests of framelens.auth.keys: key format, header parsing, the key lifecycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from framelens.auth import PLANS, KeyService, extract_key, generate_key, hash_key, resolve_plan
from framelens.errors import AuthError, NotFoundError, ValidationError
from framelens.stores.embedded import build_embedded_stores

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.stores.ports import KeyStore


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return build_embedded_stores(tmp_path).keys


@pytest.fixture
def service(keys: KeyStore) -> KeyService:
    return KeyService(keys)


def test_generated_keys_have_prefix_and_32_random_bytes() -> None:
    # GIVEN / WHEN two generated keys
    first, second = generate_key(), generate_key()
    # THEN both carry the prefix, 43 urlsafe chars of 32 bytes, and differ
    assert first.startswith("fl_")
    assert len(first) == 3 + 43
    assert first != second


def test_hash_key_is_sha256_hex() -> None:
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-API-Key": "k1"}, "k1"),
        ({"x-api-key": " k1 "}, "k1"),
        ({"Authorization": "Bearer k2"}, "k2"),
        ({"authorization": "bearer k2"}, "k2"),
        ({"AUTHORIZATION": "Key k3"}, "k3"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, None),
        ({"Authorization": "Bearer "}, None),
        ({"X-API-Key": ""}, None),
        ({}, None),
    ],
)
def test_extract_key_accepts_the_three_seed_forms(headers: dict[str, str], expected: str | None):
    assert extract_key(headers) == expected


def test_x_api_key_wins_over_authorization() -> None:
    assert extract_key({"Authorization": "Bearer other", "X-API-Key": "main"}) == "main"


def test_create_stores_only_the_hash_and_creates_tenant(
    service: KeyService, keys: KeyStore
) -> None:
    # GIVEN no tenant WHEN a key is created
    secret, record = service.create("acme")
    # THEN the record holds the hash and a short prefix, and the tenant exists on "default"
    assert record.key_hash == hash_key(secret)
    assert secret not in record.model_dump_json()
    assert secret.startswith(record.prefix)
    assert len(record.prefix) < len(secret) // 2
    tenant = keys.get_tenant("acme")
    assert tenant is not None
    assert tenant.plan == PLANS["default"]


def test_create_with_plan_moves_existing_tenant(service: KeyService, keys: KeyStore) -> None:
    # GIVEN a tenant on the default plan
    service.create("acme")
    # WHEN another key is created naming "pro"
    service.create("acme", plan="pro")
    # THEN the tenant is on pro; a later create without a plan keeps it
    service.create("acme")
    tenant = keys.get_tenant("acme")
    assert tenant is not None
    assert tenant.plan.name == "pro"


def test_unknown_plan_is_a_validation_error_naming_the_choices(service: KeyService) -> None:
    with pytest.raises(ValidationError, match="default, pro"):
        service.create("acme", plan="gold")


@pytest.mark.parametrize("tenant_id", ["", "a#b", "has space", "x" * 65, "-lead"])
def test_malformed_tenant_ids_are_refused(service: KeyService, tenant_id: str) -> None:
    with pytest.raises(ValidationError, match="invalid tenant id"):
        service.create(tenant_id)


def test_authenticate_returns_principal_with_plan(service: KeyService) -> None:
    # GIVEN a key on the pro plan
    secret, record = service.create("acme", plan="pro")
    # WHEN it authenticates
    principal = service.authenticate(secret)
    # THEN the principal names the key, tenant and plan
    assert principal.key_id == record.key_id
    assert principal.tenant_id == "acme"
    assert principal.plan.post_per_minute == resolve_plan("pro").post_per_minute
    assert principal.critical_tags == ()


@pytest.mark.parametrize(("secret", "message"), [(None, "missing"), ("", "missing")])
def test_missing_key_is_rejected_with_how_to_send(
    service: KeyService, secret: str | None, message: str
) -> None:
    with pytest.raises(AuthError, match=message) as info:
        service.authenticate(secret)
    assert "X-API-Key" in info.value.message


def test_unknown_key_is_rejected(service: KeyService) -> None:
    service.create("acme")
    with pytest.raises(AuthError, match="invalid API key"):
        service.authenticate(generate_key())


def test_revoked_key_is_rejected_and_revoke_is_idempotent(service: KeyService) -> None:
    # GIVEN two keys of one tenant, one revoked (twice)
    secret, record = service.create("acme")
    other, _ = service.create("acme")
    service.revoke(record.key_id)
    revoked = service.revoke(record.key_id)
    # THEN the revoked one fails with a message saying so and the other still works
    assert revoked.revoked
    with pytest.raises(AuthError, match="revoked"):
        service.authenticate(secret)
    assert service.authenticate(other).tenant_id == "acme"


def test_revoking_unknown_key_is_not_found(service: KeyService) -> None:
    with pytest.raises(NotFoundError):
        service.revoke("key_missing")


def test_list_filters_by_tenant(service: KeyService) -> None:
    # GIVEN keys of two tenants
    _, a1 = service.create("acme")
    _, b1 = service.create("beta")
    _, a2 = service.create("acme")
    # WHEN listed THEN each tenant sees its own, in creation order; no filter lists all
    assert [k.key_id for k in service.list("acme")] == [a1.key_id, a2.key_id]
    assert {k.key_id for k in service.list()} == {a1.key_id, a2.key_id, b1.key_id}
