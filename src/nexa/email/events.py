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
