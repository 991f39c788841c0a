"""A real browser (Playwright driving Debian's Chromium) signs in against a live server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, PHONE, SCREENSHOTS
from tests.live.conftest import LiveServer

pytestmark = [pytest.mark.live, pytest.mark.browser]


def test_sign_in_wrong_then_right_password(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.base_url + "/")
    assert page.url.startswith(live_server.base_url + "/login")
    page.fill("input[name=email]", "admin@live.example.com")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "email or password is wrong"
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url
    assert "Live admin" in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)
    page.click("text=Sign out")
    page.wait_for_url(live_server.base_url + "/login")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / "login-phone.png"), full_page=True)
    context.close()
