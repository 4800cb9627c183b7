"""Unit tests of webhooks on the wire (signing, one attempt to a real local receiver), the retry
schedule and sealed secrets."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from framelens.errors import StoreError
from framelens.jobs.deliveries import delivery_id
from framelens.jobs.retry_schedule import RetryPolicy, is_retryable
from framelens.jobs.secret_box import SEALED_PREFIX, SecretBox
from framelens.jobs.webhooks import SIGNATURE_HEADER, Attempt, attempt, sign, verify
from framelens.stores.embedded.deliveries import SqliteDeliveryStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

BODY = b'{"id":"job_1","state":"finished","progress":1.0}'
SECRET = "whsec_test"


@dataclass
class Receiver:
    """A local webhook receiver: answers ``fail_with`` to the first ``failures`` requests."""

    port: int = 0
    failures: int = 0
    fail_with: int = 500
    stall_s: float = 0.0
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if state.stall_s:
                time.sleep(state.stall_s)
            failing = len(state.requests) <= state.failures
            self.send_response(state.fail_with if failing else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _attempt(url: str, secret: str | None = SECRET, **kw: object) -> Attempt:
    options: dict[str, object] = {"timeout_s": 2.0, "allow_private": True}
    options.update(kw)
    return attempt(url, BODY, secret, **options)  # type: ignore[arg-type]


def test_sign_is_hex_hmac_sha256_of_exact_bytes() -> None:
    # RFC 4231 test case 2
    digest = sign(b"what do ya want for nothing?", "Jefe")
    assert digest == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


@pytest.mark.parametrize(
    ("body", "signature", "ok"),
    [
        (BODY, sign(BODY, SECRET), True),
        (BODY, sign(BODY, SECRET).upper(), True),
        (BODY + b" ", sign(BODY, SECRET), False),
        (BODY, sign(BODY, "other"), False),
        (BODY, "", False),
        (BODY, None, False),
        (BODY, "é" * 64, False),
    ],
)
def test_verify(body: bytes, signature: str | None, ok: bool) -> None:
    assert verify(body, SECRET, signature) is ok


def test_signed_delivery(receiver: Receiver) -> None:
    # GIVEN a receiver that accepts WHEN a signed webhook is sent
    outcome = _attempt(receiver.url())
    # THEN it arrived once, as JSON, with a signature that verifies against the exact body
    assert outcome == Attempt(204, None, retryable=False)
    assert outcome.delivered
    headers, body = receiver.requests[0]
    assert body == BODY
    assert headers["content-type"] == "application/json"
    assert verify(body, SECRET, headers[SIGNATURE_HEADER.lower()])


def test_unsigned_without_secret(receiver: Receiver) -> None:
    assert _attempt(receiver.url(), secret=None).delivered
    assert SIGNATURE_HEADER.lower() not in receiver.requests[0][0]


@pytest.mark.parametrize(
    ("code", "retryable"),
    [(500, True), (503, True), (429, True), (408, True), (400, False), (404, False), (301, False)],
)
def test_failed_answers_say_whether_to_retry(
    receiver: Receiver, code: int, retryable: bool
) -> None:
    receiver.failures, receiver.fail_with = 1, code
    outcome = _attempt(receiver.url())
    assert outcome == Attempt(code, f"receiver answered HTTP {code}", retryable=retryable)
    assert not outcome.delivered


def test_connection_errors_are_retryable_without_leaking_credentials() -> None:
    # GIVEN a port nobody listens on, and a URL carrying credentials
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = _attempt(f"http://user:hunter2@127.0.0.1:{port}/hook")
    # THEN the failure is named, retryable, and holds no URL or password
    assert outcome == Attempt(None, "connection failed (ConnectError)", retryable=True)


def test_timeout_is_retryable_and_named(receiver: Receiver) -> None:
    receiver.stall_s = 1.0
    outcome = _attempt(receiver.url(), timeout_s=0.2)
    assert outcome == Attempt(None, "timed out after 0.2 s", retryable=True)


def test_private_receiver_is_refused_for_good_without_allow_private(receiver: Receiver) -> None:
    # GIVEN the default SSRF guard WHEN the receiver is on loopback
    outcome = attempt(receiver.url(scheme="https"), BODY, SECRET, timeout_s=1.0)
    # THEN nothing is sent and the refusal is final, naming the reason
    assert outcome.status_code is None and outcome.retryable is False
    assert outcome.error is not None
    assert "loopback" in outcome.error
    assert receiver.requests == []


def test_connects_to_the_resolved_address_with_the_original_host(receiver: Receiver) -> None:
    # GIVEN a name that the injected resolver maps to the receiver
    def resolver(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        assert host == "hooks.test"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    outcome = _attempt(receiver.url(host="hooks.test"), resolver=resolver)
    # THEN the request reached it and carried the original Host header
    assert outcome.delivered
    assert receiver.requests[0][0]["host"] == f"hooks.test:{receiver.port}"


# ---- the retry schedule ---------------------------------------------------------------------

POLICY = RetryPolicy(base_s=10, max_step_s=3600, max_attempts=40, max_age_s=86400)


def test_delays_double_from_the_base_and_are_capped_per_step() -> None:
    assert [POLICY.delay_s(n, jitter=1.0) for n in (1, 2, 3, 9, 10, 20)] == [
        10.0,
        20.0,
        40.0,
        2560.0,
        3600.0,
        3600.0,
    ]
    assert POLICY.delay_s(3, jitter=0.5) == 20.0


def test_jitter_stays_between_half_and_all_of_the_step() -> None:
    delays = {POLICY.delay_s(4) for _ in range(200)}
    assert all(40.0 <= d <= 80.0 for d in delays)
    assert len(delays) > 100  # spread, so receivers coming back are not hit all at once


def test_gives_up_after_max_attempts_or_past_the_window() -> None:
    queued = datetime(2026, 1, 1, tzinfo=UTC)
    # within both limits: a time in the future
    at = POLICY.next_attempt(3, queued, queued + timedelta(minutes=5))
    assert at is not None and at > queued + timedelta(minutes=5)
    # the 40th attempt failed: given up
    assert POLICY.next_attempt(40, queued, queued + timedelta(hours=1)) is None
    # the next attempt would fall more than 24 h after it was queued: given up
    assert POLICY.next_attempt(12, queued, queued + timedelta(hours=23, minutes=59)) is None


def test_the_default_schedule_rides_out_a_long_outage() -> None:
    # Worst case (every delay at half its step): how long a receiver may stay down.
    total, n = 0.0, 1
    while n < POLICY.max_attempts and total + POLICY.delay_s(n, jitter=0.5) <= POLICY.max_age_s:
        total += POLICY.delay_s(n, jitter=0.5)
        n += 1
    assert total > 15 * 3600  # hours, not the old 15 seconds


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        (None, True),
        (500, True),
        (502, True),
        (408, True),
        (429, True),
        (400, False),
        (401, False),
        (410, False),
        (302, False),
    ],
)
def test_which_answers_are_retried(code: int | None, retryable: bool) -> None:
    assert is_retryable(code) is retryable


# ---- sealed secrets ---------------------------------------------------------------------------


def test_secrets_are_sealed_and_opened_only_with_the_key() -> None:
    box = SecretBox(b"k" * 32)
    sealed = box.seal("s3cret")
    assert sealed is not None and sealed.startswith(SEALED_PREFIX) and "s3cret" not in sealed
    assert box.open(sealed) == "s3cret"
    assert box.seal(sealed) == sealed  # sealing twice changes nothing
    assert box.seal(None) is None and box.open(None) is None
    assert box.open("plain-from-before") == "plain-from-before"
    with pytest.raises(StoreError, match="another key"):
        SecretBox(b"x" * 32).open(sealed)


def test_a_secret_s_digest_is_deterministic_and_keyed() -> None:
    box = SecretBox(b"k" * 32)
    assert box.digest("s3cret") == box.digest("s3cret")
    assert box.digest("s3cret") != box.digest("s3cret2")
    assert box.digest("s3cret") != SecretBox(b"x" * 32).digest("s3cret")
    # a key read on first use, once
    reads: list[int] = []
    lazy = SecretBox(lambda: reads.append(1) or b"k" * 32)
    assert lazy.digest("s3cret") == box.digest("s3cret")
    assert lazy.open(lazy.seal("s3cret")) == "s3cret"
    assert reads == [1]


def test_the_local_store_drops_final_deliveries_past_retention(tmp_path: Path) -> None:
    from framelens.schemas.deliveries import Delivery
    from framelens.stores.embedded import build_embedded_stores, close_embedded_stores

    stores = build_embedded_stores(tmp_path / "data")
    queue = stores.deliveries
    assert isinstance(queue, SqliteDeliveryStore)
    old = datetime(2026, 1, 1, tzinfo=UTC)

    def record(n: int, at: datetime, state: str) -> Delivery:
        return Delivery(
            delivery_id=delivery_id(at, f"{n:04d}"),
            tenant_id="acme",
            job_id=f"job-{n}",
            kind="job",
            event="job.finished",
            url="https://hooks.example.com/x",
            body_key=f"webhooks/acme/{n}.json",
            state=state,  # type: ignore[arg-type]
            time_created=at,
        )

    queue.create(record(1, old, "delivered"))
    queue.create(record(2, old, "failed"))
    queue.create(record(3, old, "pending"))  # still to send: kept whatever its age
    queue.create(record(4, old + timedelta(days=40), "delivered"))
    try:
        assert queue.delete_final_before(old + timedelta(days=10)) == 2
        kept, _ = queue.list("acme")
        assert sorted(d.job_id for d in kept) == ["job-3", "job-4"]
    finally:
        close_embedded_stores(stores)
