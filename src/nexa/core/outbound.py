"""Outbound HTTP that cannot be pointed at the inside (SSRF guard): webhooks, later images.

``check_url`` parses a URL (http/https only, no user info), reads its host in every encoding
an IP address can be written in (decimal ``2130706433``, octal ``0177.0.0.1``, hex
``0x7f.1``, short ``127.1``, IPv6-mapped/compatible ``[::ffff:127.0.0.1]``, NAT64, 6to4,
Teredo), resolves a name with an injectable resolver (default ``socket.getaddrinfo``) and
refuses when ANY address is private, loopback, link-local, multicast, reserved, unspecified,
shared (CGNAT 100.64/10) or a cloud metadata address — unless the host, exactly as written in
the URL, is on the admin's allow-list. Metadata addresses are refused even then.

``send`` connects to the address that was checked (no second lookup: DNS rebinding), never
lets httpx follow redirects (it follows up to ``max_redirects`` itself, checking every hop),
has connect/read timeouts and reads at most ``max_body`` bytes of the answer.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from nexa.core.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack …
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    }
)
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)


class OutboundRefused(ValidationFailed):
    """The URL points somewhere this server must not call (422 naming ``url``)."""

    def __init__(self, detail: str, *, field: str = "url") -> None:
        super().__init__(detail, field=field)


class OutboundFailed(Exception):
    """The call was allowed but did not get an answer (DNS, connection, timeout, TLS)."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


_resolver: Resolver = system_resolver


def use_resolver(resolver: Resolver | None) -> Resolver:
    """Replace the process-wide default resolver (tests: this machine has no DNS); returns
    the previous one. ``None`` restores ``socket.getaddrinfo``."""
    global _resolver
    previous = _resolver
    _resolver = resolver or system_resolver
    return previous


# ---- reading a host ---------------------------------------------------------------------


def _ipv4_part(text: str) -> int | None:
    """One dotted part as inet_aton reads it: decimal, octal (leading 0) or hex (0x)."""
    if not text:
        return None
    lowered = text.lower()
    try:
        if lowered.startswith("0x"):
            return int(lowered[2:], 16) if lowered[2:] else 0
        if len(lowered) > 1 and lowered.startswith("0"):
            return int(lowered[1:], 8)
        if lowered.isdigit():
            return int(lowered, 10)
    except ValueError:
        return None
    return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``127.1``, ``0177.0.0.1``, ``0x7f.1``, ``2130706433``: what inet_aton (and so many
    HTTP stacks) would connect to; None when ``host`` is not such a number."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = [_ipv4_part(p) for p in parts]
    if any(v is None for v in values):
        return None
    numbers = [v for v in values if v is not None]
    *head, last = numbers
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for v in head:
        value = value * 256 + v
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


