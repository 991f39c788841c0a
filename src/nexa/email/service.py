"""Email (issue 17): the SMTP settings, sender identities, the suppression list and consent
checks, templates, merge fields and sending. Delivery is ``nexa.email.delivery``, what
recipients do (opens, clicks, unsubscribes, subscriptions) ``nexa.email.engagement``, mass
email ``nexa.email.bulk``, receiving ``nexa.email.inbound``.

* Sending (``send``): in the request's transaction the subject and bodies are rendered from
  the record (nexa.email.rendering: the bounded sandbox, nh3, tracked links), the
  recipients checked (header values, the recipient limit, the suppression list and consent:
  a refused recipient is a 422 naming it, nothing is written), attachments kept in the file
  store, and the ``email_messages`` row written with its fixed Message-ID; ``email.queued``
  is published, so the outbox row is in the same transaction.
* After commit the outbox handler (``on_queued``) queues ``email.deliver`` on the
  ``deliveries`` queue, one job per batch (nexa.email.delivery).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nexa.booking.repository import BookingRepository
from nexa.booking.schemas import page_url
from nexa.config import get_settings
from nexa.core.actor import SYSTEM, Actor
from nexa.core.db import utcnow
from nexa.core.errors import NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import (
    OutboxMessage,
    enqueue_batched_after_commit,
    publish,
)
from nexa.core.repository import REPOSITORIES
from nexa.core.secretbox import SecretUnreadable, seal, unseal
from nexa.email import attachments, rendering, tracking
from nexa.email.events import (
    QUEUED,
    EmailPayload,
)
from nexa.email.parsing import subject_key
from nexa.email.repository import EmailRepository, EmailTemplateRepository, InboundRepository
from nexa.email.schemas import (
    AttachmentOut,
    BulkEmailSend,
    EmailOut,
    EmailPolicy,
    EmailPolicyIn,
    EmailSend,
    EmailTemplateIn,
    EmailTemplateUpdate,
    Engagement,
    PreviewIn,
    RecipientOut,
    Rendered,
    SenderIdentityIn,
    SmtpSettings,
    SmtpSettingsIn,
    SuppressionIn,
)
from nexa.email.schemas import EmailTemplate as TemplateOut
from nexa.email.transport import Connection, Reply, SmtpConfig
from nexa.models import (
    EmailMessage,
    EmailSuppression,
    EmailTemplate,
    EmailThread,
    SenderIdentity,
)

DELIVER_JOB = "email.deliver"
SENDABLE_FROM = ("lead", "contact", "account", "deal")


# ---- settings -----------------------------------------------------------------------------


def _require(actor: Actor, permission: str, what: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"you may not {what}")


def get_smtp_settings(session: Session, actor: Actor) -> SmtpSettings:
    _require(actor, "settings:read", "read the email settings")
    stored = EmailRepository(session).smtp_settings()
    if not stored:
        return SmtpSettings(configured=False)
    return SmtpSettings(
        configured=True,
        password_set=bool(stored.get("password")),
        **{k: stored[k] for k in SmtpSettings.model_fields if k in stored and k != "configured"},
    )


def put_smtp_settings(session: Session, actor: Actor, data: SmtpSettingsIn) -> SmtpSettings:
    """Replace the SMTP settings; the password is stored encrypted (nexa.core.secretbox) and
    kept when ``password`` is left out."""
    _require(actor, "settings:write", "change the email settings")
    repo = EmailRepository(session)
    stored = repo.smtp_settings() or {}
    value = data.model_dump(exclude={"password"})
    value["from_domain"] = value["from_domain"].lower()
    if data.password is None:
        value["password"] = stored.get("password", "")
    elif data.password == "":
        value["password"] = ""
    else:
        value["password"] = seal(data.password, get_settings().effective_secret_key)
    repo.set_smtp_settings(value)
    return get_smtp_settings(session, SYSTEM)


def smtp_config(session: Session) -> SmtpConfig | None:
    """The settings the worker and ``nexa doctor`` connect with (None: not configured)."""
    stored = EmailRepository(session).smtp_settings()
    if not stored:
        return None
    password = ""
    if stored.get("password"):
        password = unseal(stored["password"], get_settings().effective_secret_key)
    return SmtpConfig(
        host=stored["host"],
        port=int(stored["port"]),
        security=stored.get("security", "starttls"),
        username=stored.get("username", ""),
        password=password,
        from_domain=stored["from_domain"],
        from_name=stored.get("from_name", ""),
        from_local_part=stored.get("from_local_part", "crm"),
        timeout=get_settings().email_smtp_timeout_seconds,
        loopback_only=get_settings().outbound_loopback_only,
    )


def check_connection(session: Session) -> Reply | None:
    """Connect to the configured server and NOOP (``nexa doctor``); None: not configured."""
    try:
        config = smtp_config(session)
    except SecretUnreadable as exc:
        return Reply("failed", None, str(exc))
    if config is None:
        return None
    with Connection(config) as conn:
        return conn.check()


# ---- sender identities --------------------------------------------------------------------


def list_senders(session: Session, actor: Actor) -> list[SenderIdentity]:
    if actor.user_id is None:
        return []
    return EmailRepository(session).senders_of(actor.user_id)


def create_sender(session: Session, actor: Actor, data: SenderIdentityIn) -> SenderIdentity:
    if actor.user_id is None:
        raise PermissionDenied("only a user has sender identities")
    repo = EmailRepository(session)
    stored = repo.smtp_settings()
    address = data.address or ""
    if not address:
        raise ValidationFailed("an address is needed", field="address")
    if stored and not address.endswith("@" + str(stored["from_domain"])):
        raise ValidationFailed(
            f"a sender address must be at {stored['from_domain']} (the from-domain)",
            field="address",
        )
    return repo.add_sender(
        SenderIdentity(
            id=uuid.uuid4(),
            user_id=actor.user_id,
            name=data.name,
            address=address,
            signature=data.signature,
        )
    )


def delete_sender(session: Session, actor: Actor, sender_id: uuid.UUID) -> None:
    repo = EmailRepository(session)
    sender = repo.sender(sender_id)
    if sender is None or sender.user_id != actor.user_id:
        raise NotFound("no sender identity of yours with this id")
    repo.delete(sender)


# ---- suppression --------------------------------------------------------------------------


def suppress(session: Session, actor: Actor, data: SuppressionIn) -> EmailSuppression:
    """Add an address to the suppression list (admins; bounces and unsubscribes later)."""
    _require(actor, "settings:write", "change the suppression list")
    if not data.address:
        raise ValidationFailed("an address is needed", field="address")
    return add_suppression(session, data.address, data.reason, data.detail, kind=data.kind)


def add_suppression(
    session: Session,
    address: str,
    reason: str,
    detail: str | None = None,
    *,
    kind: str = "all",
) -> EmailSuppression:
    """Suppress ``address``: a hard bounce or complaint stops all mail (kind ``all``); an
    unsubscribe stops the non-transactional mail of ``kind`` (a subscription type, or
    ``all`` of them)."""
    if reason != "unsubscribe":
        kind = "all"
    repo = EmailRepository(session)
    existing = repo.suppression(address, reason, kind)
    if existing is not None:
        return existing
    return repo.add_suppression(
        EmailSuppression(
            id=uuid.uuid4(),
            address=address.lower(),
            reason=reason,
            kind=kind,
            detail=detail or None,
            created_at=utcnow(),
        )
    )


def list_suppressions(session: Session, actor: Actor) -> list[EmailSuppression]:
    _require(actor, "settings:read", "read the suppression list")
    return EmailRepository(session).suppressions()


def suppressed(session: Session, addresses: list[str], kind: str) -> dict[str, str]:
    """Address → reason for each address mail of ``kind`` must not go to, by the suppression
    list alone: hard bounces and complaints stop every message; unsubscribes (of any type)
    stop marketing mail. ``refusals`` applies subscription types and consent too."""
    found: dict[str, str] = {}
    for row in EmailRepository(session).suppressions_of(addresses):
        if row.reason in ("hard_bounce", "complaint") or kind == "marketing":
            found.setdefault(row.address.lower(), row.reason)
    return found


def marketing_allowed(
    session: Session, addresses: list[str], subscription_type: str
) -> dict[str, str]:
    """Address → reason for each address that must not get non-transactional mail of
    ``subscription_type`` (absent: allowed), in two queries however many addresses (campaigns
    call it with a batch):

    * ``hard_bounce``, ``complaint``: on the suppression list (no mail at all);
    * ``unsubscribe``: unsubscribed at this address from this type or from all of them;
    * ``unsubscribed``: a contact or lead with this address is unsubscribed from the type;
    * ``no_consent``: the organization requires explicit opt-in for marketing and no contact
      or lead with this address subscribed to the type.
    """
    repo = EmailRepository(session)
    found: dict[str, str] = {}
    for row in repo.suppressions_of(addresses):
        address = row.address.lower()
        if row.reason in ("hard_bounce", "complaint"):
            found[address] = row.reason
        elif row.kind in ("all", subscription_type):
            found.setdefault(address, "unsubscribe")
    consented: set[str] = set()
    for sub in repo.subscriptions_by_address(addresses, subscription_type):
        address = (sub.address or "").lower()
        if sub.status == "unsubscribed":
            found.setdefault(address, "unsubscribed")
        elif sub.status == "subscribed":
            consented.add(address)
    if policy(session).marketing_requires_opt_in:
        for address in {a.lower() for a in addresses} - consented:
            found.setdefault(address, "no_consent")
    return found


REFUSAL_WORDS = {
    "hard_bounce": "is on the suppression list (hard bounce): no mail goes to it",
    "complaint": "is on the suppression list (complaint): no mail goes to it",
    "unsubscribe": "unsubscribed: no {type} mail goes to it",
    "unsubscribed": "is unsubscribed from {type} mail (its contact or lead)",
    "no_consent": "has not opted in to {type} mail (the organization requires explicit opt-in)",
}


def refusals(
    session: Session, addresses: list[str], kind: str, subscription_type: str | None
) -> dict[str, str]:
    """Address → reason for each recipient a message of ``kind`` (and subscription type)
    must not go to: transactional mail is stopped by hard bounces and complaints only;
    marketing mail by ``marketing_allowed``."""
    if kind == "transactional":
        return suppressed(session, addresses, kind)
    return marketing_allowed(session, addresses, subscription_type or "marketing")


def refusal_text(reason: str, subscription_type: str | None) -> str:
    return REFUSAL_WORDS.get(reason, reason).format(type=subscription_type or "marketing")


# ---- tracking and consent settings --------------------------------------------------------


def policy(session: Session) -> EmailPolicy:
    return EmailPolicy(**EmailRepository(session).policy())


def get_policy(session: Session, actor: Actor) -> EmailPolicy:
    _require(actor, "settings:read", "read the email settings")
    return policy(session)


def put_policy(session: Session, actor: Actor, data: EmailPolicyIn) -> EmailPolicy:
    _require(actor, "settings:write", "change the email settings")
    EmailRepository(session).set_policy(data.model_dump())
    return policy(session)


# ---- templates ----------------------------------------------------------------------------


def to_template(t: EmailTemplate) -> TemplateOut:
    return TemplateOut(
        id=t.id,
        name=t.name,
        kind=t.kind,
        subject=t.subject,
        text=t.text_body,
        html=t.html_body,
        intent=t.intent,
        owner_id=t.owner_id,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


def _trial_render(subject: str, text: str, html: str) -> None:
    """A template is rendered against an empty record when saved: syntax errors, sandbox
    refusals and limits are a 422 naming the field now, not at send."""
    rendering.render(
        merge_context(None, None, None, None, None),
        subject=subject,
        text=text or None,
        html=html or None,
    )


def list_templates(session: Session, actor: Actor, kind: str | None = None) -> list[EmailTemplate]:
    _require(actor, "email_template:read", "read email templates")
    return EmailTemplateRepository(session).listed(actor, kind=kind)


def get_template(session: Session, actor: Actor, template_id: uuid.UUID) -> EmailTemplate:
    _require(actor, "email_template:read", "read email templates")
    return EmailTemplateRepository(session).get(actor, template_id)


def create_template(session: Session, actor: Actor, data: EmailTemplateIn) -> EmailTemplate:
    _require(actor, "email_template:create", "create email templates")
    _trial_render(data.subject, data.text, data.html)
    return EmailTemplateRepository(session).add(
        EmailTemplate(
            id=uuid.uuid4(),
            name=data.name,
            kind=data.kind,
            subject=data.subject,
            text_body=data.text,
            html_body=data.html,
            intent=data.intent,
            owner_id=actor.user_id,
        )
    )


def update_template(
    session: Session, actor: Actor, template_id: uuid.UUID, data: EmailTemplateUpdate
) -> EmailTemplate:
    repo = EmailTemplateRepository(session)
    template = repo.get_for(actor, template_id, "write")
    given = data.model_fields_set
    if "intent" in given:
        template.intent = data.intent
    for field, column in (("name", "name"), ("kind", "kind"), ("subject", "subject")):
        if field in given:
            value = getattr(data, field)
            if value is None:
                raise ValidationFailed(f"{field} cannot be empty", field=field)
            setattr(template, column, value)
    if "text" in given:
        template.text_body = data.text or ""
    if "html" in given:
        template.html_body = data.html or ""
    _trial_render(template.subject, template.text_body, template.html_body)
    template.updated_at = utcnow()
    session.flush()
    return template


def delete_template(session: Session, actor: Actor, template_id: uuid.UUID) -> None:
    repo = EmailTemplateRepository(session)
    repo.delete(repo.get_for(actor, template_id, "delete"))


# ---- merge fields -------------------------------------------------------------------------


def _readable(session: Session, actor: Actor, record_type: str, record_id: Any) -> Any:
    if record_id is None:
        return None
    try:
        return REPOSITORIES[record_type](session).get(actor, record_id)
    except NotFound:
        return None  # a linked record the sender cannot read gives no merge fields


def merge_context(
    lead: Any,
    contact: Any,
    account: Any,
    deal: Any,
    owner: Any,
    *,
    owner_link: str | None = None,
    sender_link: str | None = None,
) -> dict[str, Any]:
    """The merge fields. ``owner_link``: the record owner's booking page address
    (``{{ owner.booking_link }}``); ``{{ booking_link }}`` is the owner's, else the sender's
    (either left undefined, so empty, when there is none)."""
    context: dict[str, Any] = {
        "lead": rendering.fields_of("lead", lead),
        "contact": rendering.fields_of("contact", contact),
        "account": rendering.fields_of("account", account),
        "deal": rendering.fields_of("deal", deal),
        "owner": rendering.fields_of("owner", owner),
        "organization": {"name": get_settings().org_name},
    }
    if owner_link:
        context["owner"]["booking_link"] = owner_link
    if owner_link or sender_link:
        context["booking_link"] = owner_link or sender_link
    return context


def booking_links(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """The booking page address of each of these users who has an enabled one."""
    slugs = BookingRepository(session).slugs_of_users(i for i in user_ids if i is not None)
    return {user_id: page_url(slug) for user_id, slug in slugs.items()}


def record_context(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID
) -> tuple[Any, dict[str, Any]]:
    """The record (404 when the actor cannot read it) and its merge fields."""
    if record_type not in SENDABLE_FROM:
        raise ValidationFailed(
            f"mail is sent from a {', '.join(SENDABLE_FROM)}", field="record_type"
        )
    record = REPOSITORIES[record_type](session).get(actor, record_id)
    lead = contact = account = deal = None
    if record_type == "lead":
        lead = record
    elif record_type == "contact":
        contact = record
        account = _readable(session, actor, "account", record.account_id)
    elif record_type == "account":
        account = record
        contact = _readable(session, actor, "contact", record.primary_contact_id)
    else:
        deal = record
        account = _readable(session, actor, "account", record.account_id)
        contact = _readable(session, actor, "contact", record.primary_contact_id)
    owner = EmailRepository(session).user(getattr(record, "owner_id", None))
    links = booking_links(session, [owner.id if owner else None, actor.user_id])
    return record, merge_context(
        lead,
        contact,
        account,
        deal,
        owner,
        owner_link=links.get(owner.id) if owner else None,
        sender_link=links.get(actor.user_id) if actor.user_id else None,
    )


def _template_texts(
    session: Session, actor: Actor, data: EmailSend | PreviewIn | BulkEmailSend
) -> tuple[str, str | None, str | None, EmailTemplate | None]:
    template = None
    subject, text, html = data.subject, data.text, data.html
    if data.template_id is not None:
        template = get_template(session, actor, data.template_id)
        subject = subject or template.subject
        if text is None and html is None:
            text, html = template.text_body or None, template.html_body or None
    if not subject:
        raise ValidationFailed("a message needs a subject (or a template)", field="subject")
    return subject, text, html, template


def preview(session: Session, actor: Actor, data: PreviewIn) -> Rendered:
    _require(actor, "email_template:read", "preview email templates")
    _check_key_scope(actor, data.record_type)
    _, context = record_context(session, actor, data.record_type, data.record_id)
    subject, text, html, _ = _template_texts(session, actor, data)
    s, t, h = rendering.render(context, subject=subject, text=text, html=html)
    return Rendered(subject=s, text=t, html=h)


# ---- sending ------------------------------------------------------------------------------


def _check_key_scope(actor: Actor, record_type: str) -> None:
    """A key sends from a record only with that record type's read scope."""
    scopes = actor.key_scopes
    if scopes is not None and "*" not in scopes and f"{record_type}:read" not in scopes:
        raise PermissionDenied(
            f"this API key lacks the scope {record_type}:read", missing_scope=f"{record_type}:read"
        )


