from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, validates

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
from nexa.core.text import text_key

LEAD_STATUSES = ("new", "contacted", "qualified", "converted", "lost")
BUILTIN_LEAD_SOURCES = ("website", "referral", "event", "cold_call", "social_media")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+")


class LeadSource(Base):
    """Where leads come from: the five built-in sources plus admin-defined ones."""

    __tablename__ = "lead_sources"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    is_builtin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Lead(UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, Base):
    """A potential customer. ``owner_id`` is the spec's ``assigned_to``."""

    __tablename__ = "leads"
    __table_args__ = (
        Index(
            "uq_leads_email_live",
            "email_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND email_key IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND email_key IS NOT NULL"),
        ),
        Index("ix_leads_owner_created", "owner_id", "created_at"),
        Index("ix_leads_status_created", "status", "created_at"),
        Index("ix_leads_last_name", "last_name", "id"),
        # fuzzy twins: company prefixes, looked up per import batch (nexa.imports.adapters)
        Index("ix_leads_company_lower", text("lower(company)")),
        # campaign attribution: the leads behind a contact's or a deal's touches
        Index("ix_leads_converted_contact", "converted_contact_id"),
        Index("ix_leads_converted_deal", "converted_deal_id"),
    )

    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    email_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str | None] = mapped_column(String(150), nullable=True)
    industry: Mapped[str | None] = mapped_column(String(120), nullable=True)
    company_size: Mapped[str | None] = mapped_column(String(20), nullable=True)
    website: Mapped[str | None] = mapped_column(String(500), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # IANA zone; empty: inferred from country and phone (nexa.core.localtime.member_zone)
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("lead_sources.key", ondelete="RESTRICT"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="new")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lost_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # -- intelligence: the score, its model and its explanation (nexa.scoring) -------------
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_model_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # [{"feature": "source", "label": "Referral source", "points": 14}, …] best first
    score_factors: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    score_factors_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # -- routing and the SLA clock (nexa.routing) -----------------------------------------
    routing_rule: Mapped[str | None] = mapped_column(String(40), nullable=True)
    routing_segment: Mapped[str | None] = mapped_column(String(80), nullable=True)
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sla_priority: Mapped[str | None] = mapped_column(String(10), nullable=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    sla_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sla_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sla_breached: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # -- enrichment from what we hold locally (nexa.enrichment) ---------------------------
    email_kind: Mapped[str | None] = mapped_column(String(12), nullable=True)  # business/free/…
    seniority: Mapped[str | None] = mapped_column(String(20), nullable=True)
    department: Mapped[str | None] = mapped_column(String(40), nullable=True)
    phone_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    phone_line_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    matched_account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    last_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    converted_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    converted_account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    converted_deal_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("deals.id", ondelete="SET NULL", use_alter=True), nullable=True
    )
    web_form_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("web_forms.id", ondelete="SET NULL"), nullable=True
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    @validates("email")
    def _keep_email_key(self, _: str, value: str | None) -> str | None:
        """``email_key`` follows ``email`` (nexa.core.text: what uniqueness compares)."""
        self.email_key = text_key(value)
        return value


class WebForm(UUIDPkMixin, TimestampMixin, VersionedMixin, Base):
    """A public web-to-lead form: which fields it asks, the hidden source, where to go after."""

    __tablename__ = "web_forms"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    fields: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    source: Mapped[str] = mapped_column(
        String(40), ForeignKey("lead_sources.key", ondelete="RESTRICT"), nullable=False
    )
    form_type: Mapped[str | None] = mapped_column(String(60), nullable=True)
    assign_to_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    redirect_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    success_message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    honeypot_field: Mapped[str] = mapped_column(String(40), nullable=False, default="website_url")
    rate_limit_per_hour: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    submission_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class WebFormSubmission(UUIDPkMixin, Base):
    """Every submission, accepted or refused (spam, rate limit): the rate limit counts these."""

    __tablename__ = "web_form_submissions"
    __table_args__ = (Index("ix_web_form_submissions_client", "client_hash", "created_at"),)

    form_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("web_forms.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    client_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)  # accepted/spam/limited
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("leads.id", ondelete="SET NULL"), nullable=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
