"""Webhook test parts: a real HTTP receiver on loopback (stoppable, restartable, can answer
errors or a redirect), an audit of every socket connection the process attempts, a resolver
injected in place of DNS (this machine has none), and a pump that runs the jobs the services
queued (outbox fan-out, then deliveries) in the test's rolled-back session."""

from __future__ import annotations

import ipaddress
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nexa.core import outbound
from nexa.core.actor import SYSTEM
from nexa.core.events import run_after_commit
from nexa.job import service as jobs
from nexa.models import WebhookEndpoint
from nexa.webhook import service
from nexa.webhook.schemas import WebhookCreate, WebhookSettings

# ---- every socket connection this process attempts ---------------------------------------

CONNECTIONS: list[tuple[str, Any]] = []
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        CONNECTIONS.append(("connect", args[1]))
    elif event == "socket.getaddrinfo":
        CONNECTIONS.append(("getaddrinfo", args[0]))


def install_audit_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # cannot be removed; it only appends to a list
        _hook_installed = True


def is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def non_loopback_connections() -> list[Any]:
    """Connections (IP sockets) attempted to anything but loopback."""
    bad = []
    for kind, target in CONNECTIONS:
        if kind == "connect" and isinstance(target, tuple) and not is_loopback(target[0]):
            bad.append(target)
    return bad


@pytest.fixture(autouse=True)
def only_loopback() -> Iterator[list[tuple[str, Any]]]:
    """Every webhook test: the process never attempts a connection outside loopback."""
    install_audit_hook()
    CONNECTIONS.clear()
    yield CONNECTIONS
    assert non_loopback_connections() == [], "a connection left loopback"


# ---- the resolver -------------------------------------------------------------------------


@dataclass
class FakeDNS:
    records: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.records:
            raise OSError(f"[fake DNS] {host} does not resolve")
        return list(self.records[host])


@pytest.fixture(autouse=True)
def dns() -> Iterator[FakeDNS]:
    fake = FakeDNS()
    previous = outbound.use_resolver(fake)
    yield fake
    outbound.use_resolver(previous)


# ---- the receiver -------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A real HTTP server on 127.0.0.1 in a thread. ``mode``: "ok" (204), "error" (500) or
    "redirect" (302 to ``redirect_to``). ``stop`` closes the socket (connections refused)
    and ``start`` opens it again on the same port."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.mode = "ok"
        self.redirect_to = "http://169.254.169.254/latest/meta-data/"
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver._lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                if receiver.mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif receiver.mode == "error":
                    payload = b"receiver broke"
                    self.send_response(500)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                else:
                    self.send_response(204)
                    self.end_headers()

            do_POST = _answer
            do_GET = _answer

        return Handler

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    try:
        yield r
    finally:
        r.stop()


# ---- the database side ----------------------------------------------------------------------


@pytest.fixture
def sessions(db: Any) -> Any:
    """The service's session factory, in the test's session (each unit commits a savepoint)."""

    @contextmanager
    def factory() -> Iterator[Any]:
        yield db
        db.commit()

    return factory


def allow(db: Any, *hosts: str) -> None:
    service.put_settings(db, SYSTEM, WebhookSettings(allowed_hosts=list(hosts)))
    db.flush()


def register(db: Any, url: str, events: list[str] | None = None, **kw: Any) -> WebhookEndpoint:
    endpoint, _ = service.create_endpoint(
        db, SYSTEM, WebhookCreate(url=url, events=events or ["*"], **kw)
    )
    return endpoint


class Pump:
    """Runs the jobs the code queued after commit, as the worker would, in the test session."""

    def __init__(self, db: Any, recorded: list[tuple[str, tuple[Any, ...]]], sessions: Any):
        self.db = db
        self.recorded = recorded
        self.sessions = sessions

    def __call__(self, now: datetime | None = None) -> int:
        self.db.commit()
        run_after_commit(self.db)
        attempts = 0
        while self.recorded:
            name, args = self.recorded.pop(0)
            if name == "outbox.deliver":
                jobs.deliver_outbox(self.db, *args)
                self.db.commit()
                run_after_commit(self.db)
            elif name == "webhook.deliver":
                for delivery_id in args[0]:
                    status = service.deliver(
                        uuid.UUID(delivery_id), now=now, sessions=self.sessions
                    )
                    attempts += status is not None
                run_after_commit(self.db)
        return attempts


@pytest.fixture
def pump(db: Any, enqueued_jobs: list[Any], sessions: Any) -> Pump:
    return Pump(db, enqueued_jobs, sessions)
