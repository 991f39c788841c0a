"""Filters for list calls, in the API's ``field:operator:value`` syntax.

Two ways to write them, which can be mixed:

    crm.deals.list(stage=["proposal", "negotiation"], amount__gte=1000,
                   close_date_range="2026-Q4", owner_id=None)

    from nexa_sdk import F
    crm.deals.list(F.stage.in_(["proposal", "negotiation"]) & (F.amount >= 1000)
                   & F.close_date.between("2026-10-01", "2026-12-31"))

``|`` makes an OR group, sent as one ``any(...)`` filter (``|`` and backslashes in values
escaped): ``(F.status == "new") | (F.score >= 60)``. Records in a list (leads, contacts,
accounts): ``F.list == list_id``, ``F.list != list_id``, ``F.list.in_([a, b])``.

Keyword arguments: ``field=value`` is ``eq`` (a list, tuple or set is ``in``; ``None`` is
``is_null:true``), ``field__op=value`` names the operator (eq ne lt lte gt gte in not_in
contains starts_with is_null), ``field_range=(start, end)`` or ``field_range="2026-Q4"``
(a quarter, a month ``2026-11`` or a year ``2026``) is an inclusive range. Custom fields are
``F.custom.region`` or ``F["custom.region"]``.
"""

from __future__ import annotations

import calendar
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

OPERATORS = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "is_null",
)
_ALIASES = {"isnull": "is_null", "startswith": "starts_with", "nin": "not_in"}
_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def encode_value(value: Any) -> str:
    """A Python value as the API's filter syntax writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal | int | float | str):
        return str(value)
    raise TypeError(f"cannot use a {type(value).__name__} as a filter value")


class Filter:
    """One condition: ``field:op:value``."""

    __slots__ = ("field", "op", "value")

    def __init__(self, field: str, op: str, value: Any) -> None:
        op = _ALIASES.get(op, op)
        if op not in OPERATORS:
            raise ValueError(f"'{op}' is not a filter operator ({', '.join(OPERATORS)})")
        self.field, self.op, self.value = field, op, value

    def encode(self) -> str:
        if self.op in ("in", "not_in"):
            if isinstance(self.value, str | bytes) or not isinstance(self.value, Iterable):
                raise TypeError(f"{self.field}: {self.op} takes a list of values")
            items = [encode_value(v) for v in self.value]
            if not items:
                raise ValueError(f"{self.field}: {self.op} needs at least one value")
            if any("," in item for item in items):
                raise ValueError(f"{self.field}: a value of {self.op} cannot contain a comma")
            return f"{self.field}:{self.op}:{','.join(items)}"
        return f"{self.field}:{self.op}:{encode_value(self.value)}"

    def __and__(self, other: Filter | FilterSet) -> FilterSet:
        return FilterSet([self]) & other

    def __or__(self, other: Filter) -> AnyOf:
        return AnyOf([self]) | other

    def __iter__(self) -> Iterator[Filter]:
        yield self

    def __repr__(self) -> str:
        return f"<Filter {self.encode()}>"

    def __str__(self) -> str:
        return self.encode()


class AnyOf(Filter):
    """Conditions of which at least one must hold: ``any(a|b|...)`` (1 to 10 of them)."""

    __slots__ = ("members",)

    def __init__(self, members: Iterable[Filter]) -> None:
        self.members: list[Filter] = []
        for member in members:
            if isinstance(member, AnyOf):
                self.members.extend(member.members)  # OR is associative: one flat group
            elif isinstance(member, Filter):
                self.members.append(member)
            else:
                raise TypeError(f"an OR group takes conditions, not {member!r}")
        self.field, self.op, self.value = "any", "any", None

    def __or__(self, other: Filter) -> AnyOf:
        if not isinstance(other, Filter):
            raise TypeError("| joins conditions; a group of AND-ed conditions cannot be OR-ed")
        return AnyOf([*self.members, other])

    def encode(self) -> str:
        escaped = [m.encode().replace("\\", "\\\\").replace("|", "\\|") for m in self.members]
        return "any(" + "|".join(escaped) + ")"


class FilterSet:
    """Conditions that must all hold (``&`` joins them)."""

    def __init__(self, filters: Iterable[Filter] = ()) -> None:
        self.filters = list(filters)

    def __and__(self, other: Filter | FilterSet) -> FilterSet:
        return FilterSet([*self.filters, *other])

    def __iter__(self) -> Iterator[Filter]:
        return iter(self.filters)

    def __len__(self) -> int:
        return len(self.filters)

    def encode(self) -> list[str]:
        return [f.encode() for f in self.filters]

    def __repr__(self) -> str:
        return f"<FilterSet {self.encode()}>"


class Field:
    """A field to compare: ``F.amount >= 1000``, ``F.stage.in_([...])``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, sub: str) -> Field:  # F.custom.region → custom.region
        if sub.startswith("_"):
            raise AttributeError(sub)
        return Field(f"{self.name}.{sub}")

    def __eq__(self, value: Any) -> Filter:  # type: ignore[override]
        if value is None:
            return Filter(self.name, "is_null", True)
        return Filter(self.name, "eq", value)

    def __ne__(self, value: Any) -> Filter:  # type: ignore[override]
        return (
            Filter(self.name, "is_null", False) if value is None else Filter(self.name, "ne", value)
        )

    __hash__ = None  # type: ignore[assignment]

    def __lt__(self, value: Any) -> Filter:
        return Filter(self.name, "lt", value)

    def __le__(self, value: Any) -> Filter:
        return Filter(self.name, "lte", value)

    def __gt__(self, value: Any) -> Filter:
        return Filter(self.name, "gt", value)

    def __ge__(self, value: Any) -> Filter:
        return Filter(self.name, "gte", value)

    def in_(self, values: Iterable[Any]) -> Filter:
        return Filter(self.name, "in", list(values))

    def not_in(self, values: Iterable[Any]) -> Filter:
        return Filter(self.name, "not_in", list(values))

    def contains(self, text: str) -> Filter:
        return Filter(self.name, "contains", text)

    def starts_with(self, text: str) -> Filter:
        return Filter(self.name, "starts_with", text)

    def is_null(self, null: bool = True) -> Filter:
        return Filter(self.name, "is_null", null)

    def between(self, start: Any = None, end: Any = None) -> FilterSet:
        """Inclusive range; either end may be None (open)."""
        return FilterSet(range_filters(self.name, (start, end)))

    def in_period(self, period: str) -> FilterSet:
        """A quarter (``2026-Q4``), a month (``2026-11``) or a year (``2026``)."""
        return FilterSet(range_filters(self.name, period))


