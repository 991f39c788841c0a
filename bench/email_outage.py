"""Email delivery through an SMTP outage and a killed worker (issue 17's acceptance), with real
processes: a scratch SQLite organization, the real worker (``nexa worker --queue deliveries
--workers 1``) and an aiosmtpd server in its own process that writes each received
Message-ID to a file.

Run: ``.venv/bin/python bench/email_outage.py [--messages 500] [--outage 60]``. Takes about
5–10 minutes (the retry backoff starts at one minute; the minute sweep picks retries up).

1. *Outage*: the SMTP server is down; ``--messages`` messages are queued (mass email, one
   commit) and the worker starts: every attempt fails and is deferred. After ``--outage``
   seconds the server starts again; the worker's retries must deliver every message —
   distinct Message-IDs received = messages, none twice.
2. *SIGKILL*: ``--messages`` more are queued while the server is up but slow (20 ms per
   message, so a batch of 50 takes a second); when a hundred have arrived the worker is killed
   with SIGKILL mid-batch and started again. Every message must arrive; at most the message
   in flight at the kill (one per delivery thread: here one) arrives twice, with the same
   Message-ID. The lease is set to 30 s (``NEXA_EMAIL_LEASE_SECONDS``) so the run is short.

It prints the counts and exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sink(port: int, out: str, delay: float) -> None:
    """The SMTP server process: accept everything, append each Message-ID to ``out``."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if delay:
                await asyncio.sleep(delay)
            parsed = message_from_bytes(bytes(envelope.content), policy=policy.default)
            with open(out, "a", encoding="utf-8") as f:
                f.write(f"{parsed['Message-ID']}\n")
                f.flush()
                os.fsync(f.fileno())
            return "250 2.0.0 Ok"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


def start_sink(port: int, out: Path, delay: float) -> subprocess.Popen[bytes]:
    args = [sys.executable, __file__, "--sink", str(port), str(out), str(delay)]
    proc = subprocess.Popen(args)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the SMTP server did not start")


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    nexa = Path(sys.executable).parent / "nexa"
    with open(log, "ab") as f:
        return subprocess.Popen(
            [str(nexa), "worker", "--queue", "deliveries", "--workers", "1"],
            stdout=f,
            stderr=subprocess.STDOUT,
        )


def received(out: Path) -> list[str]:
    return out.read_text().split() if out.exists() else []


def states() -> dict[str, int]:
    from sqlalchemy import func, select

    from nexa.core.db import session_scope
    from nexa.core.repository import unscoped
    from nexa.models import EmailMessage

    with session_scope() as session:
        rows = session.execute(
            unscoped(select(EmailMessage.state, func.count()).group_by(EmailMessage.state))
        ).all()
        pending = session.scalar(
            unscoped(select(func.count()).where(EmailMessage.outcome_pending.is_(True)))
        )
    found = {state: int(n) for state, n in rows}
    found["outcome_pending"] = int(pending or 0)
    return found


def wait_all_sent(total: int, seconds: float) -> dict[str, int]:
    deadline = time.monotonic() + seconds
    now = states()
    while time.monotonic() < deadline:
        now = states()
        if now.get("sent", 0) == total and now["outcome_pending"] == 0:
            return now
        time.sleep(2)
    return now


