"""Shared Pydantic pieces: strict input models, money, pages, addresses."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from nexa.core.errors import ValidationFailed
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


# Fields that hold several lines (a description, a note's body, a template): every other text
# field of an input model is one line. A new multi-line field is named here, or declares
# ``json_schema_extra={"x-multiline": True}``.
MULTI_LINE_FIELDS = frozenset(
    {"description", "notes", "terms", "outcome", "body", "filter", "html", "content", "street"}
)
# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. None of
# them belongs in a one-line value: CR/LF there is how a name becomes an email header
# ("Ann\r\nBcc: …"), and BEL/ESC drive terminals that print a log.
_ONE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# In several lines: the same less tab, line feed and carriage return.
_MULTI_LINE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NAMES = {"\r": "a carriage return (CR)", "\n": "a line break (LF)", "\t": "a tab"}


def _character_name(ch: str) -> str:
    return _NAMES.get(ch, f"the control character U+{ord(ch):04X}")


def check_line_text(value: Any, *, multi_line: bool) -> Any:
    """``value`` unchanged; refused (ValueError) when a string of it — or of a list of them —
    holds a character a one-line (or multi-line) field must not."""
    pattern = _MULTI_LINE_FORBIDDEN if multi_line else _ONE_LINE_FORBIDDEN
    texts = value if isinstance(value, list) else [value]
    for text in texts:
        if isinstance(text, str):
            found = pattern.search(text)
            if found:
                where = "" if multi_line else "; this field is one line"
                raise ValueError(f"contains {_character_name(found.group())}{where}")
    return value


def require_one_line(value: str, field: str) -> str:
    """``value`` unchanged, or a 422 naming ``field`` (for services that take text without
    an input model: a saved view's name, an API key's name)."""
    try:
        check_line_text(value, multi_line=False)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field=field) from None
    return value


class _TextChecked(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _line_text(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str | list) or info.field_name is None:
            return value
        field = cls.model_fields.get(info.field_name)
        extra = field.json_schema_extra if field is not None else None
        multi = info.field_name in MULTI_LINE_FIELDS or (
            isinstance(extra, dict) and bool(extra.get("x-multiline"))
        )
        return check_line_text(value, multi_line=multi)


class InputModel(_TextChecked):
    """Request bodies: unknown fields are an error (no mass assignment), text is trimmed,
    and a one-line field refuses control characters (CR/LF, BEL, ESC …; MULTI_LINE_FIELDS
    keep line breaks and tabs)."""

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


class Address(_TextChecked):
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