class _FieldFactory:
    def __getattr__(self, name: str) -> Field:
        if name.startswith("_"):
            raise AttributeError(name)
        return Field(name)

    def __getitem__(self, name: str) -> Field:
        return Field(name)


F = _FieldFactory()


def period_bounds(period: str) -> tuple[date, date]:
    """``2026-Q4`` → (2026-10-01, 2026-12-31); ``2026-11`` → November; ``2026`` → the year."""
    match = _PERIOD.match(period.strip())
    if match is None:
        raise ValueError(f"'{period}' is not a period (2026-Q4, 2026-11 or 2026)")
    year = int(match[1])
    if match[2]:
        first_month = (int(match[2]) - 1) * 3 + 1
        last_month = first_month + 2
    elif match[3]:
        first_month = last_month = int(match[3])
    else:
        first_month, last_month = 1, 12
    last_day = calendar.monthrange(year, last_month)[1]
    return date(year, first_month, 1), date(year, last_month, last_day)


def range_filters(field: str, value: Any) -> list[Filter]:
    if isinstance(value, str):
        start, end = period_bounds(value)
    else:
        try:
            start, end = value
        except (TypeError, ValueError):
            raise TypeError(
                f"{field}_range takes (start, end) or a period such as 2026-Q4"
            ) from None
    out = []
    if start is not None:
        out.append(Filter(field, "gte", start))
    if end is not None:
        out.append(Filter(field, "lte", end))
    return out


def from_keywords(keywords: Mapping[str, Any]) -> list[Filter]:
    """Keyword arguments of a list call as filters (see the module's documentation)."""
    out: list[Filter] = []
    for key, value in keywords.items():
        if "__" in key:
            field, op = key.rsplit("__", 1)
            out.append(Filter(field, op, value))
        elif key.endswith("_range"):
            out.extend(range_filters(key.removesuffix("_range"), value))
        elif value is None:
            out.append(Filter(key, "is_null", True))
        elif isinstance(value, list | tuple | set | frozenset):
            values = sorted(value, key=str) if isinstance(value, set | frozenset) else value
            out.append(Filter(key, "in", values))
        else:
            out.append(Filter(key, "eq", value))
    return out


FilterLike = Filter | FilterSet | str


def build(
    filters: Iterable[FilterLike] | FilterLike | None, keywords: Mapping[str, Any]
) -> list[str]:
    """Positional filters (Filter, FilterSet or raw ``field:op:value`` strings) and keyword
    filters as the repeated ``filter`` query parameter."""
    encoded: list[str] = []
    if filters is not None:
        single = isinstance(filters, str | Filter | FilterSet)
        items: Iterable[Any] = [filters] if single else filters
        for item in items:
            if isinstance(item, str):
                encoded.append(item)
            elif isinstance(item, Filter | FilterSet):
                encoded.extend(f.encode() for f in item)
            else:
                raise TypeError(f"not a filter: {item!r}")
    encoded.extend(f.encode() for f in from_keywords(keywords))
    return encoded


__all__ = [
    "OPERATORS",
    "AnyOf",
    "F",
    "Field",
    "Filter",
    "FilterSet",
    "build",
    "encode_value",
    "from_keywords",
    "period_bounds",
    "range_filters",
]
