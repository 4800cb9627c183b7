"""Webhooks on the wire: the signature, and one POST of a body to a receiver (seed 001).

Owns: the signature (``X-Webhook-Signature`` = hex HMAC-SHA256 of the exact body bytes, sent
only when a secret is set) and one attempt (``attempt``: which answers are success, final or
worth retrying). Does not own the retry schedule (``jobs.retry_schedule``), the delivery record
and queue (``jobs.deliveries``) or the worker that sends (``jobs.delivery_worker``). The
receiver's address goes through the same SSRF guard as fetched sources (``jobs.fetch``).
"""

from __future__ import annotations

import hashlib
import hmac
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from framelens.errors import FetchRefusedError
from framelens.jobs.fetch import vet_url
from framelens.jobs.retry_schedule import is_retryable

if TYPE_CHECKING:
    import httpx

    from framelens.jobs.fetch import Resolver

__all__ = ["SIGNATURE_HEADER", "Attempt", "attempt", "sign", "verify"]

SIGNATURE_HEADER = "X-Webhook-Signature"
_USER_AGENT = "framelens-webhook/1"


def sign(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of ``body`` under ``secret``: the ``X-Webhook-Signature`` value.

    Examples:
        >>> sign(b'{"id":"j1"}', "s3cret")[:16]
        '85efb0f1498ea053'
    """
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    """Whether ``signature`` is the signature of ``body`` under ``secret`` (constant time).

    Examples:
        >>> verify(b"{}", "k", sign(b"{}", "k"))
        True
    """
    if not signature:
        return False
    try:
        return hmac.compare_digest(sign(body, secret), signature.strip().lower())
    except TypeError:  # non-ASCII text cannot be a hex digest
        return False


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST went: ``status_code`` (``None``: no answer), an error naming the failure
    (``None`` when delivered) and whether trying again may help."""

    status_code: int | None
    error: str | None
    retryable: bool

    @property
    def delivered(self) -> bool:
        """The receiver accepted it (2xx)."""
        return self.error is None


def attempt(
    url: str,
    body: bytes,
    secret: str | None,
    *,
    timeout_s: float,
    client: httpx.Client | None = None,
    allow_private: bool = False,
    resolver: Resolver = socket.getaddrinfo,
) -> Attempt:
    """POST ``body`` to ``url`` once. Errors name the failure only, never the URL (it may hold
    credentials) or the secret.

    Args:
        url: The receiver; ``https://`` and public unless ``allow_private`` (re-vetted on every
            attempt: DNS may change between retries).
        body: The exact bytes to send (the signature covers these bytes).
        secret: The plain signing secret; ``None`` sends the webhook unsigned.
        timeout_s: Limit on the attempt (connect, send, first response byte).
        client: An ``httpx.Client`` to reuse (not closed); a fresh one otherwise.
        allow_private: Allow http and non-public receivers (the local server's tests).
        resolver: ``socket.getaddrinfo`` or a test double.

    Returns:
        The outcome; retryable: no answer, 5xx, 408, 429 (``retry_schedule.is_retryable``).

    Examples:
        >>> attempt("https://hooks.example.com/fl", b'{"id":"j1"}', "s3cret",
        ...         timeout_s=10)  # doctest: +SKIP
        Attempt(status_code=200, error=None, retryable=False)
    """
    import httpx  # lazy: keep the API's cold path light

    headers = {"Content-Type": "application/json", "User-Agent": _USER_AGENT}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    try:
        target = vet_url(url, allow_private=allow_private, resolver=resolver)
    except FetchRefusedError as exc:
        return Attempt(None, exc.message, retryable=False)
    own_client = client is None
    http = client if client is not None else httpx.Client(trust_env=False)
    try:
        with http.stream(
            "POST",
            target.pinned_url,
            content=body,
            headers={**headers, "Host": target.host_header},
            extensions=target.extensions,
            timeout=timeout_s,
            follow_redirects=False,
        ) as resp:
            # The response body is never read: a receiver cannot make us buffer it.
            code = resp.status_code
    except httpx.TimeoutException:
        return Attempt(None, f"timed out after {timeout_s:g} s", retryable=True)
    except httpx.HTTPError as exc:
        return Attempt(None, f"connection failed ({type(exc).__name__})", retryable=True)
    finally:
        if own_client:
            http.close()
    if 200 <= code < 300:
        return Attempt(code, None, retryable=False)
    return Attempt(code, f"receiver answered HTTP {code}", retryable=is_retryable(code))
