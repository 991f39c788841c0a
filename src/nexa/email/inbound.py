"""Receiving mail (issue 17, inbound): one received message → parsed, threaded, matched,
logged — or a recorded reason why not.

:func:`receive` is what the IMAP watcher (nexa.email.imap) and the SMTP listener
(nexa.email.receiver) call for each message, inside the caller's transaction. It works in a
savepoint: a message is stored whole (its row, attachments, thread, timeline entries, outbox
row) or not at all, and either way one ``email_receipts`` row says what happened:

- **stored**: an ``email_messages`` row (direction ``in``, state ``received``) in its thread,
  ``email.received`` published — ``email.replied`` when a person answers a message we sent —
  (the timeline subscriber writes the entry on the matched contact or lead, the contact's
  account and the account's most recent open deal);
- **duplicate**: a message with this Message-ID is already stored (the same message fetched
  again, delivered to two mailboxes, a copy of our own sent mail, or a loop of two
  auto-responders re-sending it): nothing is written twice;
- **bounce**: a delivery status notification (RFC 3464): a hard bounce (``failed``, 5.x.x)
  suppresses the address and marks the sent message ``bounced``; a soft one (4.x.x,
  ``delayed``) is counted on the sent message;
- **refused**: larger than ``NEXA_EMAIL_MAX_MESSAGE_BYTES``;
- **failed**: anything else went wrong; the savepoint is rolled back, the reason kept.

Threading: a message joins the thread of the newest message it names (In-Reply-To, then
References from the last); failing that, a reply subject ("Re: …") joins the thread with the
same subject and record active in the last 30 days; else it starts one.

Matching: the sender, then the other participants (not our own mailboxes), against live
contacts' and leads' addresses (``text_key``: case and Unicode forms do not matter). A reply
in a thread started from a record stays on that record. An unknown sender writing to a mailbox
whose ``create_leads`` rule is on (admins set it) becomes a lead.

Attachments go to the file store (nexa.core.filestore); one over
``NEXA_EMAIL_MAX_ATTACHMENT_BYTES`` or of a type that runs when opened is refused: its name,
size and the reason are kept on the message, no file.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.events import publish
from nexa.core.filestore import FileStore, default_store, refusal, safe_filename
from nexa.core.text import text_key
from nexa.email.events import BOUNCED, RECEIVED, REPLIED, ReceivedPayload
from nexa.email.parsing import ParsedMail, parse
from nexa.email.repository import InboundRepository
from nexa.models import EmailAttachment, EmailMessage, EmailReceipt, EmailThread, Mailbox

log = logging.getLogger(__name__)
SUBJECT_THREAD_WINDOW = timedelta(days=30)
NEVER_ANSWER_LOCAL_PARTS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply")


@dataclass(frozen=True)
class Outcome:
    outcome: str  # stored | duplicate | bounce | refused | failed
    detail: str | None = None
    email_id: uuid.UUID | None = None


def may_auto_answer(message: EmailMessage) -> bool:
    """Whether anything automatic (an auto-reply, a ticket acknowledgement, a workflow) may
    answer this message: a received message from a person, not auto-submitted, not from a
    mailer daemon or a no-reply address. Every module that answers mail asks this first."""
    if message.direction != "in" or message.auto_submitted or not message.from_address:
        return False
    local = message.from_address.split("@", 1)[0].lower()
    return not any(local.startswith(p) for p in NEVER_ANSWER_LOCAL_PARTS) and not (
        local.startswith("bounces+")
    )


def receive(
    session: Session,
    raw: bytes,
    *,
    mailbox: Mailbox | None,
    source: str,
    imap_uid: int | None = None,
    store: FileStore | None = None,
    now: datetime | None = None,
    recipients: list[str] | None = None,
) -> Outcome:
    """Take one received message (see the module's docstring); never raises for what the
    message holds. The caller commits. ``recipients``: the envelope's, when known (the SMTP
    listener)."""
    when = now or utcnow()
    repo = InboundRepository(session)
    limit = get_settings().email_max_message_bytes
    header_id: str | None = None
    if len(raw) > limit:
        outcome = Outcome("refused", f"{len(raw)} bytes; the limit is {limit}")
    else:
        try:
            with session.begin_nested():
                parsed = parse(raw)
                header_id = parsed.message_id
                outcome = _take(session, repo, parsed, mailbox, store, when, recipients or [])
        except IntegrityError as exc:
            if header_id is not None and repo.message_exists(header_id):
                # another process stored the same Message-ID meanwhile
                outcome = Outcome("duplicate", "already stored (by another process)")
            else:
                log.exception("a received message could not be stored")
                outcome = Outcome("failed", f"IntegrityError: {str(exc.orig)[:500]}")
        except Exception as exc:
            log.exception("a received message could not be stored")
            outcome = Outcome("failed", f"{type(exc).__name__}: {str(exc)[:500]}")
    session.add(  # flushed with the commit
        EmailReceipt(
            id=uuid.uuid4(),
            mailbox_id=mailbox.id if mailbox is not None else None,
            source=source,
            imap_uid=imap_uid,
            header_message_id=header_id,
            outcome=outcome.outcome,
            detail=outcome.detail,
            email_id=outcome.email_id,
            size=len(raw),
            created_at=when,
        )
    )
    return outcome


def refuse(
    session: Session,
    *,
    mailbox: Mailbox | None,
    source: str,
    size: int,
    detail: str,
    imap_uid: int | None = None,
) -> Outcome:
    """Record a message that was not even read (the IMAP watcher does not download one
    larger than ``NEXA_EMAIL_MAX_MESSAGE_BYTES``)."""
    InboundRepository(session).add(
        EmailReceipt(
            id=uuid.uuid4(),
            mailbox_id=mailbox.id if mailbox is not None else None,
            source=source,
            imap_uid=imap_uid,
            outcome="refused",
            detail=detail,
            size=size,
            created_at=utcnow(),
        )
    )
    return Outcome("refused", detail)


def _take(
    session: Session,
    repo: InboundRepository,
    parsed: ParsedMail,
    mailbox: Mailbox | None,
    store: FileStore | None,
    now: datetime,
    recipients: list[str],
) -> Outcome:
    if parsed.dsn is not None:
        return _bounce(session, repo, parsed)
    if parsed.complaint is not None:
        return _complaint(session, repo, parsed)
    unsubscribed = _unsubscribe_mailto(session, parsed, recipients)
    if unsubscribed is not None:
        return unsubscribed
    if repo.message_exists(parsed.message_id):
        return Outcome("duplicate", f"{parsed.message_id} is already stored")
    own_address = mailbox.address.lower() if mailbox is not None else None
    thread, answers_ours = _thread_by_headers(repo, parsed)
    matched, matched_owner = _match(repo, parsed, own_address)
    related: tuple[str, uuid.UUID] | None = None
    if thread is not None and thread.related_type and thread.related_id:
        related = (thread.related_type, thread.related_id)
    elif matched:
        related = matched[0]
    if thread is None and parsed.reply_subject:
        thread = repo.thread_by_subject(parsed.subject_key, now - SUBJECT_THREAD_WINDOW, related)
    created_lead = False
    if (
        related is None
        and mailbox is not None
        and mailbox.create_leads
        and parsed.from_address
        and not parsed.auto_submitted
        and parsed.from_address not in repo.addresses_of_mailboxes()
    ):
        related = ("lead", _lead_from(session, parsed, mailbox))
        matched = [related]
        created_lead = True
    when = now  # received now: a reply always sorts after what it answers
    if thread is None:
        thread = repo.add(
            EmailThread(
                id=uuid.uuid4(),
                subject=parsed.subject,
                subject_key=parsed.subject_key,
                first_message_at=when,
                last_message_at=when,
                message_count=1,
                related_type=related[0] if related else None,
                related_id=related[1] if related else None,
            )
        )
    else:
        thread.message_count += 1
        thread.last_message_at = max(thread.last_message_at, when)
        if thread.related_type is None and related is not None:
            thread.related_type, thread.related_id = related
    owner_id = _owner(repo, mailbox, related, matched[0] if matched else None, matched_owner)
    notes = list(parsed.defects)
    message = EmailMessage(
        id=uuid.uuid4(),
        message_id=parsed.message_id,
        direction="in",
        kind="transactional",
        state="received",
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        from_domain=parsed.from_domain,
        to=[{"name": n, "address": a} for n, a in parsed.to],
        cc=[{"name": n, "address": a} for n, a in parsed.cc],
        bcc=[],
        subject=parsed.subject,
        text_body=parsed.text,
        html_body=parsed.html,
        related_type=related[0] if related else None,
        related_id=related[1] if related else None,
        attempts=0,
        thread_id=thread.id,
        in_reply_to=parsed.in_reply_to,
        references_header=" ".join(parsed.references) or None,
        mailbox_id=mailbox.id if mailbox is not None else None,
        received_at=when,
        auto_submitted=parsed.auto_submitted,
        soft_bounces=0,
        notes=list(notes),
        owner_id=owner_id,
    )
    repo.add(message)
    _attachments(session, message, parsed, store, now, notes)
    message.notes = [*notes]  # a new list: the JSON column sees the change
    if not parsed.auto_submitted:  # a person answered: the templates' reply rates count it
        named = [*([parsed.in_reply_to] if parsed.in_reply_to else []), *parsed.references]
        repo.mark_replied(named, when)
    also_on = [(t, str(i)) for t, i in matched if related is None or (t, i) != related]
    # a person's answer to our mail is a reply (the lead score counts replies); anything else,
    # auto-replies included, was received
    replied = answers_ours and not parsed.auto_submitted
    publish(
        session,
        SYSTEM,
        (REPLIED if replied else RECEIVED).name,
        record_type="email",
        record_id=message.id,
        payload=ReceivedPayload(
            name=message.subject or "(no subject)",
            message_id=message.message_id,
            kind=message.kind,
            state=message.state,
            to=[r["address"] for r in message.to],
            related_type=message.related_type,
            related_id=str(message.related_id) if message.related_id else None,
            from_address=message.from_address,
            from_name=message.from_name,
            thread_id=str(thread.id),
            mailbox=mailbox.address if mailbox is not None else None,
            auto_submitted=message.auto_submitted,
            also_on=also_on,
        ),
    )
    detail = parsed.auto_reason and f"auto-submitted ({parsed.auto_reason})"
    if created_lead:
        detail = "; ".join(x for x in (detail, "a lead was created for the sender") if x)
    return Outcome("stored", detail or None, message.id)


def _thread_by_headers(
    repo: InboundRepository, parsed: ParsedMail
) -> tuple[EmailThread | None, bool]:
    """The thread of the newest stored message the headers name, and whether the message
    answers one we sent."""
    named = [*([parsed.in_reply_to] if parsed.in_reply_to else []), *reversed(parsed.references)]
    if not named:
        return None, False
    found = repo.threads_of(named)
    answers_ours = any(direction == "out" for _, direction in found.values())
    for message_id in named:
        if message_id in found:
            return repo.thread(found[message_id][0]), answers_ours
    return None, False


def _match(
    repo: InboundRepository, parsed: ParsedMail, own_address: str | None
) -> tuple[list[tuple[str, uuid.UUID]], uuid.UUID | None]:
    """The records the message concerns — the first participant (the sender first, never the
    receiving mailbox) that is a contact, with its account and the account's open deal, or a
    lead — and that record's owner."""
    people = [parsed.from_address, *(a for _, a in (*parsed.to, *parsed.cc))]
    seen: set[str] = set()
    for address in people:
        key = text_key(address)
        if not key or key in seen or key == own_address:
            continue
        seen.add(key)
        contact = repo.contact_by_email(key)
        if contact is not None:
            found: list[tuple[str, uuid.UUID]] = [("contact", contact.id)]
            if contact.account_id is not None:
                found.append(("account", contact.account_id))
                deal = repo.open_deal_of(contact.account_id)
                if deal is not None:
                    found.append(("deal", deal.id))
            return found, contact.owner_id
        lead = repo.lead_by_email(key)
        if lead is not None:
            return [("lead", lead.id)], lead.owner_id
    return [], None


