"""The answers of /api/v1/forecast, /forecast/model, /forecast/train and
/deals/{id}/prediction, described for the OpenAPI document (and the SDK generated from it).
Money is a string, like every other amount of the API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class DealPrediction(BaseModel):
    deal_id: uuid.UUID
    name: str
    stage: str
    probability: int = Field(description="The stage's (or the rep's) probability, percent")
    win_probability: float | None = Field(
        description="The win probability every page shows, 0–1: the model's when one is active "
        "and beat the stage probability, else the stage probability (win_model_version 'stage')"
    )
    win_model_version: str | None
    win_factors: list[dict[str, Any]]
    risk_factors: list[dict[str, Any]]
    predicted_close_date: date | None
    prediction_confidence: float | None
    predicted_at: datetime | None


class ForecastDeal(BaseModel):
    """One open deal in a pipeline forecast."""

    deal_id: uuid.UUID
    name: str
    owner_id: uuid.UUID | None
    value: str = Field(description="The amount in the organization's currency")
    stage: str
    stage_name: str
    stage_probability: int
    win_probability: float
    scored: bool = Field(description="False: no model score yet, the stage probability is used")
    weighted_value: str
    risk_factors: list[dict[str, Any]]
    close_date: date | None
    predicted_close: date | None
    confidence: float | None


class BacktestPeriod(BaseModel):
    """One replayed period: each method's forecast of the closed-won revenue of the deals
    open at its start and expected to close in it, and that revenue."""

    period: str
    open_deals: int
    forecast: str = Field(description="The model's (or the cold start's) forecast")
    p10: str
    p90: str
    baseline_forecast: str = Field(description="Σ amount × stage probability at the start")
    last_period_forecast: str = Field(description="The previous period's actual")
    actual: str


class BacktestSummary(BaseModel):
    """The latest recorded backtest (``nexa ai backtest deals``): each method's MAPE over
    the organization's own history, the coverage of the model's P10–P90 band, and the
    method with the lowest MAPE (null when no period had closed-won revenue)."""

    ran_at: datetime
    unit: str
    periods: list[BacktestPeriod]
    mape: float | None
    stage_mape: float | None
    last_period_mape: float | None
    coverage_p10_p90: float | None
    winner: str | None = Field(description="model, stage or last_period")
    calibration: dict[str, Any] = Field(
        default_factory=dict,
        description="Per method: ratios (actual / forecast of each period it forecast "
        "something) and coverage (how often an actual fell inside the P10–P90 band calibrated "
        "on the other periods; null with fewer than 4 periods)",
    )


class PipelineForecast(BaseModel):
    """The period's open pipeline and the closed-won revenue it is forecast to bring: the
    figure of the method that won the latest backtest over the organization's own history
    (``method``; the deal model's until one is recorded), each method's figure beside it, and
    a P10 / P50 / P90 band calibrated on the backtest's residuals (``band``)."""

    period: str
    start: date
    end: date
    currency: str
    deals: int
    total_pipeline: str
    forecast: str = Field(description="The forecast shown: the figure of ``method``")
    method: str = Field(description="model, stage or last_period")
    method_reason: str = Field(description="Why this method, in words")
    weighted_forecast: str = Field(description="Σ amount × win probability (the deal model)")
    stage_forecast: str = Field(description="Σ amount × stage probability")
    last_period_forecast: str = Field(
        description="Closed-won revenue of the previous period from deals open at its start"
    )
    last_period: str
    high_confidence: str
    high_confidence_p: float
    closed_won: str
    p10: str
    p50: str
    p90: str
    band: str = Field(
        description="backtest: calibrated on the backtest's residuals of ``method``; "
        "simulation: Monte Carlo of the win probabilities (too few past periods to calibrate); "
        "none: no band"
    )
    band_periods: int = Field(description="How many past periods the band rests on")
    band_coverage: float | None = Field(
        description="Leave-one-period-out coverage of the calibrated band in the backtest"
    )
    simulated_p10: str
    simulated_p90: str
    simulations: int
    seed: int
    at_risk_deals: list[ForecastDeal]
    predictions: list[ForecastDeal]
    backtest: BacktestSummary | None = Field(
        None, description="The latest recorded backtest; null until one is recorded"
    )


class ForecastModel(BaseModel):
    """The active deal win model's card, or how far the organization is from one."""

    model: str
    version: int | None
    trained_at: datetime | None
    auc: float | None
    brier: float | None
    card: dict[str, Any]
    closed_deals: int
    needed: int


class ForecastTraining(BaseModel):
    """What training the deal win model did (``trained`` false: too little history)."""

    trained: bool
    message: str | None = None
    closed_deals: int
    needed: int
    snapshots: int
    version: int | None
    model: str | None = None
    auc: float | None
    brier: float | None
    card: dict[str, Any] | None
    rescored: int
