"""Webhooks: signing a job's final JSON and delivering it with retries (seed 001).

Owns: the signature (``X-Webhook-Signature`` = hex HMAC-SHA256 of the exact body bytes, sent
only when the job set a secret), the retry policy (exponential backoff on connection errors,
timeouts, 5xx and 429; other 4xx and 3xx are final) and the ``WebhookDelivery`` record.
Does not own: when a webhook is sent or storing the outcome on the job (``jobs.service``).
The receiver's address goes through the same SSRF guard as fetched sources (``jobs.fetch``).
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import time
from typing import TYPE_CHECKING

from framelens.errors import FetchRefusedError
from framelens.jobs.fetch import vet_url
from framelens.schemas.common import utcnow
from framelens.schemas.jobs import WebhookDelivery

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from framelens.jobs.fetch import Resolver

__all__ = ["SIGNATURE_HEADER", "deliver", "sign", "verify"]

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


def deliver(
    url: str,
    body: bytes,
    secret: str | None,
    *,
    max_attempts: int,
    backoff_s: float,
    timeout_s: float,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    allow_private: bool = False,
    resolver: Resolver = socket.getaddrinfo,
) -> WebhookDelivery:
    """POST ``body`` to ``url`` until it is accepted, a final error, or attempts run out.

    Retries wait ``backoff_s * 2**n`` seconds after the n-th failure (n from 0). Recorded
    errors name the failure only, never the URL (it may hold credentials) or the secret.

    Args:
        url: The receiver; ``https://`` and public unless ``allow_private``.
        body: The exact bytes to send (the signature covers these bytes).
        secret: The job's webhook secret; ``None`` sends the webhook unsigned.
        max_attempts: Attempts in total (at least one is made).
        backoff_s: First retry delay in seconds.
        timeout_s: Limit on each attempt.
        client: An ``httpx.Client`` to reuse (not closed); a fresh one otherwise.
        sleep: Waits between attempts (injected in tests).
        allow_private: Allow http and non-public receivers (the local server's tests).
        resolver: ``socket.getaddrinfo`` or a test double.

    Returns:
        The outcome: ``status`` is ``"delivered"`` or ``"failed"``.

    Examples:
        >>> deliver("https://hooks.example.com/framelens", b'{"id":"j1"}', "s3cret",
        ...         max_attempts=5, backoff_s=1, timeout_s=10)  # doctest: +SKIP
        WebhookDelivery(status='delivered', attempts=1, last_status_code=200, ...)
    """
    import httpx  # lazy: keep the API's cold path light

    headers = {"Content-Type": "application/json", "User-Agent": _USER_AGENT}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    own_client = client is None
    http = client if client is not None else httpx.Client(trust_env=False)
    outcome = WebhookDelivery(status="failed")
    try:
        for attempt in range(max(1, max_attempts)):
            if attempt:
                sleep(backoff_s * 2 ** (attempt - 1))
            outcome.attempts = attempt + 1
            try:
                # Re-vetted every attempt: DNS may change between retries.
                target = vet_url(url, allow_private=allow_private, resolver=resolver)
            except FetchRefusedError as exc:
                outcome.last_error = exc.message
                break
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
                outcome.last_error = f"timed out after {timeout_s:g} s"
                continue
            except httpx.HTTPError as exc:
                outcome.last_error = f"connection failed ({type(exc).__name__})"
                continue
            outcome.last_status_code = code
            if 200 <= code < 300:
                outcome.status = "delivered"
                outcome.last_error = None
                outcome.time_delivered = utcnow()
                break
            outcome.last_error = f"receiver answered HTTP {code}"
            if code != 429 and code < 500:
                break
    finally:
        if own_client:
            http.close()
    return outcome