def _owner(
    repo: InboundRepository,
    mailbox: Mailbox | None,
    related: tuple[str, uuid.UUID] | None,
    matched: tuple[str, uuid.UUID] | None,
    matched_owner: uuid.UUID | None,
) -> uuid.UUID | None:
    """A personal mailbox's messages are its owner's; a shared mailbox's belong to the owner
    of the record they were matched to (none: admins and managers read them)."""
    if mailbox is not None and mailbox.kind == "personal" and mailbox.owner_id is not None:
        return mailbox.owner_id
    if related is None:
        return None
    if matched is not None:
        return matched_owner  # the person's owner, also in a thread kept on another record
    from nexa.core.repository import REPOSITORIES

    try:
        record = REPOSITORIES[related[0]](repo.session).get(SYSTEM, related[1])
    except Exception:
        return None
    return getattr(record, "owner_id", None)


def _lead_from(session: Session, parsed: ParsedMail, mailbox: Mailbox) -> uuid.UUID:
    from nexa.lead.schemas import LeadCreate
    from nexa.lead.service import LeadService

    name = parsed.from_name or parsed.from_address.split("@", 1)[0]
    first, _, last = name.strip().rpartition(" ")
    data = LeadCreate(
        first_name=first or None,
        last_name=(last or name)[:100] or "Unknown",
        email=parsed.from_address,
        description=f"From an email to {mailbox.address}: {parsed.subject}"[:2000],
        allow_duplicates=True,
    )
    extra: dict[str, Any] = {}
    if mailbox.owner_id is not None:
        extra["owner_id"] = mailbox.owner_id
    lead = LeadService(session, SYSTEM).create(data, **extra)
    return lead.id


