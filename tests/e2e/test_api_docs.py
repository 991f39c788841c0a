"""The API docs (Swagger UI) work offline in a real browser under their Content-Security-Policy:
every request to another origin is refused, and a CSP violation or script error fails the test
(the ``e2e`` watch)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import E2E

pytestmark = [pytest.mark.live, pytest.mark.browser]


def test_api_docs_render_offline_under_their_policy(e2e: E2E) -> None:
    page = e2e.page(role=None)
    own = urlsplit(e2e.base).netloc
    elsewhere: list[str] = []

    def offline(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    response = page.goto("/api/docs")
    assert response is not None and response.status == 200
    assert "frame-ancestors 'none'" in (response.headers.get("content-security-policy") or "")
    # Swagger UI drew the operations it read from /api/openapi.json, and one opens
    operation = page.locator('.opblock-summary-path[data-path="/api/v1/accounts"]').first
    # Swagger UI parses the whole OpenAPI document first: on a busy 2-core machine (a CI run
    # beside other work) that took over 10 s once, so its waits are generous
    operation.wait_for(timeout=60_000)
    operation.click()
    page.locator(".opblock-body").first.wait_for(timeout=60_000)
    assert elsewhere == [], f"the docs page reached another origin: {elsewhere}"
    e2e.shot(page, "api-docs")
