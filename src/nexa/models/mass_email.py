"""Mass email (issue 19): a one-off send to a list, now or at a set time, with an optional
A/B test of 2–4 variants, and one row per recipient (``mass_email_recipients``), unique per
mass email and record, so a send interrupted and run again never queues anyone twice."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import (
    Base,
    JSONType,
    OwnedMixin,
    SoftDeleteMixin,
    TimestampMixin,
    UTCDateTime,
    UUIDPkMixin,
    VersionedMixin,
)

MASS_EMAIL_STATUSES = ("draft", "scheduled", "testing", "sending", "sent", "cancelled")
AB_METRICS = ("open", "click", "reply")
# a recipient's part of the send: the A/B test, the rest (the winner later), or everyone
RECIPIENT_PHASES = ("test", "rest", "all")
RECIPIENT_STATES = ("pending", "queued", "skipped")


class MassEmail(UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, Base):
    """``variants``: 1–4 of ``{"subject", "text", "html", "template_id"}``. ``seed``:
    addresses and user ids that get a copy of each variant (untracked, not counted).
    ``ab_result``: what the winner pick found (rates, z, p, the sentence)."""

    __tablename__ = "mass_emails"
    __table_args__ = (Index("ix_mass_emails_due", "status", "send_at"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    list_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("lists.id", ondelete="RESTRICT"), nullable=False
    )
    sender_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("sender_identities.id", ondelete="SET NULL"), nullable=True
    )
    subscription: Mapped[str] = mapped_column(String(16), nullable=False, default="marketing")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    variants: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    seed: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    test_share: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    metric: Mapped[str] = mapped_column(String(8), nullable=False, default="click")
    wait_hours: Mapped[int] = mapped_column(Integer, nullable=False, default=4)
    confidence: Mapped[float] = mapped_column(Float, nullable=False, default=0.95)
    random_seed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    test_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    winner: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ab_result: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MassEmailRecipient(Base):
    """One member of the list at the send: its variant (None until the winner is known for
    the rest), and the message written for it or why it was skipped."""

    __tablename__ = "mass_email_recipients"
    __table_args__ = (
        UniqueConstraint("mass_email_id", "record_id", name="uq_mass_email_recipients_record"),
        Index("ix_mass_email_recipients_pending", "mass_email_id", "state", "phase"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    mass_email_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("mass_emails.id", ondelete="CASCADE"), nullable=False
    )
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    phase: Mapped[str] = mapped_column(String(8), nullable=False)
    variant: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(8), nullable=False, default="pending")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("email_messages.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