def _recipients(items: list[Any], field: str) -> list[dict[str, str]]:
    out = []
    for i, item in enumerate(items):
        if not item.address:
            raise ValidationFailed("an address is needed", field=f"{field}.{i}.address")
        rendering.header_value(item.name, f"{field}.{i}.name")
        rendering.header_value(item.address or "", f"{field}.{i}.address")
        out.append({"name": item.name, "address": item.address or ""})
    return out


def sender_of(
    repo: EmailRepository, smtp: dict[str, Any], actor: Actor, sender_id: uuid.UUID | None
) -> tuple[str, str, str]:
    """From name, From address and signature: the organization's, or one of the actor's
    sender identities (422 when ``sender_id`` is someone else's)."""
    from_name = str(smtp.get("from_name") or get_settings().org_name)
    from_address = f"{smtp.get('from_local_part', 'crm')}@{smtp['from_domain']}"
    signature = ""
    if sender_id is not None:
        sender = repo.sender(sender_id)
        if sender is None or sender.user_id != actor.user_id:
            raise ValidationFailed("not one of your sender identities", field="sender_id")
        from_name, from_address, signature = sender.name, sender.address, sender.signature
    rendering.header_value(from_name, "from_name")
    return from_name, from_address, signature


def require_smtp(repo: EmailRepository) -> dict[str, Any]:
    smtp = repo.smtp_settings()
    if not smtp:
        raise ValidationFailed(
            "email is not set up: an admin enters the SMTP settings first", field="settings"
        )
    return smtp


