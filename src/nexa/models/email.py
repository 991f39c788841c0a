"""Email (issue 17): messages in both directions with their threads, delivery state and
attachments, templates, the suppression list, each user's sender identities, the mailboxes
mail is read from and a receipt per message received, opens and clicks (``email_events``) and
the subscription status of contacts and leads per type (``email_subscriptions``). The SMTP and
the tracking and consent settings are ``org_settings`` rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, OwnedMixin, TimestampMixin, UTCDateTime, UUIDPkMixin

EMAIL_STATES = ("queued", "sent", "deferred", "bounced", "failed", "received")
EMAIL_DIRECTIONS = ("out", "in")
MAILBOX_KINDS = ("personal", "shared")
IMAP_SECURITY = ("tls", "starttls", "none")
# what became of one received message (an ``email_receipts`` row)
RECEIPT_OUTCOMES = (
    "stored", "duplicate", "bounce", "complaint", "unsubscribe", "refused", "failed"
)  # fmt: skip
EMAIL_KINDS = ("transactional", "marketing")
# what a non-transactional message is (kind "marketing"): the list a person subscribes to
SUBSCRIPTION_TYPES = ("marketing", "newsletter", "product")
SUPPRESSION_REASONS = ("hard_bounce", "complaint", "unsubscribe")
EMAIL_EVENT_KINDS = ("open", "click", "unsubscribe", "complaint")
SUBSCRIPTION_STATUSES = ("subscribed", "unsubscribed")


class EmailThread(UUIDPkMixin, TimestampMixin, Base):
    """A conversation: the messages (both directions) joined by Message-ID, In-Reply-To and
    References (the subject only as a fallback). ``related_type``/``related_id``: the record
    its first message was sent from or matched to."""

    __tablename__ = "email_threads"
    __table_args__ = (
        Index("ix_email_threads_record", "related_type", "related_id", "last_message_at"),
        Index("ix_email_threads_subject", "subject_key", "last_message_at"),
    )

    subject: Mapped[str] = mapped_column(String(998), nullable=False, default="")
    subject_key: Mapped[str] = mapped_column(String(998), nullable=False, default="")
    first_message_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    message_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    related_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    related_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class Mailbox(UUIDPkMixin, TimestampMixin, Base):
    """An address mail is read from over IMAP (``nexa mail watch``) or received for by the
    SMTP listener (``nexa mail receive``): a user's own (``personal``, ``owner_id``) or
    ``shared`` (support@, sales@; ``team_id`` optional). The IMAP password is sealed like the
    SMTP one (nexa.core.secretbox). ``uidvalidity``/``last_uid``: how far ``folder`` was read.
    ``create_leads``: an admin's rule — a message from an unknown sender creates a lead."""

    __tablename__ = "email_mailboxes"

    address: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="personal")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="SET NULL"), nullable=True
    )
    imap_host: Mapped[str] = mapped_column(String(253), nullable=False, default="")
    imap_port: Mapped[int] = mapped_column(Integer, nullable=False, default=993)
    imap_security: Mapped[str] = mapped_column(String(10), nullable=False, default="tls")
    imap_username: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    imap_password: Mapped[str] = mapped_column(Text, nullable=False, default="")
    folder: Mapped[str] = mapped_column(String(200), nullable=False, default="INBOX")
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_uid: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    create_leads: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class EmailMessage(UUIDPkMixin, TimestampMixin, OwnedMixin, Base):
    """One message, either direction. Outgoing (``direction`` = out): rendered when it was
    written: the worker builds the MIME message from this row, so a retry sends the same
    Message-ID, subject and bodies; ``owner_id`` is the user who sent it. Incoming (in, state
    ``received``): parsed from what a mailbox received; ``owner_id`` is the mailbox's owner
    (a shared mailbox: the matched record's owner). ``related_type``/``related_id``: the
    record it was sent from or matched to; ``thread_id`` its conversation."""

    __tablename__ = "email_messages"
    __table_args__ = (
        Index("ix_email_messages_due", "state", "next_attempt_at"),
        Index("ix_email_messages_record", "related_type", "related_id", "created_at"),
        Index("ix_email_messages_domain_sent", "from_domain", "sent_at"),
        Index("ix_email_messages_pending", "outcome_pending"),
    )

    message_id: Mapped[str] = mapped_column(String(250), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="transactional")
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="queued")
    from_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    from_address: Mapped[str] = mapped_column(String(320), nullable=False)
    from_domain: Mapped[str] = mapped_column(String(253), nullable=False)
    reply_to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # [{"name": ..., "address": ...}, ...]
    to: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    cc: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    bcc: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    subject: Mapped[str] = mapped_column(String(998), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False)
    html_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("email_templates.id", ondelete="SET NULL"), nullable=True
    )
    related_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    related_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_reply_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # an attempt's outcome is stored the moment the SMTP server answers; its events (email.sent
    # …) are published after the batch, and by the sweep when the worker died in between
    outcome_pending: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    # the first reply received to it (inbound mail threaded under it): templates' reply rates
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    direction: Mapped[str] = mapped_column(String(3), nullable=False, default="out")
    thread_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("email_threads.id", ondelete="SET NULL"), nullable=True, index=True
    )
    in_reply_to: Mapped[str | None] = mapped_column(String(998), nullable=True)
    references_header: Mapped[str | None] = mapped_column(Text, nullable=True)
    mailbox_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("email_mailboxes.id", ondelete="SET NULL"), nullable=True
    )
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Auto-Submitted other than "no", Precedence bulk/junk/list, X-Autoreply …: never answered
    auto_submitted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    soft_bounces: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # what parsing noticed: MIME defects, refused attachments
    notes: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    # non-transactional mail: the subscription type it belongs to (marketing, newsletter,
    # product); None for transactional mail
    subscription: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # tracking: the original URL of each rewritten link (a click redirects only to one of
    # these), and counters for cheap rates (machine opens kept apart)
    tracked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    links: Mapped[list[Any] | None] = mapped_column(JSONType, nullable=True)
    opens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    machine_opens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    clicks: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    machine_clicks: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EmailAttachment(UUIDPkMixin, Base):
    """A file that came with a message, kept in the file store (nexa.core.filestore) under
    ``file_key``; a refused one (too large, a dangerous type) keeps its name, size and the
    reason, no file."""

    __tablename__ = "email_attachments"

    email_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("email_messages.id", ondelete="CASCADE"), nullable=False, index=True
    )
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    file_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    refused: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class EmailReceipt(UUIDPkMixin, Base):
    """What became of one received message (``outcome``: stored, duplicate, bounce, refused,
    failed) and why: every message a mailbox hands over leaves one, whether or not an
    ``email_messages`` row was written."""

    __tablename__ = "email_receipts"
    __table_args__ = (Index("ix_email_receipts_mailbox", "mailbox_id", "created_at"),)

    mailbox_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("email_mailboxes.id", ondelete="CASCADE"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(10), nullable=False)  # imap | smtp | api
    imap_uid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    header_message_id: Mapped[str | None] = mapped_column(String(998), nullable=True)
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("email_messages.id", ondelete="SET NULL"), nullable=True
    )
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class EmailEvent(Base):
    """One open, click, unsubscribe or complaint of a message, as it arrived: the client's
    address (through the trusted-proxy rules) and user agent (truncated), the URL of a click,
    and whether it looked like a machine (a mail proxy or scanner, or seconds after
    delivery): machine events are kept, but out of rates and off the timeline."""

    __tablename__ = "email_events"
    __table_args__ = (Index("ix_email_events_message", "message_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    message_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("email_messages.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    machine: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)


class EmailSubscription(Base):
    """Whether a contact or lead wants mail of one subscription type: ``subscribed`` (with
    when and how consent was given) or ``unsubscribed``; no row is "unknown". ``address`` is
    the record's email when the row was written, so a send checks many addresses in one
    query."""

    __tablename__ = "email_subscriptions"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", "type"),
        Index("ix_email_subscriptions_address", "address", "type"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    record_type: Mapped[str] = mapped_column(String(16), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    address: Mapped[str | None] = mapped_column(String(320), nullable=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consent_source: Mapped[str | None] = mapped_column(String(40), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class EmailTemplate(UUIDPkMixin, TimestampMixin, OwnedMixin, Base):
    """A user-written template: subject, text and HTML, rendered in the bounded sandbox."""

    __tablename__ = "email_templates"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="transactional")
    subject: Mapped[str] = mapped_column(String(998), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    html_body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # what the drafting assistant may use it for (follow_up, intro, proposal …); none: any
    intent: Mapped[str | None] = mapped_column(String(20), nullable=True)


class EmailSuppression(Base):
    """An address mail must not go to: hard bounces and complaints stop every message,
    unsubscribes stop non-transactional mail of their ``kind`` (a subscription type, or
    ``all`` of them)."""

    __tablename__ = "email_suppressions"
    __table_args__ = (UniqueConstraint("address", "reason", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    address: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="all")
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class SenderIdentity(UUIDPkMixin, TimestampMixin, Base):
    """A name and address a user sends as, with their signature."""

    __tablename__ = "sender_identities"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(320), nullable=False)
    signature: Mapped[str] = mapped_column(Text, nullable=False, default="")
