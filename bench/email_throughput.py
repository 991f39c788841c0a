"""Outbound email throughput (issue 17): render + queue, and delivery to a local SMTP server.

Run: ``.venv/bin/python bench/email_throughput.py [--messages 2000] [--batch 50]``. It builds a
scratch SQLite organization (the migrations, one sales rep, ``--leads`` leads with an email),
starts aiosmtpd as a **separate process** on a free loopback port (its ``Sink`` handler
accepts and discards), stores the SMTP settings, then:

1. *render + queue*, one message per ``nexa.email.service.send`` (``--single``, what an API
   request does, without HTTP), from a lead with merge fields in subject, text and HTML
   (rendered in the sandbox, the HTML cleaned with nh3 and its two links made tracked links,
   the open pixel added), the ``email_messages`` row and its ``email.queued`` event (outbox,
   timeline and audit rows), one commit per 100 messages;
2. *render + queue*, mass email: ``nexa.email.bulk.send_bulk`` for ``--messages`` messages,
   ``--bulk-size`` records a call and commit (the goal's measure: issue 17 asks 2,000/s);
3. *delivery*: ``nexa.email.delivery.deliver_due`` in this one process (as one worker of the
   ``deliveries`` queue would run it): claim a batch, send it over one SMTP connection
   (the MIME message built now), each reply stored as it comes, the batch's events after.

It prints both rates and checks every message ended ``sent``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no SMTP server on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--single", type=int, default=500, help="messages sent one by one")
    parser.add_argument("--bulk-size", type=int, default=1000, help="records per bulk call")
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nexa-email-"))
    os.environ.update(
        NEXA_VAR_DIR=str(tmp),
        NEXA_DATABASE_URL=f"sqlite:///{tmp / 'nexa.db'}",
        NEXA_SECRET_KEY="bench-secret",
        NEXA_JOBS_IMMEDIATE="false",
        NEXA_EMAIL_BATCH_SIZE=str(args.batch),
        NEXA_EMAIL_HOURLY_LIMIT_PER_DOMAIN="1000000",
    )
    port = free_port()
    smtp = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c",
         "aiosmtpd.handlers.Sink"],
    )  # fmt: skip
    try:
        wait_for(port)
        run(args, port)
    finally:
        smtp.terminate()
        smtp.wait(10)


def run(args: argparse.Namespace, port: int) -> None:
    from sqlalchemy import func, select

    from nexa.core.actor import SYSTEM
    from nexa.core.db import session_scope
    from nexa.core.events import discard_after_commit
    from nexa.core.repository import unscoped
    from nexa.email import delivery, service
    from nexa.email.bulk import send_bulk
    from nexa.email.schemas import BulkEmailSend, EmailSend, SmtpSettingsIn
    from nexa.lead.schemas import LeadCreate
    from nexa.lead.service import LeadService
    from nexa.migrations import upgrade
    from nexa.models import EmailMessage
    from nexa.subscribers import install
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user

    upgrade(os.environ["NEXA_DATABASE_URL"])
    install()
    with session_scope() as session:
        user = create_user(
            session,
            SYSTEM,
            UserCreate(email="rep@example.org", full_name="Rita Rep", role="sales_rep"),
        )
        service.put_smtp_settings(
            session,
            SYSTEM,
            SmtpSettingsIn(host="127.0.0.1", port=port, security="none", from_domain="example.com"),
        )
        leads = [
            LeadService(session, SYSTEM)
            .create(
                LeadCreate(
                    first_name=f"Zoë{i}",
                    last_name="Bench",
                    email=f"lead{i}@example.org",
                    owner_id=user.id,
                    allow_duplicates=True,
                )
            )
            .id
            for i in range(args.leads)
        ]
        user_id = user.id
        discard_after_commit(session)
    from nexa.auth.service import actor_for
    from nexa.models import User

    body = {
        "subject": "Hello {{ lead.first_name }} from {{ organization.name }}",
        "text": "Dear {{ lead.first_name | default('friend') }},\n\nour offer for "
        "{{ lead.company | default('your team') }}.\n\n{{ owner.full_name }}",
        "html": (
            "<p>Dear <b>{{ lead.first_name }}</b>,</p><p>our "
            '<a href="https://example.com/offer">offer</a> and '
            '<a href="https://example.com/terms">terms</a>.</p><script>x()</script>'
        ),
    }
    started = time.perf_counter()
    done = 0
    while done < args.single:
        with session_scope() as session:
            actor = actor_for(session, session.get(User, user_id))
            for _ in range(min(100, args.single - done)):
                lead_id = leads[done % len(leads)]
                service.send(
                    session,
                    actor,
                    EmailSend(record_type="lead", record_id=lead_id, **body),
                )
                done += 1
            discard_after_commit(session)  # the bench delivers below, not through the queue
    queued_s = time.perf_counter() - started
    print(
        f"render + queue, one message per send (what an API request does): {done} messages "
        f"in {queued_s:.2f} s = {done / queued_s:,.0f}/s"
    )

    started = time.perf_counter()
    bulk = 0
    while bulk < args.messages:
        size = min(args.bulk_size, args.messages - bulk)
        with session_scope() as session:
            actor = actor_for(session, session.get(User, user_id))
            ids = [leads[(bulk + i) % len(leads)] for i in range(size)]
            result = send_bulk(
                session, actor, BulkEmailSend(record_type="lead", record_ids=ids, **body)
            )
            assert not result.skipped, result.skipped[:3]
            bulk += len(result.queued)
            discard_after_commit(session)
    bulk_s = time.perf_counter() - started
    print(
        f"render + queue, mass email (nexa.email.bulk.send_bulk, {args.bulk_size} records a "
        f"call and commit): {bulk} messages in {bulk_s:.2f} s = {bulk / bulk_s:,.0f}/s"
    )
    done += bulk

    started = time.perf_counter()
    sent = 0
    while True:
        result = delivery.deliver_due()
        if not result:
            break
        sent += result.get("sent", 0)
    sent_s = time.perf_counter() - started
    print(
        f"delivery (one process, batches of {args.batch} per SMTP connection, aiosmtpd in its "
        f"own process): {sent} messages in {sent_s:.2f} s = {sent / sent_s:,.0f}/s"
    )
    with session_scope() as session:
        states = dict(
            session.execute(
                unscoped(select(EmailMessage.state, func.count()).group_by(EmailMessage.state))
            ).all()
        )
    print(f"states: {states}")
    assert states == {"sent": done}, states


if __name__ == "__main__":
    main()
