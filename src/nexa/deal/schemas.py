from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from nexa.core.fields import distinct_tags
from nexa.core.money import MAX_AMOUNT, Amount, Percent, Quantity, check_line_product
from nexa.core.money import CurrencyCode as Currency
from nexa.core.schemas import InputModel, OutputModel

DealType = Literal["new_business", "upsell", "renewal", "cross_sell"]
StageKind = Literal["open", "won", "lost"]
StageKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]

__all__ = ["MAX_AMOUNT", "Amount", "Currency", "Percent", "Quantity"]  # the shared money types


def _finite(v: Decimal | None) -> Decimal | None:
    if v is not None and not v.is_finite():
        raise ValueError("must be a finite number")
    return v


Rate = Annotated[Decimal, Field(gt=0, le=Decimal("1e9"), decimal_places=8), AfterValidator(_finite)]


# ---- pipelines and stages ---------------------------------------------------------------------
class StageIn(InputModel):
    key: StageKey = Field(description="Stable key, e.g. 'qualification'")
    name: Label
    probability: int = Field(ge=0, le=100, description="Default probability (percent)")
    kind: StageKind = "open"
    stall_after_days: int | None = Field(
        None, ge=1, le=3650, description="Warn when a deal stays longer than this"
    )


class PipelineCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    is_default: bool = False
    stages: list[StageIn] | None = Field(
        None, min_length=2, max_length=30, description="Default: the six standard stages"
    )


class PipelineUpdate(InputModel):
    name: str | None = Field(None, min_length=1, max_length=120)
    is_default: bool | None = None
    active: bool | None = None


class StagesReplace(InputModel):
    stages: list[StageIn] = Field(min_length=2, max_length=30)


class StageOut(OutputModel):
    id: uuid.UUID
    key: str
    name: str
    position: int
    probability: int
    kind: str
    stall_after_days: int | None = None


class PipelineOut(OutputModel):
    id: uuid.UUID
    name: str
    is_default: bool
    position: int
    active: bool
    version: int
    stages: list[StageOut] = Field(default_factory=list)


# ---- exchange rates ---------------------------------------------------------------------------
class ExchangeRateIn(InputModel):
    rate: Rate = Field(description="Units of the organization's currency per unit of this one")


class ExchangeRateOut(OutputModel):
    currency: str
    rate: Decimal
    updated_at: datetime | None = None


# ---- deals ------------------------------------------------------------------------------------
class _DealFields(InputModel):
    amount: Amount | None = None
    currency: Currency | None = Field(None, description="Default: the organization's currency")
    probability: int | None = Field(
        None, ge=0, le=100, description="Override the stage's default probability (percent)"
    )
    close_date: date | None = None
    pipeline_id: uuid.UUID | None = Field(None, description="Default: the default pipeline")
    stage: StageKey | None = Field(None, description="A stage key of the pipeline")
    lost_reason: str | None = Field(None, max_length=500)
    type: DealType | None = None
    lead_source: str | None = Field(None, max_length=40)
    lead_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    primary_contact_id: uuid.UUID | None = None
    competitors: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = (
        Field(None, max_length=50)
    )
    total_mrr: Amount | None = None
    contract_term: int | None = Field(None, ge=0, le=1200, description="Months")
    owner_id: uuid.UUID | None = Field(None, description="Reassigning needs deal:reassign")
    sales_team: list[uuid.UUID] | None = Field(
        None, max_length=50, description="Users who share this deal"
    )
    description: str | None = Field(None, max_length=20_000)
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] | None = Field(
        None, max_length=50
    )
    custom_fields: dict[str, Any] | None = Field(
        None, description="Values keyed by custom field key"
    )

    @field_validator("tags")
    @classmethod
    def _distinct_tags(cls, v: list[str] | None) -> list[str] | None:
        return distinct_tags(v)


class DealCreate(_DealFields):
    name: str = Field(min_length=1, max_length=200)


class DealUpdate(_DealFields):
    name: str | None = Field(None, min_length=1, max_length=200)


