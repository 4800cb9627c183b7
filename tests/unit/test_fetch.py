"""Unit tests of framelens.jobs.fetch: the SSRF guard, pinning, redirects and limits."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import httpx
import pytest

from framelens.errors import FetchRefusedError
from framelens.jobs.fetch import address_refusal, fetch_to_file, vet_url

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PAYLOAD = bytes(range(256)) * 8  # 2048 bytes
DNS = {
    "public.test": ["93.184.216.34"],
    "public6.test": ["2606:2800:220:1:248:1893:25c8:1946"],
    "media.test": ["127.0.0.1"],
    "loop.test": ["127.0.0.1"],
    "private.test": ["10.0.0.5"],
    "meta.test": ["169.254.169.254"],
    "mixed.test": ["93.184.216.34", "192.168.1.7"],
    "mapped.test": ["::ffff:10.0.0.5"],
    "sixtofour.test": ["2002:a00:5::1"],
    "nat64.test": ["64:ff9b::a9fe:a9fe"],
    "cgnat.test": ["100.64.0.1"],
    "ula.test": ["fd00::1"],
    "awsmeta6.test": ["fd00:ec2::254"],
    "mcast.test": ["224.0.0.1"],
    "zero.test": ["0.0.0.0"],
    "linklocal6.test": ["fe80::1%eth0"],
}


def resolver(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
    """A test DNS: names from ``DNS``; anything else does not resolve."""
    if host not in DNS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    out: list[tuple[object, ...]] = []
    for ip in DNS[host]:
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        out.append((family, socket.SOCK_STREAM, 6, "", (ip, port)))
    return out


# -- the address and URL guard (no network) ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://loop.test/a", "resolves to a loopback address (127.0.0.1)"),
        ("https://private.test/a", "resolves to a private address (10.0.0.5)"),
        ("https://meta.test/latest", "resolves to the cloud metadata address (169.254.169.254)"),
        ("https://mixed.test/a", "a private address (192.168.1.7)"),
        ("https://mapped.test/a", "(10.0.0.5)"),
        ("https://sixtofour.test/a", "(10.0.0.5)"),
        ("https://nat64.test/a", "the cloud metadata address (169.254.169.254)"),
        ("https://cgnat.test/a", "a non-public address (100.64.0.1)"),
        ("https://ula.test/a", "a private address (fd00::1)"),
        ("https://awsmeta6.test/a", "the cloud metadata address (fd00:ec2::254)"),
        ("https://mcast.test/a", "a multicast address (224.0.0.1)"),
        ("https://zero.test/a", "an unspecified address (0.0.0.0)"),
        ("https://linklocal6.test/a", "a link-local address (fe80::1)"),
        ("https://127.0.0.1/a", "host 127.0.0.1 is a loopback address"),
        ("https://[::1]/a", "is a loopback address (::1)"),
        ("https://169.254.169.254/latest/meta-data/", "is the cloud metadata address"),
        ("https://10.1.2.3:8443/a", "is a private address (10.1.2.3)"),
        ("http://public.test/a", "only https:// URLs are allowed (got http scheme)"),
        ("ftp://public.test/a", "only https:// URLs are allowed (got ftp scheme)"),
        ("file:///etc/passwd", "only https://"),
        ("https://nowhere.test/a", "cannot resolve host nowhere.test"),
        ("https:///a", "no host"),
    ],
)
def test_refusals_name_the_reason(url: str, reason: str) -> None:
    with pytest.raises(FetchRefusedError, match=r"^refused: ") as info:
        vet_url(url, resolver=resolver)
    assert reason in info.value.message
    assert info.value.http_status == 400


def test_public_host_is_pinned_with_original_host_and_sni() -> None:
    target = vet_url("https://public.test/v.mp4?sig=1", resolver=resolver)
    assert target.pinned_url == "https://93.184.216.34/v.mp4?sig=1"
    assert (target.host_header, target.ip) == ("public.test", "93.184.216.34")
    assert target.extensions == {"sni_hostname": "public.test"}


def test_ipv6_public_host_is_pinned_in_brackets() -> None:
    target = vet_url("https://public6.test:8443/v", resolver=resolver)
    assert target.pinned_url == "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/v"
    assert target.host_header == "public6.test:8443"


def test_allow_private_permits_http_and_loopback() -> None:
    target = vet_url("http://loop.test:8080/v", allow_private=True, resolver=resolver)
    assert target.pinned_url == "http://127.0.0.1:8080/v"
    assert target.extensions == {}


@pytest.mark.parametrize("ip", ["8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_public_addresses_pass(ip: str) -> None:
    assert address_refusal(ipaddress.ip_address(ip)) is None


# -- redirects re-vetted at every hop (in-memory transport: the first hop must be public) ---


def _mock_client(location: str, seen: list[httpx.Request]):
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": location})

    return lambda: httpx.Client(transport=httpx.MockTransport(handle))


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://private.test/x", "private.test resolves to a private address (10.0.0.5)"),
        ("https://169.254.169.254/latest/meta-data/", "the cloud metadata address"),
        ("http://public.test/x", "only https://"),
    ],
)
def test_redirect_to_a_refused_target_is_refused(
    tmp_path: Path, location: str, reason: str
) -> None:
    # GIVEN a public source that redirects somewhere refused
    seen: list[httpx.Request] = []
    with pytest.raises(FetchRefusedError) as info:
        fetch_to_file(
            "https://public.test/start",
            tmp_path / "out",
            max_bytes=10_000,
            timeout_s=5,
            max_redirects=5,
            resolver=resolver,
            client_factory=_mock_client(location, seen),
        )
    # THEN only the first hop was requested, pinned to the vetted address with host and SNI
    assert reason in info.value.message
    assert [str(r.url) for r in seen] == ["https://93.184.216.34/start"]
    assert seen[0].headers["host"] == "public.test"
    assert seen[0].extensions["sni_hostname"] == "public.test"
    assert not (tmp_path / "out").exists()


# -- a real local server (allow_private=True) -----------------------------------------------


@dataclass
class Origin:
    port: int = 0
    scheme: str = "http"
    hosts: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "media.test") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    origin: Origin

    def do_GET(self) -> None:
        self.origin.hosts.append(self.headers.get("Host", ""))
        if self.path == "/video.bin":
            self._send(200, PAYLOAD, {"Content-Length": str(len(PAYLOAD))})
        elif self.path == "/no-length":  # HTTP/1.0 body delimited by close
            self._send(200, PAYLOAD, {})
        elif self.path == "/hop":
            self._send(302, b"", {"Location": "/video.bin", "Content-Length": "0"})
        elif self.path == "/loop":
            self._send(302, b"", {"Location": "/loop", "Content-Length": "0"})
        elif self.path == "/stall":
            self.send_response(200)
            self.end_headers()
            self.wfile.flush()
            time.sleep(1.0)
        else:
            self._send(404, b"", {"Content-Length": "0"})

    def _send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "video/mp4")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serve(origin: Origin, tls: ssl.SSLContext | None = None) -> Iterator[Origin]:
    handler = type("Handler", (_Handler,), {"origin": origin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        origin.scheme = "https"
    origin.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def origin() -> Iterator[Origin]:
    with _serve(Origin()) as serving:
        yield serving


def _fetch(url: str, dest: Path, **kw: object):
    options: dict[str, object] = {
        "max_bytes": 10_000,
        "timeout_s": 5.0,
        "max_redirects": 3,
        "allow_private": True,
        "resolver": resolver,
    }
    options.update(kw)
    return fetch_to_file(url, dest, **options)  # type: ignore[arg-type]


def test_happy_path_follows_relative_redirect_and_pins(origin: Origin, tmp_path: Path) -> None:
    # GIVEN a name resolved (by the injected resolver) to the local origin, which redirects once
    dest = tmp_path / "v.bin"
    fetched = _fetch(origin.url("/hop"), dest)
    # THEN the bytes arrived, the final URL keeps the name, and every hop sent the real Host
    assert dest.read_bytes() == PAYLOAD
    assert (fetched.size, fetched.content_type) == (len(PAYLOAD), "video/mp4")
    assert fetched.final_url == origin.url("/video.bin")
    assert origin.hosts == [f"media.test:{origin.port}"] * 2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/video.bin", "is 2048 bytes, more than the limit of 1000"),  # refused on Content-Length
        ("/no-length", "larger than the limit of 1000 bytes"),  # refused while streaming
    ],
)
def test_size_limit_refuses_and_removes_the_partial_file(
    origin: Origin, tmp_path: Path, path: str, message: str
) -> None:
    dest = tmp_path / "v.bin"
    with pytest.raises(FetchRefusedError) as info:
        _fetch(origin.url(path), dest, max_bytes=1000)
    assert message in info.value.message
    assert not dest.exists()


def test_too_many_redirects(origin: Origin, tmp_path: Path) -> None:
    with pytest.raises(FetchRefusedError, match="more than 3 redirects"):
        _fetch(origin.url("/loop"), tmp_path / "v.bin", max_redirects=3)
    assert len(origin.hosts) == 4  # the first request plus three followed redirects


def test_error_status_is_refused(origin: Origin, tmp_path: Path) -> None:
    with pytest.raises(FetchRefusedError, match="answered HTTP 404"):
        _fetch(origin.url("/missing"), tmp_path / "v.bin")


def test_stalled_source_hits_the_time_limit(origin: Origin, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(FetchRefusedError, match=r"longer than 0\.3 s"):
        _fetch(origin.url("/stall"), tmp_path / "v.bin", timeout_s=0.3)
    assert time.monotonic() - started < 0.9
    assert not (tmp_path / "v.bin").exists()


def test_total_time_limit_spans_the_whole_download(origin: Origin, tmp_path: Path) -> None:
    # GIVEN a clock that jumps past the deadline once streaming has started
    ticks = iter([0.0, 1.0])

    def clock() -> float:
        return next(ticks, 100.0)

    with pytest.raises(FetchRefusedError, match="longer than 5 s"):
        _fetch(origin.url("/video.bin"), tmp_path / "v.bin", clock=clock)


def test_loopback_origin_is_refused_by_default(origin: Origin, tmp_path: Path) -> None:
    with pytest.raises(FetchRefusedError, match="loopback"):
        _fetch(
            origin.url("/video.bin").replace("http", "https", 1),
            tmp_path / "v",
            allow_private=False,
        )
    assert origin.hosts == []


# -- TLS: pinned to the IP, yet the certificate is checked against the name ----------------


def _tls_pair(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


@pytest.mark.parametrize(("cert_name", "ok"), [("media.test", True), ("other.test", False)])
def test_tls_verifies_the_original_name_while_pinned(
    tmp_path: Path, cert_name: str, ok: bool
) -> None:
    # GIVEN an https origin on 127.0.0.1 whose certificate names cert_name
    server_ctx, client_ctx = _tls_pair(tmp_path, cert_name)
    dest = tmp_path / "v.bin"
    factory = lambda: httpx.Client(verify=client_ctx, trust_env=False)  # noqa: E731 - one-liner
    with _serve(Origin(), tls=server_ctx) as origin:
        # WHEN media.test (pinned to 127.0.0.1) is fetched over TLS
        if ok:
            # THEN a certificate for media.test is accepted
            assert _fetch(origin.url("/video.bin"), dest, client_factory=factory).size == 2048
        else:
            # THEN a certificate for another name is rejected, as it would be without pinning
            with pytest.raises(FetchRefusedError, match="could not download"):
                _fetch(origin.url("/video.bin"), dest, client_factory=factory)
