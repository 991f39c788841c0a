from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from nexa.core.db import Base, JSONType, UTCDateTime, UUIDPkMixin

ML_MODEL_KINDS = ("lead_score", "deal_win")
ML_MODEL_STATUSES = ("active", "retired")


class MLModel(UUIDPkMixin, Base):
    """A model trained on this organization's records: its artifact and its model card.

    One row per trained version; at most one ``active`` row per kind (the one that scores).
    Rolling back makes an earlier version active again; nothing is ever downloaded."""

    __tablename__ = "ml_models"
    __table_args__ = (
        UniqueConstraint("kind", "version"),
        Index("ix_ml_models_kind_status", "kind", "status"),
    )

    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="retired")
    algorithm: Mapped[str] = mapped_column(String(40), nullable=False)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    trained_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    n_train: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    n_test: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    auc: Mapped[float | None] = mapped_column(Float, nullable=True)
    brier: Mapped[float | None] = mapped_column(Float, nullable=True)
    # the model card: data used, held-out metrics, reliability table, top features, notes
    card: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    artifact: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    @property
    def label(self) -> str:
        return f"{self.kind}-v{self.version}"


class LeadScoreChange(UUIDPkMixin, Base):
    """A lead's score moved by 5 points or more (or was first set): the trend on its page."""

    __tablename__ = "lead_score_changes"
    __table_args__ = (Index("ix_lead_score_changes_lead", "lead_id", "scored_at"),)

    lead_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False
    )
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    previous_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model_version: Mapped[str] = mapped_column(String(40), nullable=False)
    reason: Mapped[str] = mapped_column(String(60), nullable=False)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