class StageMove(InputModel):
    stage: StageKey
    lost_reason: str | None = Field(None, max_length=500)
    probability: int | None = Field(None, ge=0, le=100)


class DealOut(OutputModel):
    id: uuid.UUID
    name: str
    amount: Decimal | None = None
    currency: str
    amount_org: Decimal | None = None
    org_currency: str
    probability: int
    probability_overridden: bool
    weighted_value: Decimal | None = None
    close_date: date | None = None
    close_date_pushes: int
    pipeline_id: uuid.UUID
    stage_id: uuid.UUID
    stage: str
    stage_name: str | None = None
    stage_kind: str
    stage_entered_at: datetime
    days_in_stage: int
    sales_cycle_days: int
    closed_at: datetime | None = None
    lost_reason: str | None = None
    type: str | None = None
    lead_source: str | None = None
    lead_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    primary_contact_id: uuid.UUID | None = None
    competitors: list[str] = Field(default_factory=list)
    total_mrr: Decimal | None = None
    contract_term: int | None = None
    owner_id: uuid.UUID | None = None
    sales_team: list[uuid.UUID] = Field(default_factory=list)
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    win_probability: float | None = None
    win_model_version: str | None = None
    win_factors: list[Any] = Field(default_factory=list)
    predicted_close_date: date | None = None
    prediction_confidence: float | None = None
    predicted_at: datetime | None = None
    next_best_action: str | None = None
    risk_factors: list[Any] = Field(default_factory=list)
    last_activity_at: datetime | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class StageChangeOut(OutputModel):
    id: uuid.UUID
    deal_id: uuid.UUID
    from_stage: str | None = None
    to_stage: str
    changed_by_id: uuid.UUID | None = None
    changed_at: datetime
    days_in_previous_stage: int | None = None
    amount: Decimal | None = None
    probability: int
    close_date: date | None = None


# ---- line items -------------------------------------------------------------------------------
class _LineFields(InputModel):
    description: str | None = Field(None, max_length=5_000)
    position: int | None = Field(None, ge=0, le=10_000)
    discount_percent: Percent | None = None
    tax_rate: Percent | None = None
    is_recurring: bool | None = None
    mrr: Amount | None = None
    term_months: int | None = Field(None, ge=1, le=1200)


class LineItemCreate(_LineFields):
    product_id: uuid.UUID | None = None
    name: str | None = Field(None, min_length=1, max_length=200, description="Default: product")
    quantity: Quantity = Decimal(1)
    unit_price: Amount | None = Field(None, description="Default: the product's price")

    @field_validator("unit_price")
    @classmethod
    def _line_within_bounds(cls, v: Decimal | None, info: ValidationInfo) -> Decimal | None:
        check_line_product(info.data.get("quantity"), v)
        return v


class LineItemUpdate(_LineFields):
    name: str | None = Field(None, min_length=1, max_length=200)
    quantity: Quantity | None = None
    unit_price: Amount | None = None

    @field_validator("unit_price")
    @classmethod
    def _line_within_bounds(cls, v: Decimal | None, info: ValidationInfo) -> Decimal | None:
        check_line_product(info.data.get("quantity"), v)
        return v


class LineItemOut(OutputModel):
    id: uuid.UUID
    deal_id: uuid.UUID
    product_id: uuid.UUID | None = None
    name: str
    description: str | None = None
    position: int
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal | None = None
    is_recurring: bool
    mrr: Decimal | None = None
    term_months: int | None = None
    total: Decimal


# ---- the pipeline report ----------------------------------------------------------------------
class StageTotals(OutputModel):
    stage_id: uuid.UUID
    stage: str
    name: str
    kind: str
    probability: int
    count: int
    amount: Decimal
    weighted: Decimal


class PipelineReport(OutputModel):
    pipeline_id: uuid.UUID
    currency: str
    stages: list[StageTotals]
    count: int
    amount: Decimal = Field(description="All deals in the pipeline")
    open_count: int
    open_amount: Decimal
    weighted: Decimal = Field(description="Open deals only")
