"""Web tests sign in by setting the signed session cookie the sign-in page would set (the
sign-in page itself is tested in test_login.py and the browser tests)."""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from itsdangerous import TimestampSigner
from sqlalchemy import event

from nexa.config import get_settings
from nexa.core.db import get_engine
from tests.factories.user import Person

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: Any, person: Person) -> str:
    """Sign ``person`` in on ``client``; the CSRF token of the session."""
    token = secrets.token_urlsafe(32)
    data = {
        "uid": str(person.user.id),
        "pwv": (person.user.password_hash or "")[-12:],
        "csrf": token,
    }
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


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []
    engine = get_engine()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
