"""Browser tests: one live server and one Chromium for the whole session (per xdist worker),
a sign-in per role whose storage state every later page reuses, and a watch on each page
(JavaScript errors, Content-Security-Policy violations and dialogs fail the test).

Screenshots go to ``NEXA_SCREENSHOT_DIR`` (default ``test-output/screenshots/``, git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKEND, IN_CI, create_database, drop_database
from tests.live.conftest import LiveServer, seed
from tests.live.conftest import start_server as start_live_server

CHROMIUM = os.environ.get("NEXA_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("NEXA_SCREENSHOT_DIR", "test-output/screenshots"))
PASSWORD = "live-password-123"
START_TIMEOUT = float(os.environ.get("NEXA_E2E_START_TIMEOUT", "120"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Console errors that are the page working as designed: htmx swaps 4xx answers (a 422 shows
# the field's error) and the browser logs every non-2xx fetch.
EXPECTED_CONSOLE = ("Failed to load resource", "Response Status Error Code")


try:  # a busy machine answers slower than Playwright's 5 s default
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
except ImportError:  # pragma: no cover - the browser fixture skips with a message
    pass


def email_of(role: str) -> str:
    return f"{role}@live.example.com"


def seed_other_team(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """A second team with its own sales rep (``other_rep``): records it owns are another
    team's private records for the live team's rep."""
    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, session_scope
    from nexa.models import Team
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_api_key, create_user

    engine = make_engine(url)
    try:
        with session_scope(engine=engine) as session:
            team = Team(id=uuid.uuid4(), name="Other team")
            session.add(team)
            session.flush()
            user = create_user(
                session,
                SYSTEM,
                UserCreate(
                    email=email_of("other_rep"),
                    full_name="Other rep",
                    role="sales_rep",
                    team_id=team.id,  # type: ignore[arg-type]
                    password=PASSWORD,
                ),
            )
            _, token = create_api_key(session, SYSTEM, user_id=user.id, name="e2e", scopes=["*"])
            return {"other_rep": token}, {"other_rep": str(user.id), "other_team": str(team.id)}
    finally:
        engine.dispose()


def start_server(url: str, var_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The live-server start, waiting generously: a busy 2-core machine can take half a
    minute to import the application."""
    return start_live_server(url, var_dir, timeout=START_TIMEOUT)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, test_env: Path) -> Iterator[LiveServer]:
    """One server for every browser test of this worker (start-up costs ~10 s)."""
    if BACKEND != "sqlite":
        pytest.skip("browser tests run on SQLite only")
    tmp = tmp_path_factory.mktemp("e2e")
    name = f"nexa_e2e_{uuid.uuid4().hex[:8]}"
    url = create_database(name, tmp)
    with ThreadPoolExecutor(max_workers=1) as pool:
        starting = pool.submit(start_server, url, tmp)  # imports while we seed
        try:
            tokens, ids = seed(url)
            more_tokens, more_ids = seed_other_team(url)
        finally:
            proc, base = starting.result()
    try:
        yield LiveServer(base, url, tokens | more_tokens, ids | more_ids)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        drop_database(name, url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM} (scripts/setup.sh installs it)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; run scripts/setup.sh as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """What a page did that it should not: uncaught errors, CSP violations, dialogs."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    accept_dialogs: bool = False

    def attach(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: uncaught {exc}"))
        page.on("console", lambda msg: self._console(page, msg))
        page.on("dialog", self._dialog)

    def _console(self, page: Any, msg: Any) -> None:
        if msg.type == "error" and not any(e in msg.text for e in EXPECTED_CONSOLE):
            self.errors.append(f"{page.url}: console error: {msg.text[:300]}")

    def _dialog(self, dialog: Any) -> None:
        if self.accept_dialogs and dialog.type == "confirm":
            dialog.accept()  # a destructive action the test means to confirm
            return
        self.dialogs.append(f"{dialog.type}: {dialog.message[:200]}")
        dialog.dismiss()


class E2E:
    """Pages signed in as a role, the API as a role, screenshots."""

    def __init__(self, server: LiveServer, browser: Any, states: dict[str, Any]) -> None:
        self.server = server
        self.base = server.base_url
        self.browser = browser
        self.states = states
        self.watch = Watch()
        self._contexts: list[Any] = []
        self._clients: dict[str, httpx.Client] = {}

    # ---- browser ---------------------------------------------------------------------------

    def state(self, role: str) -> Any:
        if role not in self.states:
            ctx = self.browser.new_context(base_url=self.base)
            try:
                page = ctx.new_page()
                page.set_default_timeout(15_000)
                page.goto("/login")
                page.fill("input[name=email]", email_of(role))
                page.fill("input[name=password]", PASSWORD)
                with page.expect_navigation():
                    page.click("button[type=submit]")
                assert "/login" not in page.url, f"{role} could not sign in: {page.url}"
                self.states[role] = ctx.storage_state()
            finally:
                ctx.close()
        return self.states[role]

    def page(
        self, role: str | None = "admin", *, phone: bool = False, bypass_csp: bool = False
    ) -> Any:
        """A new page (own context) signed in as ``role`` (None: signed out). ``bypass_csp``:
        the test may inject its own script (axe-core), which the app's CSP forbids."""
        ctx = self.browser.new_context(
            base_url=self.base,
            viewport=PHONE if phone else DESKTOP,
            storage_state=self.state(role) if role else None,
            bypass_csp=bypass_csp,
        )
        self._contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        self.watch.attach(page)
        return page

    def shot(self, page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    # ---- API -------------------------------------------------------------------------------

    def api(self, role: str = "admin") -> httpx.Client:
        if role not in self._clients:
            self._clients[role] = httpx.Client(
                base_url=self.base + "/api/v1", headers=self.server.headers(role), timeout=20
            )
        return self._clients[role]

    def create(self, role: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.api(role).post(path, json=body)
        assert r.status_code in (200, 201), (path, r.status_code, r.text[:500])
        data: dict[str, Any] = r.json()
        return data

    def uid(self, role: str) -> str:
        return self.server.ids[role]

    def close(self) -> None:
        for ctx in self._contexts:
            ctx.close()
        for client in self._clients.values():
            client.close()


@pytest.fixture(scope="session")
def _states() -> dict[str, Any]:
    return {}


@pytest.fixture
def e2e(live_server: LiveServer, browser: Any, _states: dict[str, Any]) -> Iterator[E2E]:
    """Pages opened through it are closed afterwards; JavaScript errors, CSP violations and
    unexpected dialogs on any of them fail the test."""
    session = E2E(live_server, browser, _states)
    try:
        yield session
    finally:
        session.close()
    problems = session.watch.errors + [f"unexpected dialog {d}" for d in session.watch.dialogs]
    if problems:
        pytest.fail("the pages misbehaved:\n" + "\n".join(problems[:20]), pytrace=False)


def unique() -> str:
    return uuid.uuid4().hex[:6]