def ip_literal(host: str) -> IPAddress | None:
    """The address a host written as an IP literal (in any encoding) denotes, or None for a
    name. An IPv6 zone (``fe80::1%eth0``) is refused outright."""
    text = host.strip().strip("[]").rstrip(".")
    if "%" in text:
        raise OutboundRefused("IPv6 zone identifiers are not allowed in outbound URLs")
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            raise OutboundRefused(f"{host!r} is not a valid IPv6 address") from None
    return _legacy_ipv4(text)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    for network in NAT64:
        if address in network:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why this server must not connect to ``address`` (None: a public address)."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = forbidden_reason(inner)
        return f"{reason} (inside {address})" if reason else None
    if address in METADATA:
        return f"{address} is a cloud metadata address"
    checks = (
        (address.is_loopback, "a loopback"),
        (address.is_unspecified, "an unspecified"),
        (address.is_link_local, "a link-local"),
        (address.is_multicast, "a multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in SHARED, "a shared (CGNAT)"),
        (address.is_private, "a private"),
        (address.is_reserved, "a reserved"),
        (not address.is_global, "not a public"),
    )
    for hit, label in checks:
        if hit:
            return f"{address} is {label} address"
    return None


# ---- checking a URL ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str
    scheme: str
    host: str  # as written, lowercased, without brackets or a trailing dot
    port: int
    address: str  # the checked IP to connect to
    allow_listed: bool


def normalise_host(host: str) -> str:
    text = host.strip().lower().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return str(ipaddress.IPv6Address(text))
        except ValueError:
            return text
    return text


def normalise_allow_list(entries: Iterable[str]) -> set[str]:
    return {normalise_host(e) for e in entries if e and e.strip()}


def check_url(
    url: str,
    *,
    allowed_hosts: Iterable[str] = (),
    resolver: Resolver | None = None,
    resolve: bool = True,
) -> Target:
    """Check ``url`` (see the module docstring); raise ``OutboundRefused`` naming ``url``.
    With ``resolve=False`` a name that does not resolve is accepted (registration time);
    a name that resolves to a forbidden address is refused either way."""
    try:
        parts = urlsplit(url.strip())
        port_value = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused("only http and https URLs are allowed")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise OutboundRefused("user names and passwords in URLs are not allowed")
    if not parts.hostname:
        raise OutboundRefused("the URL has no host")
    if any(c.isspace() or c in "\\" for c in parts.netloc):
        raise OutboundRefused("the URL's host contains characters that are not allowed")
    host = normalise_host(parts.hostname)
    port = port_value or (443 if scheme == "https" else 80)
    allowed = host in normalise_allow_list(allowed_hosts)
    literal = ip_literal(host)
    if literal is not None:
        if literal in METADATA or embedded_ipv4(literal) in METADATA:
            raise OutboundRefused(f"{literal} is a cloud metadata address")
        reason = forbidden_reason(literal)
        if reason and not allowed:
            raise OutboundRefused(f"refused: {reason}")
        return Target(url, scheme, host, port, str(literal), allowed)
    if not _looks_like_a_name(host):
        raise OutboundRefused(f"{host!r} is not a valid host name")
    try:
        addresses = list((resolver or _resolver)(host, port))
    except (OSError, UnicodeError) as exc:
        if not resolve:
            return Target(url, scheme, host, port, "", allowed)
        raise OutboundFailed(f"could not resolve {host}: {exc}") from None
    if not addresses:
        if not resolve:
            return Target(url, scheme, host, port, "", allowed)
        raise OutboundFailed(f"{host} has no address")
    checked: list[IPAddress] = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise OutboundRefused(f"{host} resolved to an invalid address {text!r}") from None
        if address in METADATA or embedded_ipv4(address) in METADATA:
            raise OutboundRefused(f"{host} resolves to {address}, a cloud metadata address")
        reason = forbidden_reason(address)
        if reason and not allowed:
            raise OutboundRefused(f"refused: {host} resolves to a forbidden address ({reason})")
        checked.append(address)
    return Target(url, scheme, host, port, str(checked[0]), allowed)


def _looks_like_a_name(host: str) -> bool:
    if len(host) > 253:
        return False
    labels = host.split(".")
    for label in labels:
        if not label or len(label) > 63:
            return False
        if not all(c.isalnum() or c in "-_" for c in label):
            return False
    # a name made only of digits/hex-looking parts that was not an address is refused too
    return not all(_ipv4_part(label) is not None for label in labels)


# ---- sending ----------------------------------------------------------------------------


@dataclass
class OutboundResponse:
    status_code: int
    body: bytes
    url: str  # the last URL called
    duration_ms: float
    hops: list[str] = field(default_factory=list)


def _connect_url(target: Target) -> str:
    """``target.url`` with the checked address in place of the host."""
    parts = urlsplit(target.url)
    address = ipaddress.ip_address(target.address)
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{host}:{target.port}"
    return urlunsplit((target.scheme, netloc, parts.path or "/", parts.query, ""))


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _loopback_only(target: Target) -> None:
    """Under ``NEXA_OUTBOUND_LOOPBACK_ONLY`` (the test suite), refuse any other address."""
    from nexa.config import get_settings

    if (
        get_settings().outbound_loopback_only
        and not ipaddress.ip_address(target.address).is_loopback
    ):
        raise OutboundRefused(
            f"{target.address} is not a loopback address and outbound HTTP is limited to "
            "loopback here (NEXA_OUTBOUND_LOOPBACK_ONLY)"
        )


def send(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    allowed_hosts: Iterable[str] = (),
    resolver: Resolver | None = None,
    max_redirects: int = 3,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    max_body: int = 64 * 1024,
) -> OutboundResponse:
    """One guarded request (see the module docstring). Raises ``OutboundRefused`` when a
    hop is refused (before any socket to it is opened) and ``OutboundFailed`` when there is
    no answer."""
    allow = list(allowed_hosts)
    started = time.perf_counter()
    hops: list[str] = []
    current, current_method, body = url, method.upper(), content
    with httpx.Client(
        follow_redirects=False, timeout=timeout, trust_env=False, http2=False
    ) as client:
        for _ in range(max_redirects + 1):
            target = check_url(current, allowed_hosts=allow, resolver=resolver)
            _loopback_only(target)
            hops.append(current)
            request_headers = {**(headers or {}), "Host": _host_header(target)}
            extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
            try:
                with client.stream(
                    current_method,
                    _connect_url(target),
                    headers=request_headers,
                    content=body if current_method not in ("GET", "HEAD") else None,
                    extensions=extensions,
                ) as response:
                    data = b""
                    for chunk in response.iter_bytes():
                        data += chunk
                        if len(data) >= max_body:
                            data = data[:max_body]
                            break
                    status = response.status_code
                    location = response.headers.get("location")
            except httpx.HTTPError as exc:
                raise OutboundFailed(f"{type(exc).__name__}: {exc}") from None
            if status in REDIRECTS and location:
                current = urljoin(current, location)
                if status == 303:
                    current_method, body = "GET", None
                continue
            return OutboundResponse(
                status, data, current, (time.perf_counter() - started) * 1000, hops
            )
    raise OutboundFailed(f"more than {max_redirects} redirects")
