"""Security headers on every kind of response (nexa.api.headers), and the API docs page
served from the package's own files under a policy that allows only this origin."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nexa.api.headers import CSP

FRAME_ANCESTORS = "frame-ancestors 'none'"


def assert_secured(response: Any, what: str) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("referrer-policy") == "same-origin", what
    csp = headers.get("content-security-policy", "")
    assert FRAME_ANCESTORS in csp, (what, csp)
    assert "default-src 'self'" in csp, (what, csp)
    assert "unsafe-eval" not in csp, (what, csp)


def test_every_kind_of_response_carries_the_security_headers(client: Any, users: Any) -> None:
    headers = users.admin.headers
    samples = {
        "API list (JSON)": (client.get("/api/v1/leads", headers=headers), 200),
        "API without a key": (client.get("/api/v1/leads"), 401),
        "API 404": (client.get(f"/api/v1/leads/{uuid.uuid4()}", headers=headers), 404),
        "API 422": (client.get("/api/v1/leads?limit=nope", headers=headers), 422),
        "unknown API path": (client.get("/api/v1/no-such-thing", headers=headers), 404),
        "API POST 422": (client.post("/api/v1/leads", headers=headers, json={}), 422),
        "static file": (client.get("/static/vendor/htmx.min.js"), 200),
        "missing static file": (client.get("/static/nope.js"), 404),
        "API docs": (client.get("/api/docs"), 200),
        "OpenAPI": (client.get("/api/openapi.json"), 200),
        "health": (client.get("/health"), 200),
        "web sign-in page": (client.get("/login"), 200),
        "web redirect": (client.get("/", follow_redirects=False), 303),
        "web 405": (client.put("/login"), 405),
    }
    for what, (response, status) in samples.items():
        assert response.status_code == status, (what, response.status_code, response.text[:200])
        assert_secured(response, what)
    assert samples["API list (JSON)"][0].headers["content-security-policy"] == CSP


def test_an_unhandled_error_carries_them_too() -> None:
    """The headers wrap even Starlette's error middleware (an unhandled 500)."""
    from nexa.app import NexaAPI

    app = NexaAPI()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert_secured(response, "unhandled 500")


def test_docs_page_loads_only_this_origin_and_allows_its_inline_script_by_hash(
    client: Any,
) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"https?://", html), "the docs page references another origin"
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/vendor/") for s in sources), sources
    csp = response.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", csp)
    assert script_src is not None
    allowed = script_src.group(1).split()
    assert allowed[0] == "'self'" and len(allowed) == 2 and allowed[1].startswith("'sha256-")
    assert "unsafe-inline" not in script_src.group(1)
    # the files it names are served from the package (scripts/setup.sh copies them from npm)
    for source in sources:
        if client.get(source).status_code != 200:
            pytest.fail(f"{source} is not served: run scripts/setup.sh")


def test_no_redoc_or_default_docs_from_a_cdn(client: Any) -> None:
    for path in ("/docs", "/redoc", "/api/redoc"):
        response = client.get(path, follow_redirects=False)
        assert "cdn.jsdelivr.net" not in response.text, path
        assert_secured(response, path)
