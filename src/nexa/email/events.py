"""The events email publishes. Their payload names the record the message was sent from
(``related_type``/``related_id``), so the timeline subscriber writes the entry there too."""

from __future__ import annotations

from dataclasses import dataclass, field

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class EmailPayload(EventPayload):
    name: str  # the subject: what the timeline shows
    message_id: str
    kind: str
    state: str
    to: list[str]
    related_type: str | None = None
    related_id: str | None = None
    reply: str | None = None


QUEUED = declare(
    "email.queued",
    payload=EmailPayload,
    permission="email:read",
    description="A message was written and waits for delivery (after commit)",
)
SENT = declare(
    "email.sent",
    payload=EmailPayload,
    permission="email:read",
    description="The SMTP server accepted a message",
)
FAILED = declare(
    "email.failed",
    payload=EmailPayload,
    permission="email:read",
    description="A message will not be delivered (a permanent SMTP refusal, a suppressed "
    "recipient, or too many attempts)",
)


@dataclass(frozen=True, kw_only=True)
class ReceivedPayload(EmailPayload):
    """A received message: the record it was matched to (``related_type``/``related_id``)
    and the others whose timeline shows it too (``also_on``: the contact's account and its
    open deal)."""

    from_address: str
    from_name: str = ""
    thread_id: str | None = None
    mailbox: str | None = None
    auto_submitted: bool = False
    also_on: list[tuple[str, str]] = field(default_factory=list)


RECEIVED = declare(
    "email.received",
    payload=ReceivedPayload,
    permission="email:read",
    description="A message arrived in a mailbox (IMAP or the SMTP listener) and was stored, "
    "matched to its contact or lead and threaded",
)
REPLIED = declare(
    "email.replied",
    payload=ReceivedPayload,
    permission="email:read",
    description="A person answered a message we sent (In-Reply-To or References names it); "
    "published instead of email.received for that message. Auto-replies are email.received",
)
BOUNCED = declare(
    "email.bounced",
    payload=EmailPayload,
    permission="email:read",
    description="A delivery status notification said a sent message will not be delivered "
    "(a hard bounce: the address is suppressed)",
)


@dataclass(frozen=True, kw_only=True)
class EmailEngagementPayload(EventPayload):
    """A person opened a message or followed one of its links (machines' opens and clicks
    are recorded but publish nothing)."""

    name: str  # the subject
    message_id: str
    subscription: str | None
    related_type: str | None = None
    related_id: str | None = None
    url: str | None = None  # the link followed (clicks)
    machine: bool = False


@dataclass(frozen=True, kw_only=True)
class EmailUnsubscribedPayload(EventPayload):
    """Someone unsubscribed through a message's link (or its mailto, or its one-click POST):
    the address, the types it no longer receives, and the records updated."""

    name: str  # what the timeline shows
    message_id: str
    address: str
    types: list[str]
    source: str
    related_type: str | None = None
    related_id: str | None = None
    also_on: list[tuple[str, str]] | None = None


OPENED = declare(
    "email.opened",
    payload=EmailEngagementPayload,
    permission="email:read",
    description="A person opened a message for the first time (machine opens by mail "
    "proxies and scanners are not published)",
)
CLICKED = declare(
    "email.clicked",
    payload=EmailEngagementPayload,
    permission="email:read",
    description="A person followed a tracked link of a message (each click)",
)
UNSUBSCRIBED = declare(
    "email.unsubscribed",
    payload=EmailUnsubscribedPayload,
    permission="email:read",
    description="An address unsubscribed from one or more subscription types through a "
    "message's unsubscribe link",
)


@dataclass(frozen=True, kw_only=True)
class EmailConsentPayload(EventPayload):
    """Someone changed a contact's or lead's subscriptions (who, when: the event itself)."""

    name: str  # what the timeline shows: "newsletter: subscribed (form)"
    address: str | None
    subscriptions: list[dict[str, str]]  # [{"type", "status", "source"}] as changed


CONSENT_CHANGED = declare(
    "email.consent_changed",
    payload=EmailConsentPayload,
    permission="email:read",
    description="A user or key changed a contact's or lead's email subscriptions (type, "
    "status, consent source)",
)