def send(
    session: Session,
    actor: Actor,
    data: EmailSend,
    *,
    files: list[tuple[str, str, bytes]] | None = None,
) -> EmailMessage:
    """Render and queue one message from a record (see the module's docstring). ``files``:
    uploaded files (name, content type, bytes) to attach besides ``data.attachments``."""
    _require(actor, "email:create", "send email")
    _check_key_scope(actor, data.record_type)
    settings = get_settings()
    repo = EmailRepository(session)
    smtp = require_smtp(repo)
    record, context = record_context(session, actor, data.record_type, data.record_id)
    to = _recipients(data.to, "to")
    cc = _recipients(data.cc, "cc")
    bcc = _recipients(data.bcc, "bcc")
    if not to and not cc and not bcc:
        # the record's own address (a lead, a contact), else its primary contact's (a deal,
        # an account)
        person = record if getattr(record, "email", None) else None
        own = getattr(record, "email", None) or context["contact"].get("email")
        if not own:
            raise ValidationFailed("name a recipient (this record has no email)", field="to")
        if person is not None:
            first, last = getattr(person, "first_name", None), getattr(person, "last_name", None)
            name = " ".join(p for p in (first, last) if p)
        else:
            name = str(context["contact"].get("full_name") or "")
        to = [{"name": name, "address": own}]
    everyone = [r["address"] for r in (*to, *cc, *bcc)]
    if len(everyone) > settings.email_max_recipients:
        raise ValidationFailed(
            f"{len(everyone)} recipients; at most {settings.email_max_recipients} per message",
            field="to",
        )
    subscription = _subscription_type(data)
    blocked = refusals(session, everyone, data.kind, subscription)
    if blocked:
        field, address, reason = next(
            (f"{name}.{i}.address", r["address"].lower(), blocked[r["address"].lower()])
            for name, rows in (("to", to), ("cc", cc), ("bcc", bcc))
            for i, r in enumerate(rows)
            if r["address"].lower() in blocked
        )
        raise ValidationFailed(
            f"{address} {refusal_text(reason, subscription)} ({reason})",
            field=field,
            reason=reason,
        )
    row_id = uuid.uuid4()
    subject, text, html, template = _template_texts(session, actor, data)
    rewriter = None
    if data.track and policy(session).tracking:
        rewriter = tracking.LinkRewriter(settings.public_url, row_id, settings.effective_secret_key)
    subject, text, html = rendering.render(
        context, subject=subject, text=text, html=html, attribute_filter=rewriter
    )
    if rewriter is not None and html is not None:
        html = html + rewriter.pixel()
    files = [
        *attachments.decode(data.attachments),
        *(files or []),
        *attachments.quote_files(session, actor, data.quote_ids),
    ]
    answered = None
    if data.in_reply_to_id is not None:
        try:
            answered = repo.get(actor, data.in_reply_to_id)
        except NotFound:
            raise ValidationFailed("no such message", field="in_reply_to_id") from None
    from_domain = str(smtp["from_domain"])
    from_name, from_address, signature = sender_of(repo, smtp, actor, data.sender_id)
    if signature:
        text = f"{text}\n\n-- \n{signature}"
    now = utcnow()
    references = None
    if answered is not None and answered.thread_id is not None:
        thread_id = answered.thread_id
        chain = [*(answered.references_header or "").split(), answered.message_id]
        references = " ".join(chain[-20:])
    else:
        thread_id = start_thread(session, subject, now, data.record_type, record.id).id
    message = repo.add(
        EmailMessage(
            id=row_id,
            message_id=f"<{row_id.hex}@{from_domain}>",
            kind=data.kind,
            subscription=subscription,
            tracked=rewriter is not None and html is not None,
            links=rewriter.links if rewriter is not None and rewriter.links else None,
            state="queued",
            from_name=from_name,
            from_address=from_address,
            from_domain=from_domain,
            reply_to=data.reply_to,
            to=to,
            cc=cc,
            bcc=bcc,
            subject=subject,
            text_body=text,
            html_body=html,
            template_id=template.id if template else None,
            related_type=data.record_type,
            related_id=record.id,
            attempts=0,
            next_attempt_at=max(now, data.send_at) if data.send_at else now,
            owner_id=actor.user_id,
            direction="out",
            thread_id=thread_id,
            in_reply_to=answered.message_id if answered is not None else None,
            references_header=references,
        )
    )
    if files:
        attachments.attach(session, message.id, files)
    publish(
        session,
        actor,
        QUEUED.name,
        record_type="email",
        record_id=message.id,
        payload=_payload(message),
    )
    return message


