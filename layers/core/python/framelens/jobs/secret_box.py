"""Sealing webhook secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a server key.

Owns: ``SecretBox`` (seal a secret before it is stored, open it just before signing) and the
sealed-value format ``fernet:<token>``. Values without that prefix were stored before secrets
were sealed and are read as they are. Does not own where the key comes from: the composition root
gives it (``FRAMELENS_WEBHOOK_SECRET_KEY``, else on the embedded backend a key file created 0600
in the data folder).

Examples:
    >>> box = SecretBox(SecretBox.new_key())
    >>> sealed = box.seal("s3cret")
    >>> sealed.startswith("fernet:") and box.open(sealed)
    's3cret'
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from framelens.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from cryptography.fernet import Fernet

__all__ = ["SEALED_PREFIX", "SecretBox"]

SEALED_PREFIX = "fernet:"


class SecretBox:
    """Seals and opens short secrets with one key.

    Args:
        key: Any high-entropy bytes (a Fernet key or 32 random bytes), or a function returning
            them on first use (a process that never seals or opens never reads the key); a
            Fernet key is derived with SHA-256, so a key file and a configured string both work.
    """

    def __init__(self, key: bytes | Callable[[], bytes]) -> None:
        self._key = key
        self._fernet_obj: Fernet | None = None

    def _key_bytes(self) -> bytes:
        if not isinstance(self._key, bytes):
            self._key = self._key()  # read once (a key file, or Secrets Manager in AWS)
        return self._key

    @property
    def _fernet(self) -> Fernet:
        if self._fernet_obj is None:
            from cryptography.fernet import Fernet  # lazy: only processes that seal or open

            derived = hashlib.sha256(self._key_bytes()).digest()
            self._fernet_obj = Fernet(base64.urlsafe_b64encode(derived))
        return self._fernet_obj

    @staticmethod
    def new_key() -> bytes:
        """32 random bytes, a fresh key."""
        import secrets

        return secrets.token_bytes(32)

    def seal(self, secret: str | None) -> str | None:
        """``secret`` encrypted (``fernet:<token>``); ``None`` and sealed values pass through."""
        if secret is None or secret.startswith(SEALED_PREFIX):
            return secret
        return SEALED_PREFIX + self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def digest(self, secret: str) -> str:
        """A keyed, deterministic digest of ``secret`` (HMAC-SHA256 under the box's key): what
        may stand in for it where equality matters, such as an idempotent request's hash."""
        import hmac

        return hmac.new(self._key_bytes(), secret.encode("utf-8"), hashlib.sha256).hexdigest()

    def open(self, stored: str | None) -> str | None:
        """The plain secret of a stored value (a value stored before sealing is returned as is).

        Raises:
            StoreError: the value was sealed under another key (the key changed).
        """
        if stored is None or not stored.startswith(SEALED_PREFIX):
            return stored
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(stored.removeprefix(SEALED_PREFIX).encode()).decode()
        except InvalidToken as exc:
            raise StoreError(
                "a webhook secret was sealed under another key; restore the key "
                "(FRAMELENS_WEBHOOK_SECRET_KEY or <data dir>/webhooks.key) or set the secret again"
            ) from exc
