"""CSRF protection for every form post: a per-session token, checked on the server."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from nexa.core.errors import PermissionDenied


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


async def verify_csrf(request: Request) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise PermissionDenied(
            "the form expired or did not come from this site; reload the page", field="csrf_token"
        )