def start_thread(
    session: Session,
    subject: str,
    now: datetime,
    record_type: str | None,
    record_id: uuid.UUID | None,
) -> EmailThread:
    """A new conversation, started by a sent message (the replies that name it join it)."""
    return InboundRepository(session).add(
        EmailThread(
            id=uuid.uuid4(),
            subject=subject,
            subject_key=subject_key(subject),
            first_message_at=now,
            last_message_at=now,
            message_count=1,
            related_type=record_type,
            related_id=record_id,
        )
    )


def _subscription_type(data: EmailSend | BulkEmailSend) -> str | None:
    if data.kind == "transactional":
        if data.subscription is not None:
            raise ValidationFailed(
                "transactional mail has no subscription type (send it as marketing)",
                field="subscription",
            )
        return None
    return data.subscription or "marketing"


def _payload(message: EmailMessage) -> EmailPayload:
    return EmailPayload(
        name=message.subject,
        message_id=message.message_id,
        kind=message.kind,
        state=message.state,
        to=[r["address"] for r in message.to],
        related_type=message.related_type,
        related_id=str(message.related_id) if message.related_id else None,
        reply=message.last_reply,
    )


def on_queued(session: Session, outbox: OutboxMessage) -> None:
    """Outbox handler for ``email.queued`` (after commit): queue the delivery job."""
    if outbox.event == QUEUED.name and outbox.record_id is not None:
        enqueue_batched_after_commit(
            session, DELIVER_JOB, str(outbox.record_id), batch=get_settings().email_batch_size
        )