def _attachments(
    session: Session,
    message: EmailMessage,
    parsed: ParsedMail,
    store: FileStore | None,
    now: datetime,
    notes: list[str],
) -> None:
    if not parsed.attachments:
        return
    files = store or default_store()
    limit = get_settings().email_max_attachment_bytes
    for part in parsed.attachments:
        name = safe_filename(part.filename)
        why = refusal(name, part.content_type, len(part.data), limit)
        key = None
        if why is None:
            key = files.put(part.data).key
        else:
            notes.append(f"attachment {name} refused: {why}")
        session.add(
            EmailAttachment(
                id=uuid.uuid4(),
                email_id=message.id,
                filename=name,
                content_type=part.content_type[:255],
                size=len(part.data),
                file_key=key,
                refused=why,
                created_at=now,
            )
        )


def _unsubscribe_mailto(
    session: Session, parsed: ParsedMail, recipients: list[str]
) -> Outcome | None:
    """A mail to a message's List-Unsubscribe mailto (``unsubscribe+<row id>@<from-domain>``,
    the envelope recipient or a To/Cc address): that message's recipients are unsubscribed,
    as by its one-click link; the request itself is not kept as conversation."""
    from nexa.email.engagement import unsubscribe_by_mailto

    named = [*recipients, *(a for _, a in (*parsed.to, *parsed.cc))]
    for address in dict.fromkeys(a.lower() for a in named):
        if address.startswith("unsubscribe+") and unsubscribe_by_mailto(session, address):
            return Outcome("unsubscribe", f"{address}: its recipients are unsubscribed")
    return None


