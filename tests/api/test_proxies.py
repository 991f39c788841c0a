"""X-Forwarded-For is believed only from NEXA_TRUSTED_PROXIES: a spoofed header from anyone
else buys no fresh rate-limit budget, on sign-in or on the public web form — checked
in-process and through a real uvicorn started with ``nexa serve``'s options."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from nexa.api.proxies import forwarded_client
from nexa.cli.server import PROXY_OPTIONS
from nexa.config import Settings, get_settings
from nexa.models import LoginAttempt
from tests.factories.lead import make_web_form
from tests.live.conftest import free_port
from tests.web.test_login import csrf_from

PROXY = "10.1.2.3"
PROXIES = ("10.0.0.0/8", "fd00::/8")


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),  # not a proxy: header ignored
        (PROXY, [], PROXY),  # a proxy that says nothing
        (PROXY, ["198.51.100.1"], "198.51.100.1"),
        (PROXY, ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the client wrote the left part
        (PROXY, ["198.51.100.1, 10.9.9.9"], "198.51.100.1"),  # two proxies of ours
        (PROXY, ["198.51.100.1", "10.9.9.9"], "198.51.100.1"),  # the header twice
        (PROXY, ["not-an-ip"], PROXY),
        (PROXY, ["[2001:db8::1]:443"], "2001:db8::1"),
        ("fd00::5", ["198.51.100.1:5555"], "198.51.100.1"),
    ],
)
def test_the_forwarded_client_is_read_only_behind_a_trusted_proxy(
    peer: str, header: list[str], client: str
) -> None:
    assert forwarded_client(peer, header, PROXIES) == client


def test_no_proxy_is_trusted_by_default() -> None:
    assert Settings().trusted_proxies == []
    assert forwarded_client("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


def test_the_setting_takes_a_comma_separated_list_and_refuses_nonsense(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEXA_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    assert Settings().trusted_proxies == ["10.0.0.1", "192.168.0.0/16"]
    monkeypatch.setenv("NEXA_TRUSTED_PROXIES", "proxy.example.com")
    with pytest.raises(ValueError, match="not an IP address"):
        Settings()


def _sign_in(client: Any, spoofed: str) -> int:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "email": "nobody@example.com",
            "password": "wrong",
            "csrf_token": csrf_from(page.text),
        },
        headers={"X-Forwarded-For": spoofed},
        follow_redirects=False,
    )
    return int(r.status_code)


@pytest.fixture
def three_per_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "login_rate_per_minute", 3)


def test_a_spoofed_address_from_an_untrusted_peer_gets_no_fresh_sign_in_budget(
    app: Any, three_per_minute: None
) -> None:
    with TestClient(app, client=("203.0.113.7", 40000)) as c:
        codes = [_sign_in(c, f"198.51.100.{i}") for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(
    app: Any, db: Any, three_per_minute: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "trusted_proxies", list(PROXIES))
    with TestClient(app, client=(PROXY, 40000)) as c:
        codes = [_sign_in(c, f"198.51.100.{i}") for i in range(5)]
        assert codes == [401] * 5
        assert [_sign_in(c, "198.51.100.9") for _ in range(4)] == [401, 401, 401, 429]
    recorded = set(db.scalars(select(LoginAttempt.client)))
    assert recorded == {f"198.51.100.{i}" for i in (0, 1, 2, 3, 4, 9)}


def test_the_public_form_budget_follows_the_same_rule(
    app: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = make_web_form(db, rate_limit_per_hour=2)
    db.commit()

    def submit(c: Any, i: int) -> int:
        body = {"last_name": "R", "email": f"r{i}@x.example"}
        headers = {"X-Forwarded-For": f"198.51.100.{i}"}
        return int(c.post(f"/forms/{form.slug}", json=body, headers=headers).status_code)

    with TestClient(app, client=("203.0.113.7", 40000)) as c:
        assert [submit(c, i) for i in range(3)] == [200, 200, 429]
    monkeypatch.setattr(get_settings(), "trusted_proxies", list(PROXIES))
    with TestClient(app, client=(PROXY, 40000)) as c:
        assert [submit(c, i) for i in range(10, 13)] == [200, 200, 200]


@pytest.fixture
def served(app: Any) -> Iterator[str]:
    """The app under a real uvicorn, configured as ``nexa serve`` configures it."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **PROXY_OPTIONS
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


def test_under_uvicorn_a_spoofed_header_from_loopback_is_not_believed(
    served: str, three_per_minute: None
) -> None:
    with httpx.Client(base_url=served) as c:
        codes = [_sign_in(c, f"198.51.100.{i}") for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
