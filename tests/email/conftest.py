"""Email test parts: a real SMTP server (aiosmtpd) on a free loopback port that records what
it receives and can be told to answer 4xx or 5xx, stopped and started again on the same port;
SMTP settings pointing at it; a pump that runs, in the test's rolled-back session, the jobs
the code queued after commit (outbox → email.deliver), as the worker would."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from nexa.core.actor import SYSTEM
from nexa.core.events import run_after_commit
from nexa.email import delivery, service
from nexa.email.schemas import SmtpSettingsIn
from nexa.job import service as jobs


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class Handler:
    """aiosmtpd handler: records each accepted message; ``answer`` (e.g. "451 4.3.0 busy" or
    "550 5.1.1 no such user") refuses DATA with that reply instead."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer:
            return self.answer
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 2.0.0 Ok: queued as TEST"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.handler = Handler()
        self.port = free_port()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def answer(self, reply: str | None) -> None:
        self.handler.answer = reply

    def start(self) -> None:
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def configure(db: Any, server: SmtpServer, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": "none",
        "from_domain": "mail.example.com",
        "from_name": "Nexa Démo",
    }
    fields.update(overrides)
    service.put_smtp_settings(db, SYSTEM, SmtpSettingsIn(**fields))
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
            elif name == "email.deliver":
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


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Any]:
    """A real IMAP server (Dovecot, tests/email/imap_server.py), started once per test
    process; each test adds a user of its own. Skips without Dovecot (fails with CI=true)."""
    from tests.email.imap_server import DovecotServer, require_dovecot

    server = DovecotServer(require_dovecot())
    server.start(spare_users=30)
    try:
        yield server
    finally:
        server.cleanup()
