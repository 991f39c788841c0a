from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator

from nexa.core.money import Amount, Percent, Quantity, check_line_product
from nexa.core.money import CurrencyCode as Currency
from nexa.core.schemas import InputModel, OutputModel

MAX_LINES = 200
MAX_TEMPLATE = 100_000


class LineItemIn(InputModel):
    product_id: uuid.UUID | None = Field(None, description="A product of the price book")
    name: str | None = Field(
        None, min_length=1, max_length=200, description="Default: the product's name"
    )
    description: str | None = Field(None, max_length=5_000)
    quantity: Quantity = Decimal(1)
    unit_price: Amount | None = Field(
        None, description="Default: the product's price in the document's currency"
    )
    discount_percent: Percent = Decimal(0)
    tax_rate: Percent | None = Field(None, description="Percent; default: the product's")
    is_recurring: bool | None = Field(
        None, description="Default: whether the product bills monthly or annually"
    )
    mrr: Amount | None = Field(None, description="Monthly value; default: the line's net")
    term_months: int | None = Field(None, ge=1, le=600)

    @field_validator("unit_price")
    @classmethod
    def _line_within_bounds(cls, v: Decimal | None, info: ValidationInfo) -> Decimal | None:
        check_line_product(info.data.get("quantity"), v)
        return v


class LineItemOut(OutputModel):
    id: uuid.UUID
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


class _QuoteFields(InputModel):
    account_id: uuid.UUID | None = Field(None, description="Default: the deal's account")
    contact_id: uuid.UUID | None = Field(None, description="Default: the deal's primary contact")
    currency: Currency | None = Field(None, description="Default: the deal's currency")
    valid_until: date | None = None
    terms: str | None = Field(None, max_length=20_000)
    notes: str | None = Field(None, max_length=20_000)
    owner_id: uuid.UUID | None = Field(None, description="Reassigning needs quote:reassign")
    line_items: list[LineItemIn] | None = Field(
        None, max_length=MAX_LINES, description="Replaces the whole set"
    )


class QuoteCreate(_QuoteFields):
    name: str | None = Field(None, min_length=1, max_length=200, description="Default: deal's")
    deal_id: uuid.UUID | None = Field(None, description="A deal you can read")


class QuoteUpdate(_QuoteFields):
    name: str | None = Field(None, min_length=1, max_length=200)
    deal_id: uuid.UUID | None = None


class QuoteDecline(InputModel):
    reason: str | None = Field(None, max_length=500)


class QuoteOut(OutputModel):
    id: uuid.UUID
    number: str
    revision: int
    name: str
    status: str
    deal_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    previous_id: uuid.UUID | None = None
    currency: str
    valid_until: date | None = None
    terms: str | None = None
    notes: str | None = None
    sent_at: datetime | None = None
    decided_at: datetime | None = None
    decline_reason: str | None = None
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    total_mrr: Decimal | None = None
    line_items: list[LineItemOut] = Field(default_factory=list)
    owner_id: uuid.UUID | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class TemplateIn(InputModel):
    html: str = Field(min_length=1, max_length=MAX_TEMPLATE, description="A Jinja2 template")


class TemplateOut(OutputModel):
    html: str
    is_default: bool
