from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel
from nexa.lead.schemas import ScoreFactor


class ScoreChangeOut(OutputModel):
    score: int
    previous_score: int | None = None
    model_version: str
    reason: str
    scored_at: datetime


class LeadScoreOut(OutputModel):
    lead_id: uuid.UUID
    score: int | None = None
    band: str | None = Field(None, description="high >= 75, medium 50-74, low < 50")
    probability: float | None = None
    model_version: str | None = None
    scored_at: datetime | None = None
    learned: bool = Field(description="A model trained on your leads (false: the scorecard)")
    factors: list[ScoreFactor] = Field(default_factory=list)
    history: list[ScoreChangeOut] = Field(default_factory=list)


class TrainingStatusOut(OutputModel):
    converted: int
    lost: int
    closed: int
    needed: int = Field(description="Closed leads needed before a learned model is trained")
    ready: bool
    active_version: int | None = None
    scorer: str = Field(description="What scores leads now: lead_score-vN or scorecard-vN")
    latest: dict[str, Any] | None = Field(
        None,
        description="The newest model: version, status, auc, baseline (the scorecard's AUC on "
        "the same held-out leads) and beats_baseline (false: the scorecard kept scoring)",
    )


class ModelOut(OutputModel):
    id: uuid.UUID
    kind: str
    version: int
    status: str
    algorithm: str
    trained_at: datetime
    n_train: int
    n_test: int
    auc: float | None = None
    brier: float | None = None
    card: dict[str, Any] = Field(
        default_factory=dict,
        description="Data used, held-out AUC and Brier score, reliability table, top features",
    )


class ScorecardOut(OutputModel):
    version: int
    weights: dict[str, Any]
    in_use: bool


class ScorecardUpdate(InputModel):
    weights: dict[str, Any] = Field(
        description='Points to change, e.g. {"fit": {"source": {"referral": 20}}, "base": 15}'
    )


class RescoreOut(OutputModel):
    leads: int
    rescored: int
    explained: int
    moved: int