def _complaint(session: Session, repo: InboundRepository, parsed: ParsedMail) -> Outcome:
    """A feedback report: the complaining address (the report's Original-Rcpt-To, else the
    reported message's recipients) is suppressed for all mail, as a hard bounce is."""
    from nexa.email.service import add_suppression

    complaint = parsed.complaint
    assert complaint is not None
    original = None
    if parsed.verp_id:
        try:
            original = repo.message_by_row(uuid.UUID(hex=parsed.verp_id))
        except ValueError:
            original = None
    if original is None and complaint.original_message_id:
        original = repo.message_by_message_id(complaint.original_message_id)
    if complaint.original_rcpt:
        addresses = [complaint.original_rcpt]
    elif original is not None:
        addresses = [r["address"].lower() for r in original.to]
    else:
        addresses = []
    detail = f"feedback report ({complaint.feedback_type})"
    if original is not None:
        detail += f" on {original.message_id}"
    for address in addresses:
        add_suppression(session, address, "complaint", detail)
    if not addresses:
        return Outcome("complaint", f"{detail}: no address named, nothing suppressed")
    return Outcome("complaint", f"{detail}: {', '.join(addresses)} suppressed")


def _bounce(session: Session, repo: InboundRepository, parsed: ParsedMail) -> Outcome:
    """A delivery status notification: find the sent message (VERP id, else the original
    Message-ID), then suppress hard-bounced addresses and count soft bounces."""
    from nexa.email.service import _payload, add_suppression

    dsn = parsed.dsn
    assert dsn is not None
    original = None
    if dsn.verp_id:
        try:
            original = repo.message_by_row(uuid.UUID(hex=dsn.verp_id))
        except ValueError:
            original = None
    if original is None and dsn.original_message_id:
        original = repo.message_by_message_id(dsn.original_message_id)
    hard = [r for r in dsn.recipients if r.hard and r.address]
    soft = [r for r in dsn.recipients if r.soft and r.address]
    for r in hard:
        add_suppression(session, r.address, "hard_bounce", f"{r.status} {r.diagnostic}".strip())
    parts = []
    if hard:
        parts.append("hard bounce " + ", ".join(f"{r.address} ({r.status})" for r in hard))
    if soft:
        parts.append("soft bounce " + ", ".join(f"{r.address} ({r.status})" for r in soft))
    if not parts:
        parts.append("a delivery status notification with no failure")
    if original is None:
        parts.append("the sent message was not found")
        return Outcome("bounce", "; ".join(parts))
    if hard and original.state != "bounced":
        original.state = "bounced"
        original.last_reply = f"bounced: {hard[0].status} {hard[0].diagnostic}".strip()[:2000]
        publish(
            session,
            SYSTEM,
            BOUNCED.name,
            record_type="email",
            record_id=original.id,
            payload=_payload(original),
        )
    if soft:
        original.soft_bounces += len(soft)
    session.flush()
    return Outcome("bounce", "; ".join(parts), original.id)
