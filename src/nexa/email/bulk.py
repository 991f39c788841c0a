"""Mass email: one message to each of many leads or contacts, in the caller's transaction.

What ``send`` does for one record, done for a group in a few statements: the records (and a
contact's account) read in chunks of 500 with the sender's visibility, the suppression list
read once, each message rendered in the sandbox with its record's merge fields, the
``email_messages`` rows one executemany, and their ``email.queued`` events published as a
batch (``nexa.core.events.publish_batch``: the timeline, audit and outbox rows one executemany
each). The MIME message is built at delivery, as for every message.

A record the sender cannot read, without an address, or that may not get this kind of mail
(the suppression list, and for marketing its subscription type and consent:
``nexa.email.service.refusals``) is skipped with the reason; a template that fails for a
record skips that record (the first record's failure is the template's own and is a 422).
Links are tracked and the open pixel added as for one message (when the organization
tracks)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.core.events import publish_batch
from nexa.email import rendering, tracking
from nexa.email.events import QUEUED, EmailPayload
from nexa.email.repository import EmailRepository
from nexa.email.schemas import BulkEmailResult, BulkEmailSend, Skipped
from nexa.email.service import (
    _check_key_scope,
    _require,
    _subscription_type,
    _template_texts,
    booking_links,
    merge_context,
    policy,
    refusal_text,
    refusals,
    require_smtp,
    sender_of,
)


def send_bulk(session: Session, actor: Actor, data: BulkEmailSend) -> BulkEmailResult:
    queued, skipped = queue_bulk(session, actor, data)
    return BulkEmailResult(queued=list(queued.values()), skipped=skipped)


def queue_bulk(
    session: Session, actor: Actor, data: BulkEmailSend
) -> tuple[dict[uuid.UUID, uuid.UUID], list[Skipped]]:
    """``send_bulk``'s work: record id → the id of the message written for it, and the
    records skipped with the reason (mass email records which message each member got)."""
    _require(actor, "email:create", "send email")
    _check_key_scope(actor, data.record_type)
    repo = EmailRepository(session)
    smtp = require_smtp(repo)
    from_domain = str(smtp["from_domain"])
    from_name, from_address, signature = sender_of(repo, smtp, actor, data.sender_id)
    subject, text, html, template = _template_texts(session, actor, data)

    records = repo.readable_records(actor, data.record_type, data.record_ids)
    accounts: dict[uuid.UUID, Any] = {}
    if data.record_type == "contact":
        account_ids = [r.account_id for r in records.values() if r.account_id is not None]
        accounts = repo.readable_records(actor, "account", account_ids)
    owners = repo.users({r.owner_id for r in records.values() if r.owner_id is not None})
    links = booking_links(session, [*owners, actor.user_id])
    subscription = _subscription_type(data)
    blocked = refusals(
        session,
        [r.email for r in records.values() if getattr(r, "email", None)],
        data.kind,
        subscription,
    )
    settings = get_settings()
    track = data.track and policy(session).tracking

    skipped: list[Skipped] = []
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for record_id in dict.fromkeys(data.record_ids):
        record = records.get(record_id)
        if record is None:
            skipped.append(Skipped(record_id=record_id, reason="not found"))
            continue
        address = getattr(record, "email", None)
        if not address:
            skipped.append(Skipped(record_id=record_id, reason="no email address"))
            continue
        reason = blocked.get(address.lower())
        if reason is not None:
            why = f"{refusal_text(reason, subscription)} ({reason})"
            skipped.append(Skipped(record_id=record_id, reason=why))
            continue
        lead = record if data.record_type == "lead" else None
        contact = record if data.record_type == "contact" else None
        account = accounts.get(record.account_id) if contact is not None else None
        context = merge_context(
            lead,
            contact,
            account,
            None,
            owners.get(record.owner_id),
            owner_link=links.get(record.owner_id) if record.owner_id else None,
            sender_link=links.get(actor.user_id) if actor.user_id else None,
        )
        row_id = uuid.uuid4()
        rewriter = None
        if track:
            rewriter = tracking.LinkRewriter(
                settings.public_url, row_id, settings.effective_secret_key
            )
        try:
            s, t, h = rendering.render(
                context, subject=subject, text=text, html=html, attribute_filter=rewriter
            )
        except ValidationFailed as exc:
            if not rows and not skipped:
                raise  # the template itself fails
            skipped.append(Skipped(record_id=record_id, reason=f"not rendered: {exc}"))
            continue
        if signature:
            t = f"{t}\n\n-- \n{signature}"
        if rewriter is not None and h is not None:
            h = h + rewriter.pixel()
        name = " ".join(p for p in (record.first_name, record.last_name) if p)
        rows.append(
            {
                "id": row_id,
                "message_id": f"<{row_id.hex}@{from_domain}>",
                "kind": data.kind,
                "subscription": subscription,
                "tracked": rewriter is not None and h is not None,
                "links": rewriter.links if rewriter is not None and rewriter.links else None,
                "state": "queued",
                "from_name": from_name,
                "from_address": from_address,
                "from_domain": from_domain,
                "reply_to": data.reply_to,
                "to": [{"name": name, "address": address}],
                "cc": [],
                "bcc": [],
                "subject": s,
                "text_body": t,
                "html_body": h,
                "template_id": template.id if template else None,
                "related_type": data.record_type,
                "related_id": record.id,
                "attempts": 0,
                "next_attempt_at": now,
                "last_reply_code": None,
                "last_reply": None,
                "sent_at": None,
                "owner_id": actor.user_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    if rows:
        repo.insert_many(rows)
        publish_batch(
            session,
            actor,
            QUEUED.name,
            [("email", row["id"], _row_payload(row)) for row in rows],
        )
    return {row["related_id"]: row["id"] for row in rows}, skipped


def queue_copies(
    session: Session,
    actor: Actor,
    data: BulkEmailSend,
    to: list[tuple[str, str]],
    *,
    related: tuple[str, uuid.UUID],
    context: dict[str, Any] | None = None,
    subject_prefix: str = "",
) -> list[uuid.UUID]:
    """One untracked copy of ``data`` to each of ``to`` (name, address) — a mass email's seed
    list, a test send to oneself — rendered with ``context`` (a member's merge fields, or
    none) and linked to ``related`` (not to a member, so a copy counts for no one). A copy
    goes to the sender's own people, not to the audience: it is sent as transactional mail
    (no consent or unsubscribe of the audience applies; hard bounces and complaints still
    stop it, here and at delivery)."""
    _require(actor, "email:create", "send email")
    repo = EmailRepository(session)
    smtp = require_smtp(repo)
    from_domain = str(smtp["from_domain"])
    from_name, from_address, signature = sender_of(repo, smtp, actor, data.sender_id)
    subject, text, html, template = _template_texts(session, actor, data)
    if context is None:
        context = merge_context(None, None, None, None, None)
    s, t, h = rendering.render(context, subject=subject, text=text, html=html)
    if signature:
        t = f"{t}\n\n-- \n{signature}"
    blocked = refusals(session, [address for _, address in to], "transactional", None)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for name, address in dict.fromkeys(to):
        if address.lower() in blocked:
            continue
        row_id = uuid.uuid4()
        rows.append(
            {
                "id": row_id,
                "message_id": f"<{row_id.hex}@{from_domain}>",
                "kind": "transactional",
                "subscription": None,
                "tracked": False,
                "links": None,
                "state": "queued",
                "from_name": from_name,
                "from_address": from_address,
                "from_domain": from_domain,
                "reply_to": data.reply_to,
                "to": [{"name": name, "address": address}],
                "cc": [],
                "bcc": [],
                "subject": f"{subject_prefix}{s}",
                "text_body": t,
                "html_body": h,
                "template_id": template.id if template else None,
                "related_type": related[0],
                "related_id": related[1],
                "attempts": 0,
                "next_attempt_at": now,
                "last_reply_code": None,
                "last_reply": None,
                "sent_at": None,
                "owner_id": actor.user_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    if rows:
        repo.insert_many(rows)
        publish_batch(
            session,
            actor,
            QUEUED.name,
            [("email", row["id"], _row_payload(row)) for row in rows],
        )
    return [row["id"] for row in rows]


def _row_payload(row: dict[str, Any]) -> EmailPayload:
    return EmailPayload(
        name=row["subject"],
        message_id=row["message_id"],
        kind=row["kind"],
        state="queued",
        to=[r["address"] for r in row["to"]],
        related_type=row["related_type"],
        related_id=str(row["related_id"]),
    )
