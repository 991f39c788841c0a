"""The intelligence answers as the SDK gives them: the deal prediction, the pipeline forecast
(money as ``Decimal``, ``to_dataframe()``) and the forecast model card — written here, their
fields checked against the server's OpenAPI document and against live answers in tests/sdk —
and the customer 360 view, which the SDK assembles from several calls.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from nexa_sdk.models import (
    AccountOut,
    AccountRollup,
    ContactOut,
    DealOut,
    NextAction,
    TimelineEntryOut,
)
from nexa_sdk.pagination import records_to_dataframe


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class DealPrediction(_Answer):
    """``GET /deals/{id}/prediction``: the deal's win prediction, as stored on the deal."""

    deal_id: UUID
    name: str
    stage: str
    probability: int = Field(description="The stage's (or the rep's) probability, percent")
    win_probability: float | None = Field(
        description="The win probability every page shows, 0-1: the model's when one is active "
        "and beat the stage probability, else the stage probability (win_model_version 'stage')"
    )
    win_model_version: str | None
    win_factors: list[dict[str, Any]]
    risk_factors: list[dict[str, Any]]
    predicted_close_date: date | None
    prediction_confidence: float | None
    predicted_at: datetime | None

    @property
    def confidence(self) -> float | None:
        return self.prediction_confidence


class ForecastDeal(_Answer):
    """One open deal in a pipeline forecast."""

    deal_id: UUID
    name: str
    owner_id: UUID | None
    value: Decimal = Field(description="The amount in the organization's currency")
    stage: str
    stage_name: str
    stage_probability: int
    win_probability: float
    scored: bool = Field(description="False: no model score yet, the stage probability is used")
    weighted_value: Decimal
    risk_factors: list[dict[str, Any]]
    close_date: date | None
    predicted_close: date | None
    confidence: float | None


class BacktestPeriod(_Answer):
    """One replayed period of the latest backtest: each method's forecast and the actual."""

    period: str
    open_deals: int
    forecast: Decimal
    p10: Decimal
    p90: Decimal
    baseline_forecast: Decimal = Field(description="Stage probabilities")
    last_period_forecast: Decimal = Field(description="The previous period's actual")
    actual: Decimal


class BacktestSummary(_Answer):
    """The latest recorded backtest: each method's MAPE, the coverage of the model's
    P10-P90 band, and ``winner`` (model, stage or last_period; lowest MAPE)."""

    ran_at: datetime
    unit: str
    periods: list[BacktestPeriod]
    mape: float | None
    stage_mape: float | None
    last_period_mape: float | None
    coverage_p10_p90: float | None
    winner: str | None
    calibration: dict[str, Any] = {}


class PipelineForecast(_Answer):
    """``GET /forecast``: the period's open pipeline and the revenue it is forecast to bring
    by the method that won the latest backtest (``method``), each method's figure, and a
    P10/P50/P90 range calibrated on that method's backtest residuals (``band``)."""

    period: str
    start: date
    end: date
    currency: str
    deals: int
    total_pipeline: Decimal
    forecast: Decimal
    method: str
    method_reason: str
    weighted_forecast: Decimal
    stage_forecast: Decimal
    last_period_forecast: Decimal
    last_period: str
    high_confidence: Decimal
    high_confidence_p: float
    closed_won: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal
    band: str
    band_periods: int
    band_coverage: float | None = None
    simulated_p10: Decimal
    simulated_p90: Decimal
    simulations: int
    seed: int
    at_risk_deals: list[ForecastDeal]
    predictions: list[ForecastDeal]
    backtest: BacktestSummary | None = None

    def to_dataframe(self) -> Any:
        """The per-deal predictions as a pandas DataFrame (pandas must be installed)."""
        return records_to_dataframe(self.predictions)


class ForecastModel(_Answer):
    """``GET /forecast/model``: the active deal win model's card."""

    model: str
    version: int | None
    trained_at: datetime | None
    auc: float | None
    brier: float | None
    card: dict[str, Any]
    closed_deals: int
    needed: int


class Customer360(BaseModel):
    """A contact with its company, deals, history and the next best actions, assembled by
    ``customers.get_360`` from the API's contact, account, rollup, deal, timeline and
    next-action calls (only the parts asked for in ``include`` are fetched)."""

    contact: ContactOut
    account: AccountOut | None = None
    account_rollup: AccountRollup | None = None
    deals: list[DealOut] = Field(default_factory=list)
    timeline: list[TimelineEntryOut] = Field(default_factory=list)
    next_actions: list[NextAction] = Field(default_factory=list)

    @property
    def open_deals(self) -> list[DealOut]:
        return [d for d in self.deals if d.stage_kind == "open"]

    @property
    def won_deals(self) -> list[DealOut]:
        return [d for d in self.deals if d.stage_kind == "won"]


__all__ = [
    "Customer360",
    "DealPrediction",
    "ForecastDeal",
    "ForecastModel",
    "PipelineForecast",
]
