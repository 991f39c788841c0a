"""SMS test parts: a real HTTP server on loopback acting as a Twilio-compatible API and as a
generic SMS endpoint (it records every request and answers what the test tells it to), SMS
settings pointing at it (its host allow-listed: the outbound guard's test allowance, as the
webhook tests do), and a pump that runs, in the test's rolled-back session, the jobs the code
queued after commit (outbox → sms.deliver), as the worker would."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from nexa.core.actor import SYSTEM
from nexa.core.events import run_after_commit
from nexa.job import service as jobs
from nexa.sms import delivery, service
from nexa.sms.schemas import SmsSettingsIn

ACCOUNT_SID = "AC0123456789abcdef"
AUTH_TOKEN = "secret-token-of-the-test"
FROM = "+15555550199"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode())


class Provider:
    """A real HTTP server on 127.0.0.1 in a thread. Answers 201 with ``{"sid": …}``, or the
    statuses in ``fail_with`` first (one per request, e.g. ``[500]``)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_with: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with provider._lock:
                    provider.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = provider.fail_with.pop(0) if provider.fail_with else 201
                payload = (
                    json.dumps({"sid": f"SM{uuid.uuid4().hex}"}).encode()
                    if status == 201
                    else b'{"message": "provider broke"}'
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

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


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    p.start()
    try:
        yield p
    finally:
        p.stop()


def use_twilio(db: Any, provider: Provider, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "provider": "twilio",
        "from_number": FROM,
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "base_url": provider.base_url,
        "allowed_hosts": ["127.0.0.1"],
    }
    fields.update(overrides)
    service.put_sms_settings(db, SYSTEM, SmsSettingsIn(**fields))
    db.flush()


def use_http(db: Any, provider: Provider, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "provider": "http",
        "from_number": FROM,
        "http_url": provider.base_url + "/sms/send",
        "http_header": "X-Api-Key",
        "http_secret": "generic-secret",
        "allowed_hosts": ["127.0.0.1"],
    }
    fields.update(overrides)
    service.put_sms_settings(db, SYSTEM, SmsSettingsIn(**fields))
    db.flush()


@pytest.fixture
def sessions(db: Any) -> Any:
    @contextmanager
    def factory() -> Iterator[Any]:
        yield db
        db.commit()

    return factory


class Pump:
    """Runs the jobs the code queued after commit, as the worker would, in the test session."""

    def __init__(self, db: Any, recorded: list[tuple[str, tuple[Any, ...]]], sessions: Any):
        self.db = db
        self.recorded = recorded
        self.sessions = sessions

    def __call__(self, now: datetime | None = None) -> dict[str, int]:
        self.db.commit()
        run_after_commit(self.db)
        totals: dict[str, int] = {}
        while self.recorded:
            name, args = self.recorded.pop(0)
            if name == "outbox.deliver":
                jobs.deliver_outbox(self.db, *args)
                self.db.commit()
                run_after_commit(self.db)
            elif name == "sms.deliver":
                result = delivery.deliver(
                    [uuid.UUID(i) for i in args[0]], now=now, sessions=self.sessions
                )
                for k, v in result.items():
                    totals[k] = totals.get(k, 0) + v
                run_after_commit(self.db)
        return totals

    def sweep(self, now: datetime) -> dict[str, int]:
        result = delivery.deliver_due(now=now, sessions=self.sessions)
        run_after_commit(self.db)
        self.recorded.clear()
        return result


@pytest.fixture
def pump(db: Any, enqueued_jobs: list[Any], sessions: Any) -> Pump:
    return Pump(db, enqueued_jobs, sessions)
