"""Inbound email throughput (issue 17): parse + thread + match + log, beside a bare parse.

Run: ``.venv/bin/python bench/email_inbound.py [--messages 2000] [--contacts 300]``. It builds
a scratch SQLite organization (the migrations; ``--contacts`` contacts on accounts that each
have an open deal; the SMTP settings; ``--sent`` messages sent from those contacts' deals,
so there is something to reply to), then generates ``--messages`` received messages with the
stdlib (``email.message.EmailMessage``): about 40 % replies to the sent messages
(In-Reply-To + References, "Re:" subject), 40 % new threads from known contacts, 20 % from
unknown senders; one in four carries a 20 KB PDF attachment, one in ten is an auto-reply.

Then, over the same bytes in the same run:

1. *bare parse*: ``BytesParser(policy=policy.default).parsebytes`` in a loop, nothing else;
2. *our parse*: ``nexa.email.parsing.parse`` alone (what the stored row needs from the bytes);
3. *inbound*: ``nexa.email.inbound.receive`` per message, **one transaction per message** as
   the IMAP watcher runs it: parse (bodies, attachments, auto-reply and DSN checks), the
   duplicate check, threading, matching to contact → account → open deal, the message row,
   its attachment (file store under a scratch ``NEXA_FILES_DIR``), ``email.received`` with its
   timeline entries (contact, account, deal), audit and outbox rows, the receipt row; commit.

It prints both rates, the outcomes, how many replies joined their sent message's thread, and
checks every message was stored.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path


def build(
    *,
    sender: str,
    subject: str,
    text: str,
    in_reply_to: str | None = None,
    attachment: bytes | None = None,
    auto: bool = False,
) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = "sales@crm.example.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@customer.example>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if auto:
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(text)
    msg.add_alternative(f"<p>{text}</p>", subtype="html")
    if attachment is not None:
        msg.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="proposal.pdf"
        )
    return bytes(msg)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--contacts", type=int, default=300)
    parser.add_argument("--sent", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nexa-inbound-"))
    os.environ.update(
        NEXA_VAR_DIR=str(tmp),
        NEXA_DATABASE_URL=f"sqlite:///{tmp / 'nexa.db'}",
        NEXA_FILES_DIR=str(tmp / "files"),
        NEXA_SECRET_KEY="bench-secret",
        NEXA_JOBS_IMMEDIATE="false",
    )
    run(args)


def run(args: argparse.Namespace) -> None:
    from collections import Counter

    from sqlalchemy import func, select

    from nexa.account.schemas import AccountCreate
    from nexa.account.service import create_account
    from nexa.contact.schemas import ContactCreate
    from nexa.contact.service import create_contact
    from nexa.core.actor import SYSTEM
    from nexa.core.db import session_scope
    from nexa.core.events import discard_after_commit
    from nexa.core.repository import unscoped
    from nexa.deal.schemas import DealCreate
    from nexa.deal.service import DealService
    from nexa.email import service
    from nexa.email.inbound import receive
    from nexa.email.parsing import parse as parse_mail
    from nexa.email.schemas import EmailSend, SmtpSettingsIn
    from nexa.migrations import upgrade
    from nexa.models import EmailMessage, Mailbox
    from nexa.subscribers import install

    rng = random.Random(args.seed)
    upgrade(os.environ["NEXA_DATABASE_URL"])
    install()
    with session_scope() as session:
        service.put_smtp_settings(
            session,
            SYSTEM,
            SmtpSettingsIn(host="127.0.0.1", port=25, from_domain="crm.example.com"),
        )
        mailbox = Mailbox(id=uuid.uuid4(), address="sales@crm.example.com", kind="shared")
        session.add(mailbox)
        contacts: list[str] = []
        deals = []
        for i in range(args.contacts):
            account = create_account(session, SYSTEM, AccountCreate(name=f"Customer {i}"))
            email = f"buyer{i}@customer{i}.example"
            create_contact(
                session,
                SYSTEM,
                ContactCreate(first_name="Pat", last_name=f"Buyer {i}", email=email,
                              account_id=account.id),
            )  # fmt: skip
            deal = DealService(session, SYSTEM).create(
                DealCreate(name=f"Deal {i}", amount=1000, account_id=account.id)
            )
            contacts.append(email)
            deals.append((deal.id, email))
        sent: list[tuple[str, str, str]] = []
        for i in range(args.sent):
            deal_id, email = deals[i % len(deals)]
            message = service.send(
                session,
                SYSTEM,
                EmailSend(
                    record_type="deal",
                    record_id=deal_id,
                    to=[{"address": email}],
                    subject=f"Proposal {i}",
                    text="Please find our proposal.",
                ),
            )
            sent.append((message.message_id, email, message.subject))
        mailbox_id = mailbox.id
        discard_after_commit(session)

    pdf = b"%PDF-1.4\n" + bytes(rng.getrandbits(8) for _ in range(20_000))
    raws: list[bytes] = []
    kinds: Counter[str] = Counter()
    for i in range(args.messages):
        roll = rng.random()
        attachment = pdf if i % 4 == 0 else None
        auto = i % 10 == 9
        extra = {"attachment": attachment, "auto": auto}
        if roll < 0.4:
            message_id, email, subject = sent[rng.randrange(len(sent))]
            raw = build(
                sender=email, subject=f"Re: {subject}", text="OK.", in_reply_to=message_id, **extra
            )
            kinds["reply"] += 1
        elif roll < 0.8:
            email = contacts[rng.randrange(len(contacts))]
            raw = build(sender=email, subject=f"Question {i}", text="What does it cost?", **extra)
            kinds["new thread, known contact"] += 1
        else:
            sender = f"someone{i}@unknown.example"
            raw = build(sender=sender, subject=f"Hello {i}", text="Are you hiring?", **extra)
            kinds["unknown sender"] += 1
        raws.append(raw)
    size = sum(len(r) for r in raws)
    print(f"{len(raws)} messages ({dict(kinds)}), {size / len(raws) / 1024:.1f} KB on average")

    parse = BytesParser(policy=policy.default).parsebytes
    started = time.perf_counter()
    for raw in raws:
        parse(raw)
    bare = time.perf_counter() - started
    print(f"bare BytesParser(policy=policy.default): {len(raws) / bare:,.0f} msg/s")
    started = time.perf_counter()
    for raw in raws:
        parse_mail(raw)
    ours = time.perf_counter() - started
    print(
        f"nexa.email.parsing.parse alone (headers, bodies, attachments, auto-reply and DSN "
        f"checks): {len(raws) / ours:,.0f} msg/s"
    )

    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    for raw in raws:
        with session_scope() as session:
            box = session.get(Mailbox, mailbox_id)
            outcomes[receive(session, raw, mailbox=box, source="imap").outcome] += 1
            discard_after_commit(session)  # webhooks and jobs are the worker's, not measured
    took = time.perf_counter() - started
    print(
        f"inbound parse + thread + match + log, one transaction per message: "
        f"{len(raws) / took:,.0f} msg/s ({took / len(raws) * 1000:.1f} ms each; "
        f"{took / bare:.0f}x the bare parse)"
    )
    with session_scope() as session:
        joined = session.scalar(
            unscoped(
                select(func.count())
                .select_from(EmailMessage)
                .where(EmailMessage.direction == "in", EmailMessage.in_reply_to.is_not(None))
                .where(
                    EmailMessage.thread_id.in_(
                        select(EmailMessage.thread_id).where(EmailMessage.direction == "out")
                    )
                )
            )
        )
    print(f"outcomes: {dict(outcomes)}; replies in their sent message's thread: {joined}")
    assert outcomes == {"stored": len(raws)}, outcomes
    assert joined == kinds["reply"], (joined, kinds["reply"])


if __name__ == "__main__":
    main()
