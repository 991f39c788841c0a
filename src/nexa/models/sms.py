"""SMS (issue 19, "Channels"): text messages in both directions. An outbound message is
queued from a lead or contact and delivered after commit through the configured provider
(``log``, a Twilio-compatible REST API, or a generic HTTP endpoint); an inbound one arrives on
the inbound webhook and is matched to a lead or contact by its number. SMS consent is an
``email_subscriptions`` row of type ``sms`` (see nexa.sms.service); the provider settings are
an ``org_settings`` row."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, OwnedMixin, TimestampMixin, UTCDateTime, UUIDPkMixin

# queued: waits for (another) attempt; sent: the provider accepted it; failed: a permanent
# refusal or too many attempts; refused: never sent (opted out, no consent); received: inbound
SMS_STATES = ("queued", "sent", "failed", "refused", "received")
SMS_DIRECTIONS = ("out", "in")
SMS_PROVIDERS = ("log", "twilio", "http")
# the subscription type of SMS consent in ``email_subscriptions``
SMS_CONSENT_TYPE = "sms"
MAX_BODY = 1600


class SmsMessage(UUIDPkMixin, TimestampMixin, OwnedMixin, Base):
    """One text message. Outbound: owned by its sender; ``dedupe_key`` (unique when set) makes
    a retried campaign step queue once. Inbound: owned by the owner of the record it was
    matched to (none: unmatched, admins see it)."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        Index("ix_sms_messages_due", "state", "next_attempt_at"),
        Index("ix_sms_messages_record", "related_type", "related_id", "created_at"),
        # the latest STOP / START a number texted (nexa.sms.service.refusals)
        Index("ix_sms_messages_from", "from_number", "keyword"),
    )

    direction: Mapped[str] = mapped_column(String(3), nullable=False, default="out")
    to_number: Mapped[str] = mapped_column(String(32), nullable=False)
    from_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    related_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    related_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="queued")
    provider: Mapped[str | None] = mapped_column(String(10), nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # an inbound message's keyword (STOP, START, HELP …), upper case
    keyword: Mapped[str | None] = mapped_column(String(16), nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
