"""Shared Pydantic pieces: strict input models, money, pages, addresses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nexa.core.money import MAX_TOTAL, CurrencyCode

T = TypeVar("T")

MAX_INT = 2**31 - 1


def _reject_nul(value: Any, path: str = "") -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path or 'value'} contains a NUL character")
    elif isinstance(value, dict):
        for k, v in value.items():
            _reject_nul(k, path)
            _reject_nul(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for v in value:
            _reject_nul(v, path)


class InputModel(BaseModel):
    """Request bodies: unknown fields are an error (no mass assignment), text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        _reject_nul(data)
        return data


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RecordFlag(BaseModel):
    """Something about a saved value a person should look at (it was accepted)."""

    field: str
    code: str = Field(
        description="mixed_scripts: a word mixes alphabets (Latin and Cyrillic…), as "
        "look-alike names do"
    )
    message: str


class Money(BaseModel):
    """An amount with its currency as stored and shown in answers (not validated again)."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal
    currency: str = Field(description="ISO 4217 code")


class MoneyInput(Money):
    """An amount with its currency, as given: not negative, within what a NUMERIC(18, 2)
    total can hold, finite, in an ISO 4217 currency (``ZZZ`` is refused)."""

    amount: Decimal = Field(ge=0, le=MAX_TOTAL, decimal_places=2)
    currency: CurrencyCode

    @field_validator("amount", mode="after")
    @classmethod
    def _finite(cls, v: Decimal) -> Decimal:
        if not v.is_finite():
            raise ValueError("amount must be a finite number")
        return v


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    street: str | None = Field(None, max_length=300)
    city: str | None = Field(None, max_length=120)
    state: str | None = Field(None, max_length=120)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=2, min_length=2, description="ISO 3166 alpha-2")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


class Problem(BaseModel):
    """problem+json (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None
