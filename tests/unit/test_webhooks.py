"""Unit tests of framelens.jobs.webhooks: signing, and delivery to a real local receiver."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from framelens.jobs.webhooks import SIGNATURE_HEADER, deliver, sign, verify

if TYPE_CHECKING:
    from collections.abc import Iterator

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


class Sleeps(list[float]):
    """Records the backoff delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _deliver(url: str, sleeps: Sleeps, secret: str | None = SECRET, **kw: object):
    options: dict[str, object] = {"max_attempts": 4, "backoff_s": 0.5, "timeout_s": 2.0}
    options.update(kw)
    return deliver(url, BODY, secret, sleep=sleeps, allow_private=True, **options)  # type: ignore[arg-type]


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


def test_signed_delivery_on_first_try(receiver: Receiver) -> None:
    # GIVEN a receiver that accepts WHEN a signed webhook is delivered
    sleeps = Sleeps()
    outcome = _deliver(receiver.url(), sleeps)
    # THEN it arrived once, as JSON, with a signature that verifies against the exact body
    assert outcome.status == "delivered"
    assert (outcome.attempts, outcome.last_status_code, outcome.last_error) == (1, 204, None)
    assert outcome.time_delivered is not None
    headers, body = receiver.requests[0]
    assert body == BODY
    assert headers["content-type"] == "application/json"
    assert verify(body, SECRET, headers[SIGNATURE_HEADER.lower()])
    assert sleeps == []


def test_unsigned_without_secret(receiver: Receiver) -> None:
    outcome = _deliver(receiver.url(), Sleeps(), secret=None)
    assert outcome.status == "delivered"
    assert SIGNATURE_HEADER.lower() not in receiver.requests[0][0]


@pytest.mark.parametrize("code", [500, 503, 429])
def test_retries_with_exponential_backoff_then_delivers(receiver: Receiver, code: int) -> None:
    # GIVEN a receiver failing the first two requests
    receiver.failures, receiver.fail_with = 2, code
    sleeps = Sleeps()
    # WHEN delivered with 0.5 s backoff
    outcome = _deliver(receiver.url(), sleeps)
    # THEN the third attempt succeeds after waits of 0.5 and 1.0 s, each request signed alike
    assert (outcome.status, outcome.attempts, outcome.last_status_code) == ("delivered", 3, 204)
    assert sleeps == [0.5, 1.0]
    assert len(receiver.requests) == 3
    assert all(verify(b, SECRET, h[SIGNATURE_HEADER.lower()]) for h, b in receiver.requests)


def test_gives_up_after_max_attempts(receiver: Receiver) -> None:
    receiver.failures = 99
    sleeps = Sleeps()
    outcome = _deliver(receiver.url(), sleeps, max_attempts=3)
    assert (outcome.status, outcome.attempts, outcome.last_status_code) == ("failed", 3, 500)
    assert outcome.last_error == "receiver answered HTTP 500"
    assert outcome.time_delivered is None
    assert sleeps == [0.5, 1.0]
    assert len(receiver.requests) == 3


def test_client_error_is_final(receiver: Receiver) -> None:
    receiver.failures, receiver.fail_with = 99, 400
    outcome = _deliver(receiver.url(), Sleeps())
    assert (outcome.status, outcome.attempts, outcome.last_status_code) == ("failed", 1, 400)
    assert len(receiver.requests) == 1


def test_connection_errors_are_retried_without_leaking_credentials() -> None:
    # GIVEN a port nobody listens on, and a URL carrying credentials
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    outcome = _deliver(f"http://user:hunter2@127.0.0.1:{port}/hook", sleeps, max_attempts=2)
    # THEN both attempts fail as connection errors and the record holds no URL or password
    assert (outcome.status, outcome.attempts, outcome.last_status_code) == ("failed", 2, None)
    assert outcome.last_error == "connection failed (ConnectError)"
    assert sleeps == [0.5]


def test_timeout_is_retried_and_recorded(receiver: Receiver) -> None:
    receiver.stall_s = 1.0
    outcome = _deliver(receiver.url(), Sleeps(), max_attempts=2, timeout_s=0.2)
    assert (outcome.status, outcome.attempts) == ("failed", 2)
    assert outcome.last_error == "timed out after 0.2 s"


def test_private_receiver_is_refused_without_allow_private(receiver: Receiver) -> None:
    # GIVEN the default SSRF guard WHEN the receiver is on loopback
    outcome = deliver(
        receiver.url(scheme="https"),
        BODY,
        SECRET,
        max_attempts=3,
        backoff_s=0.5,
        timeout_s=1.0,
        sleep=Sleeps(),
    )
    # THEN nothing is sent and the refusal is final, naming the reason
    assert (outcome.status, outcome.attempts) == ("failed", 1)
    assert outcome.last_error is not None
    assert "loopback" in outcome.last_error
    assert receiver.requests == []


def test_connects_to_the_resolved_address_with_the_original_host(receiver: Receiver) -> None:
    # GIVEN a name that the injected resolver maps to the receiver
    def resolver(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        assert host == "hooks.test"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    outcome = _deliver(receiver.url(host="hooks.test"), Sleeps(), resolver=resolver)
    # THEN the request reached it and carried the original Host header
    assert outcome.status == "delivered"
    assert receiver.requests[0][0]["host"] == f"hooks.test:{receiver.port}"
