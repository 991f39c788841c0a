from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
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

DEAL_TYPES = ("new_business", "upsell", "renewal", "cross_sell")
STAGE_KINDS = ("open", "won", "lost")
DEFAULT_STAGES = (
    ("prospecting", "Prospecting", 10, "open"),
    ("qualification", "Qualification", 25, "open"),
    ("proposal", "Proposal", 50, "open"),
    ("negotiation", "Negotiation", 75, "open"),
    ("closed_won", "Closed won", 100, "won"),
    ("closed_lost", "Closed lost", 0, "lost"),
)


class Pipeline(UUIDPkMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "pipelines"
    __table_args__ = (Index("uq_pipelines_name_key", "name_key", unique=True),)

    name: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    name_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    @validates("name")
    def _keep_name_key(self, _: str, value: str | None) -> str | None:
        """``name_key`` follows ``name`` (nexa.core.text: what uniqueness compares)."""
        self.name_key = text_key(value)
        return value


class PipelineStage(UUIDPkMixin, Base):
    """An ordered stage of a pipeline with its default probability (0–100)."""

    __tablename__ = "pipeline_stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "key"),)

    pipeline_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    probability: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    stall_after_days: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ExchangeRate(Base):
    """How many units of the organization's currency one unit of ``currency`` is worth."""

    __tablename__ = "exchange_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Deal(UUIDPkMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, OwnedMixin, Base):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_owner_created", "owner_id", "created_at"),
        Index("ix_deals_pipeline_stage", "pipeline_id", "stage", "close_date"),
        Index("ix_deals_account", "account_id", "stage_kind"),
        # campaign attribution: a member's deals (a lead's, a primary contact's)
        Index("ix_deals_lead", "lead_id"),
        Index("ix_deals_primary_contact", "primary_contact_id"),
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # amount × the currency's rate, in the organization's currency: totals add these
    amount_org: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    probability: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    probability_overridden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # amount_org × probability / 100, kept with the row so pipeline totals are one SUM
    weighted_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    close_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    close_date_pushes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    pipeline_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pipelines.id", ondelete="RESTRICT"), nullable=False
    )
    stage_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pipeline_stages.id", ondelete="RESTRICT"), nullable=False
    )
    stage: Mapped[str] = mapped_column(String(40), nullable=False)  # the stage's key
    stage_kind: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    lead_source: Mapped[str | None] = mapped_column(String(40), nullable=True)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("leads.id", ondelete="SET NULL"), nullable=True
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    primary_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    competitors: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    total_mrr: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    contract_term: Mapped[int | None] = mapped_column(Integer, nullable=True)  # months
    lost_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    # filled by the intelligence layer (issue 5); stored with model version and factors there
    win_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    win_model_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # [{"feature": "days_in_stage", "label": "31 days in Proposal", "points": -8}, …]
    win_factors: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    predicted_close_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    prediction_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    predicted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_best_action: Mapped[str | None] = mapped_column(String(500), nullable=True)
    risk_factors: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)


class DealStageChange(UUIDPkMixin, Base):
    """Stage history: who moved the deal, when, from where to where."""

    __tablename__ = "deal_stage_changes"
    __table_args__ = (Index("ix_deal_stage_changes_deal", "deal_id", "changed_at"),)

    deal_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("deals.id", ondelete="CASCADE"), nullable=False
    )
    from_stage: Mapped[str | None] = mapped_column(String(40), nullable=True)
    to_stage: Mapped[str] = mapped_column(String(40), nullable=False)
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    to_stage_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    days_in_previous_stage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    probability: Mapped[int] = mapped_column(Integer, nullable=False)
    close_date: Mapped[date | None] = mapped_column(Date, nullable=True)
