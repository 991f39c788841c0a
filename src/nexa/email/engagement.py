"""What recipients do with mail: opens and clicks through the public pixel and tracked links
(machine opens kept apart), unsubscribes (the one-click link, its page, the mailto), and the
subscriptions of contacts and leads per type with their consent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.events import (
    publish,
)
from nexa.core.repository import REPOSITORIES
from nexa.email import tracking
from nexa.email.events import (
    CLICKED,
    CONSENT_CHANGED,
    OPENED,
    UNSUBSCRIBED,
    EmailConsentPayload,
    EmailEngagementPayload,
    EmailUnsubscribedPayload,
)
from nexa.email.repository import EmailRepository
from nexa.email.schemas import (
    EmailStats,
    Subscription,
    SubscriptionList,
    SubscriptionsIn,
)
from nexa.email.service import _require, add_suppression
from nexa.models import (
    EmailEvent,
    EmailMessage,
    EmailSubscription,
)
from nexa.models.email import SUBSCRIPTION_TYPES

# ---- opens, clicks (the public pixel and links) -------------------------------------------
#
# These run for whoever fetches the pixel or follows a link: no session, no actor; the signed
# token is the authority, and it names one message row. Recording is a handful of statements
# (the row, one counter UPDATE, the event row; a person's first open or a click publishes,
# which adds the timeline entries and the outbox row).

RECIPIENT = Actor(user_id=None, role="system", is_system=True, display_name="The recipient")


def _max_age() -> float:
    return get_settings().email_tracking_max_age_days * 86400.0


def _engagement(
    session: Session,
    message: EmailMessage,
    kind: str,
    *,
    user_agent: str | None,
    ip: str | None,
    url: str | None,
    now: datetime,
) -> bool:
    """Store one open or click; publish it when a person's (the first open, each click).
    Returns whether it was a machine's."""
    repo = EmailRepository(session)
    window = get_settings().email_machine_open_seconds
    machine = tracking.is_machine(user_agent, message.sent_at, now, window)
    first = repo.count_engagement(message.id, kind, machine, now)
    repo.add_event(
        EmailEvent(
            id=uuid.uuid4(),
            message_id=message.id,
            kind=kind,
            at=now,
            machine=machine,
            user_agent=tracking.short_agent(user_agent),
            ip=(ip or None) and ip[:64],
            url=url,
        )
    )
    if machine or (kind == "open" and not first):
        return machine
    event = OPENED if kind == "open" else CLICKED
    publish(
        session,
        RECIPIENT,
        event.name,
        record_type="email",
        record_id=message.id,
        payload=EmailEngagementPayload(
            name=message.subject,
            message_id=message.message_id,
            subscription=message.subscription,
            related_type=message.related_type,
            related_id=str(message.related_id) if message.related_id else None,
            url=url,
            machine=False,
        ),
    )
    return machine


