from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from nexa.core.money import Amount, Percent
from nexa.core.money import CurrencyCode as Currency
from nexa.core.schemas import InputModel, OutputModel

BillingPeriod = Literal["one_time", "monthly", "annual"]
UnitPrice = Amount  # not negative, at most MAX_AMOUNT
MAX_PRICES = 50


class PriceIn(InputModel):
    currency: Currency
    unit_price: UnitPrice


class PriceOut(OutputModel):
    currency: str
    unit_price: Decimal


class _ProductFields(InputModel):
    description: str | None = Field(None, max_length=10_000)
    family: str | None = Field(None, max_length=100)
    unit: str | None = Field(None, max_length=30)
    tax_rate: Percent | None = Field(None, description="Percent, 0–100")
    custom_fields: dict[str, Any] | None = Field(
        None, description="Values keyed by custom field key"
    )
    prices: list[PriceIn] | None = Field(
        None, max_length=MAX_PRICES, description="One unit price per currency (replaces the set)"
    )

    @field_validator("prices")
    @classmethod
    def _one_per_currency(cls, v: list[PriceIn] | None) -> list[PriceIn] | None:
        if v is not None:
            seen = [p.currency for p in v]
            if len(seen) != len(set(seen)):
                raise ValueError("one price per currency")
        return v


class ProductCreate(_ProductFields):
    name: str = Field(min_length=1, max_length=200)
    sku: str = Field(min_length=1, max_length=60, description="Unique among live products")
    billing_period: BillingPeriod = "one_time"
    active: bool = True


class ProductUpdate(_ProductFields):
    name: str | None = Field(None, min_length=1, max_length=200)
    sku: str | None = Field(None, min_length=1, max_length=60)
    billing_period: BillingPeriod | None = None
    active: bool | None = None


class ProductOut(OutputModel):
    id: uuid.UUID
    name: str
    sku: str
    description: str | None = None
    family: str | None = None
    unit: str | None = None
    billing_period: str
    tax_rate: Decimal | None = None
    active: bool
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    prices: list[PriceOut] = Field(default_factory=list)
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class ProductPriceOut(OutputModel):
    product_id: uuid.UUID
    currency: str
    unit_price: Decimal
