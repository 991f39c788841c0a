"""Security headers on every response: API JSON, /static files, the API docs, web pages,
errors and 404s alike — one pure ASGI middleware around the whole application (outside even
Starlette's error middleware, so an unhandled 500 carries them too).

- ``X-Content-Type-Options: nosniff``: a browser never reads a JSON answer or an uploaded
  file's bytes as HTML or script;
- frame protection twice: ``X-Frame-Options: DENY`` (old browsers) and CSP
  ``frame-ancestors 'none'``;
- ``Referrer-Policy: same-origin``: record URLs never leave in a Referer header;
- a Content-Security-Policy (``CSP``: scripts and styles from this origin only, no inline
  script, no eval) unless the response already set its own — the API docs page does, to
  allow exactly its one inline start-up script by hash (:func:`docs_csp`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# No inline script and no eval anywhere in the UI: a second line of defence behind escaping.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", CSP.encode()),
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_csp(html: str) -> str:
    """The docs page's policy: everything from this origin only (Swagger UI's files are
    served from /static), plus its inline start-up scripts, each allowed by its SHA-256."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return CSP.replace("script-src 'self'", f"script-src 'self' {hashes}".rstrip())


class SecurityHeaders:
    """Adds :data:`HEADERS` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
