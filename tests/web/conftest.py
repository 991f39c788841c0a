"""Web tests sign in by starting a web session (the ``web_sessions`` row) and setting the
signed cookie the sign-in page would set (the sign-in page itself is tested in
test_login.py and the browser tests)."""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any

from itsdangerous import TimestampSigner

from nexa.auth.service import start_session
from nexa.config import get_settings
from tests.factories.user import Person
from tests.query_counts import count_queries

__all__ = ["count_queries", "form_post", "sign_in"]

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: Any, person: Person) -> str:
    """Sign ``person`` in on ``client``; the CSRF token of the session."""
    token = secrets.token_urlsafe(32)
    sid = start_session(person.session, person.user, client="testclient", user_agent="tests")
    person.session.commit()  # as the sign-in request does: a failed request keeps the session
    data = {"sid": sid, "csrf": token}
    payload = base64.b64encode(json.dumps(data).encode())
    signed = TimestampSigner(str(get_settings().effective_secret_key)).sign(payload)
    client.cookies.set("nexa_session", signed.decode())
    return token


def form_post(
    client: Any, url: str, csrf: str, data: dict[str, Any] | list[tuple[str, Any]], **kw: Any
) -> Any:
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    pairs.append(("csrf_token", csrf))
    body: dict[str, list[Any]] = {}
    for key, value in pairs:
        body.setdefault(key, []).append(value)
    return client.post(url, data=body, follow_redirects=False, **kw)