def record_open(
    session: Session,
    token: str,
    *,
    user_agent: str | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record an open from the pixel's token. False (nothing recorded) when the token is
    forged, altered or expired, or names no message: the pixel answers the same either way."""
    settings = get_settings()
    row_id = tracking.read_open(token, settings.effective_secret_key, _max_age())
    if row_id is None:
        return False
    message = EmailRepository(session).tracked(row_id)
    if message is None:
        return False
    _engagement(
        session, message, "open", user_agent=user_agent, ip=ip, url=None, now=now or utcnow()
    )
    return True


def click_target(
    session: Session,
    token: str,
    *,
    user_agent: str | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> str:
    """The URL a tracked link leads to — one of the links of the message the token names,
    never anything else — with the click recorded. NotFound when the token is forged,
    altered or expired, or names a link the message does not have."""
    settings = get_settings()
    read = tracking.read_click(token, settings.effective_secret_key, _max_age())
    if read is None:
        raise NotFound("this link is not valid (or has expired)")
    row_id, index = read
    message = EmailRepository(session).tracked(row_id)
    links = (message.links if message is not None else None) or []
    if message is None or not 0 <= index < len(links):
        raise NotFound("this link is not valid (or has expired)")
    url = str(links[index])
    _engagement(
        session, message, "click", user_agent=user_agent, ip=ip, url=url, now=now or utcnow()
    )
    return url


def engagement_rates(session: Session, actor: Actor) -> EmailStats:
    """Open and click rates of tracked, delivered mail: messages a person opened (or
    clicked) over those sent; machine opens and clicks do not count."""
    _require(actor, "settings:read", "read the email statistics")
    totals = EmailRepository(session).engagement_totals()
    sent = totals["sent"]
    return EmailStats(
        **totals,
        open_rate=round(totals["opened"] / sent, 4) if sent else 0.0,
        click_rate=round(totals["clicked"] / sent, 4) if sent else 0.0,
    )


# ---- unsubscribe --------------------------------------------------------------------------


def unsubscribe_message(session: Session, token: str) -> EmailMessage:
    """The message an unsubscribe token names (NotFound when forged or unknown)."""
    row_id = tracking.read_unsubscribe(token, get_settings().effective_secret_key)
    message = EmailRepository(session).tracked(row_id) if row_id is not None else None
    if message is None:
        raise NotFound("this unsubscribe link is not valid")
    return message


def unsubscribe_types(message: EmailMessage, everything: bool) -> list[str]:
    if everything or message.kind == "transactional":
        return list(SUBSCRIPTION_TYPES)
    return [message.subscription or "marketing"]


def unsubscribe(
    session: Session,
    message: EmailMessage,
    *,
    everything: bool = False,
    source: str = "unsubscribe_link",
    now: datetime | None = None,
) -> list[str]:
    """Unsubscribe the message's recipients (``to``) from its subscription type, or from
    every type (``everything``): a suppression row per address (reason ``unsubscribe``, kind
    the type or ``all``), ``unsubscribed`` on every contact and lead with that address, an
    ``unsubscribe`` event on the message and ``email.unsubscribed`` (timeline, webhooks).
    Doing it again changes nothing and publishes nothing. Returns the types."""
    when = now or utcnow()
    repo = EmailRepository(session)
    types = unsubscribe_types(message, everything)
    addresses = sorted({r["address"].lower() for r in message.to})
    people = repo.people_at(addresses)
    records = [(record_type, record_id) for record_type, record_id, _ in people]
    current = {
        (s.record_type, s.record_id, s.type): s
        for s in repo.subscriptions_of_records(records, types)
    }
    for address in addresses:
        kind = "all" if everything else types[0]
        before = repo.suppression(address, "unsubscribe", kind)
        changed = before is None
        if changed:
            add_suppression(
                session, address, "unsubscribe", f"link in {message.message_id}", kind=kind
            )
        mine = [(t, i) for t, i, a in people if a == address]
        for record_type, record_id in mine:
            for subscription_type in types:
                row = current.get((record_type, record_id, subscription_type))
                if row is None:
                    repo.add_subscription(
                        EmailSubscription(
                            id=uuid.uuid4(),
                            record_type=record_type,
                            record_id=record_id,
                            address=address,
                            type=subscription_type,
                            status="unsubscribed",
                            consent_source=source,
                            changed_at=when,
                        )
                    )
                    changed = True
                elif row.status != "unsubscribed":
                    row.status, row.consent_source, row.changed_at = "unsubscribed", source, when
                    changed = True
        if not changed:
            continue
        repo.add_event(
            EmailEvent(id=uuid.uuid4(), message_id=message.id, kind="unsubscribe", at=when)
        )
        publish(
            session,
            RECIPIENT,
            UNSUBSCRIBED.name,
            record_type="email",
            record_id=message.id,
            payload=EmailUnsubscribedPayload(
                name=f"{address} from {', '.join(types)} mail",
                message_id=message.message_id,
                address=address,
                types=types,
                source=source,
                related_type=message.related_type,
                related_id=str(message.related_id) if message.related_id else None,
                also_on=[
                    (t, str(i))
                    for t, i in mine
                    if (t, i) != (message.related_type, message.related_id)
                ]
                or None,
            ),
        )
    session.flush()
    return types


def unsubscribe_by_token(
    session: Session, token: str, *, everything: bool = False, now: datetime | None = None
) -> list[str]:
    """The one-click unsubscribe (RFC 8058) and the page's button."""
    return unsubscribe(session, unsubscribe_message(session, token), everything=everything, now=now)


def unsubscribe_by_mailto(session: Session, recipient: str, now: datetime | None = None) -> bool:
    """A mail to ``unsubscribe+<row id, hex>@<from-domain>`` (the List-Unsubscribe mailto)
    unsubscribes that message's recipients; the inbound receiver calls this with the
    envelope recipient. False when the address names no message of ours."""
    local, _, domain = recipient.strip().lower().rpartition("@")
    row_id = tracking.unsubscribe_row_of_address(local)
    message = EmailRepository(session).tracked(row_id) if row_id is not None else None
    if message is None or domain != message.from_domain.lower():
        return False
    unsubscribe(session, message, source="unsubscribe_mailto", now=now)
    return True


# ---- subscriptions of contacts and leads --------------------------------------------------


def _subscriber(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID, action: str
) -> Any:
    if record_type not in ("contact", "lead"):
        raise ValidationFailed("subscriptions belong to contacts and leads", field="record_type")
    repo = REPOSITORIES[record_type](session)
    if action == "read":
        return repo.get(actor, record_id)
    return repo.get_for(actor, record_id, "write")


def get_subscriptions(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID
) -> SubscriptionList:
    """The record's status per subscription type (``unknown`` when never set)."""
    record = _subscriber(session, actor, record_type, record_id, "read")
    rows = {s.type: s for s in EmailRepository(session).subscriptions_of(record_type, record.id)}
    items = []
    for subscription_type in SUBSCRIPTION_TYPES:
        row = rows.get(subscription_type)
        items.append(
            Subscription(
                type=subscription_type,
                status=row.status if row else "unknown",
                consent_at=row.consent_at if row else None,
                consent_source=row.consent_source if row else None,
                changed_at=row.changed_at if row else None,
            )
        )
    return SubscriptionList(
        record_type=record_type,
        record_id=record.id,
        address=getattr(record, "email", None),
        items=items,
    )


def _resubscribe(session: Session, address: str, subscription_type: str) -> None:
    """Lift an address-level unsubscribe of ``subscription_type``; one from every type
    becomes one from each of the others."""
    repo = EmailRepository(session)
    repo.remove_suppression(address, "unsubscribe", subscription_type)
    if repo.suppression(address, "unsubscribe", "all") is not None:
        repo.remove_suppression(address, "unsubscribe", "all")
        for other in SUBSCRIPTION_TYPES:
            if other != subscription_type:
                add_suppression(session, address, "unsubscribe", "resubscribed", kind=other)


def put_subscriptions(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    data: SubscriptionsIn,
    now: datetime | None = None,
) -> SubscriptionList:
    """Set the record's status for the types given (who may edit the record may); consent
    time and source are kept with a subscription. Subscribing again clears an address-level
    unsubscribe of that type (the person asked for the mail back)."""
    record = _subscriber(session, actor, record_type, record_id, "write")
    when = now or utcnow()
    repo = EmailRepository(session)
    rows = {s.type: s for s in repo.subscriptions_of(record_type, record.id)}
    address = (getattr(record, "email", None) or "").lower() or None
    changed: list[dict[str, str]] = []
    for i, change in enumerate(data.items):
        if change.consent_at is not None and change.status != "subscribed":
            raise ValidationFailed("consent_at goes with subscribed", field=f"items.{i}.consent_at")
        row = rows.get(change.type)
        created = row is None
        if row is None:
            row = rows[change.type] = EmailSubscription(
                id=uuid.uuid4(), record_type=record_type, record_id=record.id, type=change.type
            )
        elif (row.status, row.consent_source, row.address) == (
            change.status,
            change.source,
            address,
        ) and (change.consent_at is None or change.consent_at == row.consent_at):
            continue  # nothing to change (the consent time stays the first one)
        row.address = address
        row.status = change.status
        row.consent_source = change.source
        row.changed_at = when
        if change.status == "subscribed":
            row.consent_at = change.consent_at or when
            if address:
                _resubscribe(session, address, change.type)
        if created:
            repo.add_subscription(row)
        changed.append({"type": change.type, "status": change.status, "source": change.source})
    session.flush()
    if changed:
        publish(
            session,
            actor,
            CONSENT_CHANGED.name,
            record_type=record_type,
            record_id=record.id,
            payload=EmailConsentPayload(
                name=", ".join(f"{c['type']}: {c['status']} ({c['source']})" for c in changed),
                address=address,
                subscriptions=changed,
            ),
        )
    return get_subscriptions(session, actor, record_type, record.id)
