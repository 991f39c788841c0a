"""Every state-changing route of the web UI refuses a request without a valid CSRF token.

The routes are enumerated at run time from the web sub-app mounted by ``create_app()``, so a
page added later is swept too. Each is posted to while signed in as an admin (so a refusal
is the CSRF check, not a missing permission) with no token, a wrong token in the form, a
wrong token in the ``X-CSRF-Token`` header (the htmx path); every one must
answer 403 with the CSRF message, before the route looks anything up or changes anything.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Iterator
from typing import Any

from starlette.routing import Mount

from tests.web.conftest import form_post, sign_in

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?}")
CSRF_MESSAGE = "did not come from this site"


def _web_app(app: Any) -> Any:
    mounted = [r for r in app.routes if isinstance(r, Mount) and r.path in ("", "/")]
    assert mounted, "create_app() mounts no web sub-app at /"
    return mounted[-1].app


def _route_contexts(routes: Any) -> Iterator[Any]:
    """Every route with its full path, whether FastAPI keeps included routers flat (older
    versions) or as included-router nodes (0.16x)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI: routes are already flat
        yield from routes
        return
    yield from iter_route_contexts(routes)


def unsafe_routes(app: Any) -> list[tuple[str, str, Any]]:
    found = []
    for route in _route_contexts(_web_app(app).routes):
        methods = getattr(route, "methods", None) or set()
        path = getattr(route, "path", None)
        if not path:
            continue
        for method in sorted(methods & UNSAFE):
            found.append((method, path, getattr(route, "endpoint", None)))
    return sorted(found, key=lambda t: (t[1], t[0]))


def _value_for(name: str, convertor: str | None, endpoint: Any) -> str:
    annotation = ""
    if endpoint is not None:
        try:
            param = inspect.signature(endpoint).parameters.get(name)
        except (TypeError, ValueError):
            param = None
        if param is not None:
            annotation = str(param.annotation)
    if convertor == "uuid" or "UUID" in annotation or name == "id" or name.endswith("_id"):
        return str(uuid.uuid4())
    if convertor == "int" or annotation in ("int", "<class 'int'>"):
        return "1"
    if name in ("fmt", "format"):
        return "csv"
    return "name"


def concrete(path: str, endpoint: Any) -> str:
    return PARAM.sub(lambda m: _value_for(m.group(1), m.group(2), endpoint), path)


def test_the_sweep_finds_the_routes_it_must(app: Any) -> None:
    paths = {(m, p) for m, p, _ in unsafe_routes(app)}
    for expected in (
        ("POST", "/logout"),
        ("POST", "/leads/new"),
        ("POST", "/leads/bulk"),
        ("POST", "/deals/{record_id}/field/{name}"),
        ("POST", "/notifications/read-all"),
    ):
        assert expected in paths, expected
    assert len(paths) > 50


def test_every_unsafe_web_route_refuses_a_request_without_a_valid_csrf_token(
    client: Any, users: Any
) -> None:
    real = sign_in(client, users.admin)
    wrong = "x" * len(real)
    failures: list[str] = []
    routes = unsafe_routes(client.app)
    for method, path, endpoint in routes:
        url = concrete(path, endpoint)
        attempts = {
            "no token": {"data": {"name": "x", "last_name": "x"}},
            "wrong form token": {"data": {"name": "x", "csrf_token": wrong}},
            "wrong header token": {
                "data": {"name": "x"},
                "headers": {"X-CSRF-Token": wrong, "HX-Request": "true"},
            },
        }
        for label, kwargs in attempts.items():
            r = client.request(method, url, follow_redirects=False, **kwargs)
            if r.status_code != 403 or CSRF_MESSAGE not in r.text:
                failures.append(f"{method} {url} ({label}): {r.status_code} {r.text[:120]!r}")
    assert not failures, f"{len(failures)} of {len(routes) * 3} requests were not refused:\n" + (
        "\n".join(failures[:40])
    )


def test_the_right_token_gets_past_the_check(client: Any, users: Any) -> None:
    """The control: the 403s above come from the token, not from the route being shut."""
    csrf = sign_in(client, users.admin)
    r = form_post(client, "/notifications/read-all", csrf, {})
    assert r.status_code == 303, r.text[:300]
    r = client.post(
        "/notifications/read-all",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        follow_redirects=False,
    )
    # htmx gets the list back in place (a plain form post is redirected to it)
    assert r.status_code == 200 and 'id="notifications"' in r.text, r.text[:300]
