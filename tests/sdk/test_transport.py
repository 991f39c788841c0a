"""Retries, backoff, Retry-After, idempotency keys and timeouts, against a small real HTTP
server on loopback that answers what each test scripts (no mocked transport)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nexa_sdk import (
    Client,
    ConnectionError,
    RateLimited,
    RetryPolicy,
    ServerError,
    TimeoutError,
)
from nexa_sdk.errors import parse_retry_after

pytestmark = pytest.mark.sdk

FAST = RetryPolicy(max_retries=3, backoff=0.0, max_backoff=0.0)
EMPTY_PAGE = {"items": [], "next_cursor": None}
LEAD = {
    "id": str(uuid.uuid4()),
    "last_name": "Scripted",
    "full_name": "Scripted",
    "status": "new",
    "version": 1,
    "created_at": "2026-11-30T10:00:00Z",
    "updated_at": "2026-11-30T10:00:00Z",
}


class Script:
    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], Any, float]] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def answer(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> Script:
        self.answers.append((status, headers or {}, body, delay))
        return self


@pytest.fixture
def scripted() -> Iterator[tuple[Script, str]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            script.requests.append((self.command, self.path, dict(self.headers)))
            status, headers, body, delay = (
                script.answers.pop(0) if script.answers else (200, {}, EMPTY_PAGE, 0.0)
            )
            if delay:
                time.sleep(delay)
            problem = status >= 400
            payload = json.dumps(
                body
                if body is not None
                else {"title": "Scripted", "status": status, "detail": "scripted answer"}
            ).encode()
            try:
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/problem+json" if problem else "application/json"
                )
                self.send_header("Content-Length", str(len(payload)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield script, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_get_is_retried_on_503_and_429(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    script.answer(503).answer(429, headers={"Retry-After": "0"}).answer(200, EMPTY_PAGE)
    with Client(base, api_key="k", retry=FAST) as crm:
        assert crm.leads.list().items == []
    assert [r[0] for r in script.requests] == ["GET", "GET", "GET"]


def test_retries_stop_after_max_retries(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    for _ in range(5):
        script.answer(503)
    with Client(base, api_key="k", retry=FAST) as crm, pytest.raises(ServerError) as caught:
        crm.leads.list()
    assert caught.value.status == 503 and caught.value.detail == "scripted answer"
    assert len(script.requests) == 1 + FAST.max_retries


def test_create_carries_an_idempotency_key_and_is_retried_with_the_same_one(
    scripted: tuple[Script, str],
) -> None:
    script, base = scripted
    script.answer(503).answer(201, LEAD)
    with Client(base, api_key="k", retry=FAST) as crm:
        assert crm.leads.create(last_name="Scripted").last_name == "Scripted"
    keys = [r[2].get("Idempotency-Key") for r in script.requests]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    uuid.UUID(keys[0])


def test_a_post_without_a_key_is_never_retried(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    script.answer(503).answer(200, {})
    with Client(base, api_key="k", retry=FAST) as crm, pytest.raises(ServerError):
        crm.leads.route(uuid.uuid4())  # POST, no Idempotency-Key in the API
    assert len(script.requests) == 1


def test_a_retry_after_beyond_the_policy_is_raised_with_its_value(
    scripted: tuple[Script, str],
) -> None:
    script, base = scripted
    script.answer(429, headers={"Retry-After": "3600"})
    with Client(base, api_key="k", retry=FAST) as crm, pytest.raises(RateLimited) as caught:
        crm.leads.list()
    assert caught.value.retry_after == 3600
    assert len(script.requests) == 1


def test_timeouts_raise_timeout_error(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    script.answer(200, EMPTY_PAGE, delay=1.0)
    no_retry = RetryPolicy(max_retries=0)
    crm = Client(base, api_key="k", timeout=0.2, retry=no_retry)
    with crm, pytest.raises(TimeoutError) as caught:
        crm.leads.list()
    assert isinstance(caught.value, ConnectionError)
    assert isinstance(caught.value, OSError)  # also the builtin TimeoutError


def test_connection_errors_are_retried_then_raised(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    caplog.set_level(logging.WARNING, logger="nexa_sdk")
    with Client(f"http://127.0.0.1:{port}", api_key="k", retry=FAST) as crm:
        with pytest.raises(ConnectionError):
            crm.leads.list()
        assert sum("retry" in r.message for r in caplog.records) == FAST.max_retries
        caplog.clear()
        with pytest.raises(ConnectionError):
            crm.leads.route(uuid.uuid4())  # non-idempotent: not retried
        assert not caplog.records


def test_headers_and_paths(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    with Client(base + "/", api_key="nx_secret", retry=FAST) as crm:
        crm.leads.list(stage=["a", "b"], sort="-created_at", limit=5)
    _, path, headers = script.requests[0]
    assert path == "/api/v1/leads?filter=stage%3Ain%3Aa%2Cb&sort=-created_at&limit=5"
    assert headers["Authorization"] == "Bearer nx_secret"
    assert headers["User-Agent"].startswith("nexa-sdk-python/")


def test_backoff_is_exponential_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=4.0)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 4.0)):
        waits = [policy.delay(attempt) for _ in range(50)]
        assert all(0 <= w <= ceiling for w in waits)
    assert policy.delay(1, retry_after=2.5) == 2.5
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    assert parse_retry_after("soon") is None
