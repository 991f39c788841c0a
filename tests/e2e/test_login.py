"""A real browser (Playwright driving Debian's Chromium) signs in against a live server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.live.conftest import LiveServer

pytestmark = [pytest.mark.live, pytest.mark.browser]

CHROMIUM = os.environ.get("NEXA_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("NEXA_SCREENSHOT_DIR", "test-output/screenshots"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> object:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM} (scripts/setup.sh installs it)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; run scripts/setup.sh as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_sign_in_wrong_then_right_password(browser: object, live_server: LiveServer) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(live_server.base_url + "/")
    assert page.url.startswith(live_server.base_url + "/login")
    page.fill("input[name=email]", "admin@live.example.com")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "email or password is wrong"
    page.fill("input[name=password]", "live-password-123")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.base_url + "/")
    assert "Welcome, Live admin" in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)
    page.click("text=Sign out")
    page.wait_for_url(live_server.base_url + "/login")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "login-phone.png"), full_page=True)
    page.close()