def queue(user_id: Any, leads: list[Any]) -> list[str]:
    from nexa.auth.service import actor_for
    from nexa.core.db import session_scope
    from nexa.email.bulk import send_bulk
    from nexa.email.schemas import BulkEmailSend
    from nexa.models import User

    with session_scope() as session:  # commits, then queues the outbox delivery job
        actor = actor_for(session, session.get(User, user_id))
        result = send_bulk(
            session,
            actor,
            BulkEmailSend(record_type="lead", record_ids=leads, kind="transactional",
                          subject="Hello {{ lead.first_name }}", text="Hi"),
        )  # fmt: skip
    return [str(i) for i in result.queued]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--sink", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        sink(int(args.sink[0]), args.sink[1], float(args.sink[2]))
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="nexa-outage-"))
    os.environ.update(
        NEXA_VAR_DIR=str(tmp),
        NEXA_DATABASE_URL=f"sqlite:///{tmp / 'nexa.db'}",
        NEXA_SECRET_KEY="bench-secret-outage",
        NEXA_JOBS_IMMEDIATE="false",
        NEXA_EMAIL_BATCH_SIZE="50",
        NEXA_EMAIL_LEASE_SECONDS="30",
        NEXA_EMAIL_HOURLY_LIMIT_PER_DOMAIN="1000000",
    )
    from nexa.core.actor import SYSTEM
    from nexa.core.db import session_scope
    from nexa.email import service
    from nexa.email.schemas import SmtpSettingsIn
    from nexa.lead.bulk import BulkLeads
    from nexa.lead.schemas import LeadCreate
    from nexa.migrations import upgrade
    from nexa.subscribers import install
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user

    upgrade(os.environ["NEXA_DATABASE_URL"])
    install()
    port = free_port()
    out = tmp / "received.txt"
    log = tmp / "worker.log"
    with session_scope() as session:
        user = create_user(
            session, SYSTEM, UserCreate(email="rep@example.org", full_name="Rita Rep", role="admin")
        )
        service.put_smtp_settings(
            session,
            SYSTEM,
            SmtpSettingsIn(host="127.0.0.1", port=port, security="none", from_domain="example.com"),
        )
        from nexa.auth.service import actor_for

        bulk = BulkLeads(session, actor_for(session, user))
        new = [
            bulk.prepare(LeadCreate(first_name=f"L{i}", last_name="Outage",
                                    email=f"l{i}@example.org", allow_duplicates=True))
            for i in range(2 * args.messages)
        ]  # fmt: skip
        bulk.write(new)
        user_id, leads = user.id, [n.id for n in new]
    failures: list[str] = []

    # 1. the outage
    started = time.monotonic()
    first = queue(user_id, leads[: args.messages])
    worker = start_worker(log)
    time.sleep(args.outage)
    during = states()
    smtp = start_sink(port, out, 0.0)
    print(f"outage: {len(first)} queued; after {args.outage:.0f} s down: {during}")
    after = wait_all_sent(len(first), 900)
    got = received(out)
    counts = Counter(got)
    print(
        f"outage: server back; {len(got)} received, {len(counts)} distinct Message-IDs, "
        f"{sum(1 for n in counts.values() if n > 1)} twice, in {time.monotonic() - started:.0f} s;"
        f" states {after}"
    )
    if len(counts) != len(first) or len(got) != len(first):
        failures.append(f"outage: {len(counts)} distinct of {len(first)}, {len(got)} received")

    # 2. SIGKILL mid-batch
    smtp.send_signal(signal.SIGTERM)
    smtp.wait(30)
    out.unlink()
    smtp = start_sink(port, out, 0.02)
    started = time.monotonic()
    second = queue(user_id, leads[args.messages :])
    while len(received(out)) < 100 and time.monotonic() - started < 300:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(30)
    at_kill = len(received(out))
    worker = start_worker(log)
    after = wait_all_sent(len(first) + len(second), 900)
    got = received(out)
    counts = Counter(got)
    twice = [m for m, n in counts.items() if n > 1]
    print(
        f"sigkill: killed after {at_kill} of {len(second)} arrived; then {len(got)} received, "
        f"{len(counts)} distinct Message-IDs, {len(twice)} twice {twice}, in "
        f"{time.monotonic() - started:.0f} s; states {after}"
    )
    if len(counts) != len(second) or len(twice) > 1:
        failures.append(f"sigkill: {len(counts)} distinct of {len(second)}, {len(twice)} twice")
    worker.send_signal(signal.SIGTERM)
    smtp.send_signal(signal.SIGTERM)
    worker.wait(30)
    smtp.wait(30)
    for failure in failures:
        print(f"FAILED: {failure}")
    print("ok" if not failures else f"{len(failures)} check(s) failed; worker log: {log}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
