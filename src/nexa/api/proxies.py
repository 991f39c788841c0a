"""Which address a request comes from: the connecting peer, or — only when that peer is one
of ``NEXA_TRUSTED_PROXIES`` — the client the proxy names in ``X-Forwarded-For``.

``TrustedProxyMiddleware`` (the outermost layer of the app) rewrites the request's client and
scheme once, from the proxy's headers, when and only when the direct peer is trusted; uvicorn
is started with its own proxy-header handling off (``nexa serve``), so nothing else believes
those headers. Every rate limiter and every record of who signed in or submitted a form reads
the address through ``client_address``: a spoofed ``X-Forwarded-For`` from anyone else is
ignored, so it cannot buy a fresh budget.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from nexa.config import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in net for net in networks)


def forwarded_client(peer: str, forwarded_for: list[str], proxies: tuple[str, ...]) -> str:
    """The client address of a request from ``peer``: the peer itself unless it is a trusted
    proxy; then the right-most address of the ``X-Forwarded-For`` chain that is not a trusted
    proxy (each proxy appends the address it saw, so addresses to its left are the client's to
    write and are not believed). An unreadable hop ends the walk at the last trusted one."""
    networks = _networks(proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break
        client = str(ip)
        if not any(ip in net for net in networks):
            break
    return client


class TrustedProxyMiddleware:
    """Pure ASGI: behind a trusted proxy, the request's client and scheme are the forwarded
    ones; from anyone else the headers are left unread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        proxies = tuple(get_settings().trusted_proxies)
        if proxies and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, port = scope["client"]
            if _trusted(peer, _networks(proxies)):
                forwarded: list[str] = []
                proto: str | None = None
                for name, value in scope["headers"]:
                    if name == b"x-forwarded-for":
                        forwarded.append(value.decode("latin-1"))
                    elif name == b"x-forwarded-proto":
                        proto = value.decode("latin-1").split(",")[-1].strip().lower()
                scope = dict(scope)
                scope["client"] = (forwarded_client(peer, forwarded, proxies), port)
                if proto in ("http", "https") and scope["type"] == "http":
                    scope["scheme"] = proto
        await self.app(scope, receive, send)


def client_address(request: HTTPConnection) -> str:
    """The one answer to "who is asking" for rate limits and sign-in and form records."""
    client = request.client
    return client.host if client and client.host else UNKNOWN
