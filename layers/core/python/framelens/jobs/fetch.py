"""Safe download of remote ``https://`` sources, and the SSRF guard webhooks share.

Owns: vetting a URL (scheme, DNS resolution, refusing loopback / private / link-local /
metadata / multicast / reserved addresses, including IPv4 hidden in IPv6 forms), pinning the
connection to the vetted address so DNS cannot change between check and connect (rebinding),
manual redirects re-vetted at every hop, and size and total-time limits.
Does not own: what the job does with the file (``jobs.service``) or media validation (``media``).

How pinning works: the request goes to ``https://<vetted-ip>:<port>/...`` with the original
``Host`` header and TLS SNI (httpcore's ``sni_hostname`` extension), so the certificate is
still verified against the real host name. ``trust_env=False`` keeps proxies out, since a proxy
would resolve the name again.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framelens.errors import FetchRefusedError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    import httpx

    # socket.getaddrinfo's shape: (host, port, type=...) -> [(family, type, proto, name, addr)]
    Resolver = Callable[..., Sequence[tuple[Any, ...]]]

__all__ = ["FetchedFile", "PinnedTarget", "address_refusal", "fetch_to_file", "vet_url"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# AWS/GCP/Azure instance metadata (IPv4) and AWS's IPv6 metadata endpoint.
_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: IPv4 in the low 32 bits
_USER_AGENT = "framelens-fetch/1"


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """A downloaded source: where it ended up after redirects, its size and declared type."""

    final_url: str
    size: int
    content_type: str | None


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    """A vetted URL: connect to ``ip`` while presenting ``host_header`` and ``sni_hostname``."""

    url: str  # the original URL, as the caller gave it
    pinned_url: str  # the same URL with the host replaced by the vetted IP
    host: str
    host_header: str
    ip: str
    extensions: dict[str, Any] = field(default_factory=dict)


def address_refusal(ip: IPAddress) -> str | None:
    """Why a connection to ``ip`` is refused, or ``None`` for a public address.

    IPv4 carried inside IPv6 (IPv4-mapped, 6to4, Teredo, NAT64) is judged by that IPv4 too.

    Examples:
        >>> address_refusal(ipaddress.ip_address("::ffff:10.0.0.5"))
        'a private address (10.0.0.5)'
        >>> address_refusal(ipaddress.ip_address("93.184.216.34")) is None
        True
    """
    for candidate in _embedded_addresses(ip):
        kind = _kind(candidate)
        if kind is not None:
            return f"{kind} ({candidate})"
    return None


def _embedded_addresses(ip: IPAddress) -> list[IPAddress]:
    """The addresses to judge: IPv4 carried in an IPv6 address first, then the address itself.

    Embedded ones come first so a refusal names the IPv4 a person recognises.
    """
    found: list[IPAddress] = []
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return [ip.ipv4_mapped]  # the very same destination: judge the IPv4 alone
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
        if ip in _NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    found.append(ip)
    return found


def _kind(ip: IPAddress) -> str | None:
    # Order matters only for the message: the most specific reason first.
    checks = (
        (ip in _METADATA, "the cloud metadata address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "a non-public address"),  # e.g. 100.64.0.0/10 carrier-grade NAT
    )
    return next((kind for hit, kind in checks if hit), None)


def vet_url(
    url: str, *, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo
) -> PinnedTarget:
    """Check a URL's scheme and every address its host resolves to; pin the first one.

    Args:
        url: An ``https://`` URL (``http://`` only with ``allow_private``).
        allow_private: Skip the address checks (local development and tests only).
        resolver: ``socket.getaddrinfo`` or a test double with its signature.

    Returns:
        The target to connect to.

    Raises:
        FetchRefusedError: Bad URL or scheme, unresolvable host, or any resolved address that
            is not public; the message names the reason and the address.
    """
    import httpx  # lazy: keep the API's cold path light

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchRefusedError("refused: not a valid URL") from exc
    allowed = ("https", "http") if allow_private else ("https",)
    if parsed.scheme not in allowed:
        raise FetchRefusedError(
            f"refused: only https:// URLs are allowed (got {parsed.scheme or 'no'} scheme)"
        )
    host = parsed.host
    if not host:
        raise FetchRefusedError("refused: the URL has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _resolve(host, port, resolver)
    if not allow_private:
        for addr in addresses:
            reason = address_refusal(addr)
            if reason is not None:
                verb = "is" if str(addr) == host else "resolves to"
                raise FetchRefusedError(f"refused: host {host} {verb} {reason}")
    ip = str(addresses[0])
    extensions: dict[str, Any] = {}
    if parsed.scheme == "https" and str(addresses[0]) != host:
        extensions["sni_hostname"] = host
    return PinnedTarget(
        url=url,
        pinned_url=str(parsed.copy_with(host=ip)),
        host=host,
        host_header=parsed.netloc.decode("ascii"),
        ip=ip,
        extensions=extensions,
    )


def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchRefusedError(f"refused: cannot resolve host {host}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        literal = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope id ("fe80::1%eth0")
        try:
            addresses.append(ipaddress.ip_address(literal))
        except ValueError as exc:
            raise FetchRefusedError(f"refused: host {host} resolved to a non-IP answer") from exc
    if not addresses:
        raise FetchRefusedError(f"refused: cannot resolve host {host}")
    return addresses


def fetch_to_file(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    timeout_s: float,
    max_redirects: int,
    allow_private: bool = False,
    resolver: Resolver = socket.getaddrinfo,
    client_factory: Callable[[], httpx.Client] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FetchedFile:
    """Download ``url`` into ``dest`` safely (see the module docstring for the guarantees).

    Args:
        url: The source; ``https://`` (``http://`` only with ``allow_private``).
        dest: File to write; removed again when the fetch is refused part-way.
        max_bytes: Largest body accepted, checked on Content-Length and while streaming.
        timeout_s: Limit on the whole fetch, redirects included.
        max_redirects: Redirects followed; each hop is vetted again.
        allow_private: Allow http and non-public addresses (local development and tests).
        resolver: ``socket.getaddrinfo`` (default) or a test double.
        client_factory: Builds the ``httpx.Client`` to use (it is closed afterwards).
        clock: Monotonic seconds, injected in tests.

    Returns:
        The final URL, the number of bytes written and the Content-Type.

    Raises:
        FetchRefusedError: Any refusal or failure; the message names the reason.

    Examples:
        >>> fetch_to_file("https://example.com/a.mp4", Path("a.mp4"), max_bytes=10_000_000,
        ...               timeout_s=30, max_redirects=5)  # doctest: +SKIP
        FetchedFile(final_url='https://example.com/a.mp4', size=1234567, content_type='video/mp4')
    """
    import httpx  # lazy: keep the API's cold path light

    deadline = clock() + timeout_s
    client = client_factory() if client_factory else httpx.Client(trust_env=False)
    try:
        with client:
            current = url
            for _hop in range(max_redirects + 1):
                target = vet_url(current, allow_private=allow_private, resolver=resolver)
                outcome = _get_once(client, target, dest, max_bytes, deadline, clock, timeout_s)
                if isinstance(outcome, FetchedFile):
                    return outcome
                current = str(httpx.URL(current).join(outcome))
            raise FetchRefusedError(f"refused: more than {max_redirects} redirects")
    except httpx.TimeoutException as exc:
        dest.unlink(missing_ok=True)
        raise FetchRefusedError(f"refused: download took longer than {timeout_s:g} s") from exc
    except httpx.HTTPError as exc:
        dest.unlink(missing_ok=True)
        raise FetchRefusedError(
            f"refused: could not download the source ({type(exc).__name__})"
        ) from exc
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


def _get_once(
    client: httpx.Client,
    target: PinnedTarget,
    dest: Path,
    max_bytes: int,
    deadline: float,
    clock: Callable[[], float],
    timeout_s: float,
) -> FetchedFile | str:
    """One GET: the fetched file, or the Location of a redirect."""
    too_slow = f"refused: download took longer than {timeout_s:g} s"
    remaining = deadline - clock()
    if remaining <= 0:
        raise FetchRefusedError(too_slow)
    headers = {"Host": target.host_header, "Accept-Encoding": "identity", "User-Agent": _USER_AGENT}
    with client.stream(
        "GET",
        target.pinned_url,
        headers=headers,
        extensions=target.extensions,
        timeout=remaining,
        follow_redirects=False,
    ) as resp:
        if resp.status_code in _REDIRECTS:
            location: str | None = resp.headers.get("location")
            if not location:
                raise FetchRefusedError(f"refused: HTTP {resp.status_code} without a Location")
            return location
        if not 200 <= resp.status_code < 300:
            raise FetchRefusedError(f"refused: the source answered HTTP {resp.status_code}")
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchRefusedError(
                f"refused: the source is {int(declared)} bytes, more than the limit of {max_bytes}"
            )
        size = 0
        with dest.open("wb") as out:
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefusedError(
                        f"refused: the source is larger than the limit of {max_bytes} bytes"
                    )
                if clock() > deadline:
                    raise FetchRefusedError(too_slow)
                out.write(chunk)
        return FetchedFile(
            final_url=target.url, size=size, content_type=resp.headers.get("content-type")
        )
