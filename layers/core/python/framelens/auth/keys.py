"""API keys: generating, hashing, reading them from headers, and the key lifecycle.

Owns: the key format (``fl_`` + 32 random bytes, urlsafe), hashing (only SHA-256 hashes are
stored), the three accepted header forms, and ``KeyService`` (create, list, revoke,
authenticate). Does not own: where keys live (``KeyStore`` port) or rate limits (``limits``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING

from framelens.auth.principal import Principal, resolve_plan
from framelens.errors import AuthError, ValidationError
from framelens.schemas.auth import KeyRecord, Plan, Tenant

if TYPE_CHECKING:
    import builtins
    from collections.abc import Mapping

    from framelens.stores.ports import KeyStore

__all__ = ["KEY_PREFIX", "KeyService", "extract_key", "generate_key", "hash_key"]

KEY_PREFIX = "fl_"
_SHOWN_CHARS = len(KEY_PREFIX) + 8  # what `keys list` shows so people can tell keys apart
# Tenant ids end up inside counter names joined by '#', so keep them to a safe alphabet.
_TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_HOW_TO_SEND = (
    "send it as 'X-API-Key: <key>', 'Authorization: Bearer <key>' or 'Authorization: Key <key>'"
)


def generate_key() -> str:
    """A new secret API key: ``fl_`` followed by 32 random bytes, urlsafe base64.

    Examples:
        >>> generate_key().startswith("fl_")
        True
    """
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(secret: str) -> str:
    """The SHA-256 hex digest of a key: the only form of a key that is ever stored.

    Examples:
        >>> len(hash_key("fl_abc"))
        64
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def extract_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request carries, or ``None``.

    Accepts ``X-API-Key: k`` (seed 000), ``Authorization: Bearer k`` (seed 002) and
    ``Authorization: Key k`` (seed 003). Header names are case-insensitive, so plain dicts
    (API Gateway events) work as well as Starlette's headers.

    Args:
        headers: The request headers.

    Returns:
        The key with surrounding whitespace removed, or ``None`` when no usable header is set.

    Examples:
        >>> extract_key({"authorization": "Key fl_x"})
        'fl_x'
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    direct = lowered.get("x-api-key", "").strip()
    if direct:
        return direct
    scheme, _, credential = lowered.get("authorization", "").strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() in ("bearer", "key") and credential:
        return credential
    return None


class KeyService:
    """Creates, lists, revokes and authenticates API keys over a ``KeyStore``.

    Examples:
        >>> service = KeyService(stores.keys)  # doctest: +SKIP
        >>> secret, record = service.create("acme")  # doctest: +SKIP
        >>> service.authenticate(secret).tenant_id  # doctest: +SKIP
        'acme'
    """

    def __init__(self, keys: KeyStore, default_plan: Plan | None = None) -> None:
        """Args:
        keys: Where key records and tenants are stored.
        default_plan: The limits of the ``default`` plan (``FRAMELENS_RATE_LIMIT_*`` and
            ``FRAMELENS_QUOTA_*``); they apply to every tenant on that plan, old or new.
        """
        self._keys = keys
        self._default = default_plan or resolve_plan("default")

    def _plan(self, name: str | None) -> Plan:
        return (
            self._default.model_copy() if (name or "default") == "default" else resolve_plan(name)
        )

    def create(self, tenant_id: str, plan: str | None = None) -> tuple[str, KeyRecord]:
        """Create a key for ``tenant_id``, creating the tenant if it does not exist yet.

        Args:
            tenant_id: The tenant (letters, digits, ``.``, ``_``, ``-``; at most 64 chars).
            plan: A built-in plan name. For a new tenant ``None`` means ``"default"``; for an
                existing tenant a name moves the tenant to that plan and ``None`` keeps it.

        Returns:
            The secret (shown once, never stored) and the stored record.

        Raises:
            ValidationError: The tenant id is malformed or the plan is unknown.
        """
        if not _TENANT_ID.match(tenant_id):
            raise ValidationError(
                f"invalid tenant id {tenant_id!r}: use 1-64 letters, digits, '.', '_' or '-'"
            )
        tenant = self._keys.get_tenant(tenant_id)
        if tenant is None:
            self._keys.put_tenant(Tenant(tenant_id=tenant_id, plan=self._plan(plan)))
        elif plan is not None and plan != tenant.plan.name:
            self._keys.put_tenant(tenant.model_copy(update={"plan": self._plan(plan)}))
        secret = generate_key()
        record = KeyRecord(
            key_id="key_" + secrets.token_hex(8),
            key_hash=hash_key(secret),
            tenant_id=tenant_id,
            prefix=secret[:_SHOWN_CHARS],
        )
        self._keys.put_key(record)
        return secret, record

    def revoke(self, key_id: str) -> KeyRecord:
        """Revoke a key; revoking twice is harmless.

        Raises:
            NotFoundError: No key has this id.
        """
        record = self._keys.get_key(key_id)
        if not record.revoked:
            record = record.model_copy(update={"revoked": True})
            self._keys.put_key(record)
        return record

    def authenticate(self, secret: str | None) -> Principal:
        """The principal a secret key stands for.

        Args:
            secret: The key from ``extract_key`` (``None`` when the request carried none).

        Returns:
            The key's id, tenant, plan and critical tags.

        Raises:
            AuthError: The key is missing, unknown or revoked, or its tenant was removed.
        """
        if not secret:
            raise AuthError(f"missing API key: {_HOW_TO_SEND}")
        digest = hash_key(secret)
        record = self._keys.get_key_by_hash(digest)
        # The store looks up by hash; the constant-time compare guards adapters that match
        # loosely (prefix or case-insensitive indexes) from turning into an oracle.
        if record is None or not hmac.compare_digest(record.key_hash, digest):
            raise AuthError(
                "invalid API key: it is not a key this server issued "
                "(create one with `framelens keys create --tenant NAME`)"
            )
        if record.revoked:
            raise AuthError(f"API key {record.prefix}... has been revoked; create a new key")
        tenant = self._keys.get_tenant(record.tenant_id)
        if tenant is None:
            raise AuthError(f"API key {record.prefix}... belongs to a tenant that was removed")
        return Principal(
            key_id=record.key_id,
            tenant_id=tenant.tenant_id,
            plan=self._default if tenant.plan.name == "default" else tenant.plan,
            critical_tags=tuple(tenant.critical_tags),
        )

    def list(self, tenant_id: str | None = None) -> builtins.list[KeyRecord]:
        """Key records (hashes, never secrets) of one tenant or of all, oldest first."""
        return self._keys.list_keys(tenant_id)