def list_emails(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    record_type: str | None = None,
    record_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[EmailMessage]:
    _require(actor, "email:read", "read email")
    return EmailRepository(session).page(
        actor,
        state=state,
        record_type=record_type,
        record_id=record_id,
        owner_id=owner_id,
        limit=limit,
    )


def get_email(session: Session, actor: Actor, message_id: uuid.UUID) -> EmailMessage:
    _require(actor, "email:read", "read email")
    return EmailRepository(session).get(actor, message_id)


def shown(session: Session, m: EmailMessage) -> EmailOut:
    """One message as the API shows it, with its attachments."""
    return to_out(m, InboundRepository(session).attachments_of([m.id]))


def to_out(m: EmailMessage, attachments: list[Any] | None = None) -> EmailOut:
    def people(rows: list[Any]) -> list[RecipientOut]:
        return [RecipientOut(address=r["address"], name=r.get("name", "")) for r in rows]

    return EmailOut(
        id=m.id,
        message_id=m.message_id,
        kind=m.kind,
        subscription=m.subscription,
        state=m.state,
        from_name=m.from_name,
        from_address=m.from_address,
        reply_to=m.reply_to,
        to=people(m.to),
        cc=people(m.cc),
        bcc=people(m.bcc),
        subject=m.subject,
        text=m.text_body,
        html=m.html_body,
        template_id=m.template_id,
        record_type=m.related_type,
        record_id=m.related_id,
        owner_id=m.owner_id,
        attempts=m.attempts,
        next_attempt_at=m.next_attempt_at,
        last_reply_code=m.last_reply_code,
        last_reply=m.last_reply,
        sent_at=m.sent_at,
        created_at=m.created_at,
        direction="in" if m.direction == "in" else "out",
        thread_id=m.thread_id,
        in_reply_to=m.in_reply_to,
        received_at=m.received_at,
        auto_submitted=bool(m.auto_submitted),
        notes=[str(n) for n in (m.notes or [])],
        attachments=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                stored=a.file_key is not None,
                refused=a.refused,
            )
            for a in attachments or ()
        ],
        engagement=Engagement(
            tracked=bool(m.tracked),
            opens=m.opens or 0,
            machine_opens=m.machine_opens or 0,
            clicks=m.clicks or 0,
            machine_clicks=m.machine_clicks or 0,
            first_opened_at=m.first_opened_at,
            first_clicked_at=m.first_clicked_at,
        ),
    )
