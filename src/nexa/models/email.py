"""Outbound email (issue 17): messages with their delivery state, templates, the suppression
list and each user's sender identities. The SMTP settings are an ``org_settings`` row."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
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

EMAIL_STATES = ("queued", "sent", "deferred", "bounced", "failed")
EMAIL_KINDS = ("transactional", "marketing")
SUPPRESSION_REASONS = ("hard_bounce", "complaint", "unsubscribe")


class EmailMessage(UUIDPkMixin, TimestampMixin, OwnedMixin, Base):
    """One outgoing message, rendered when it was written: the worker builds the MIME message
    from this row, so a retry sends the same Message-ID, subject and bodies. ``owner_id`` is
    the user who sent it (their sent mail); ``related_type``/``related_id`` the record it was
    sent from."""

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
    unsubscribes (``kind`` = marketing) stop marketing mail only."""

    __tablename__ = "email_suppressions"
    __table_args__ = (UniqueConstraint("address", "reason"),)

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
