r"""One filter / sort / cursor language for the API, the UI, segments and reports.

Filters are ``field:operator:value`` strings (``name:contains:acme``,
``employees:gte:100``, ``type:in:customer,partner``, ``parent_id:is_null:true``); custom
fields are addressed as ``custom.<key>``. Several filters are AND-ed. The value is
everything after the second colon, taken as written (it may hold colons, spaces, pipes);
``in`` / ``not_in`` split it on commas, so their values cannot hold a comma.

OR groups: one filter written ``any(<filter>|<filter>|...)`` matches a record that matches
at least one of its members (``any(status:eq:new|score:gte:60)``). Inside the group ``|``
separates members, so a ``|`` in a value is written ``\|`` and a backslash ``\\`` (any
other backslash is refused); ``any_of`` writes a group from plain filters. A group is one
filter among the others (AND-ed with them), holds 1 to ``MAX_ANY`` members and no group.

List membership: objects that can be in lists (leads, contacts, accounts) have the pseudo
field ``list``: ``list:eq:<list id>``, ``list:ne:<list id>``, ``list:in:<id>,<id>`` (in any
of them), ``list:not_in:<id>,<id>`` (in none). A static list's members are its rows in
``list_members``; a dynamic list's are the records its saved filter matches (a subquery, and
that filter may itself name lists, up to a depth limit). The field's resolver
(``Membership``) is supplied by nexa.segment; an unknown list is a 422 naming the filter.

Sorting is one allow-listed field, ``-`` for descending; pages are keyset cursors over
(sort value, id), so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement as _CE

from nexa.core.errors import ValidationFailed

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
ORDERED_KINDS = {"int", "decimal", "date", "datetime", "str"}
MAX_FILTERS = 20
MAX_ANY = 10  # members of one any(...) group
ANY_OPEN, ANY_CLOSE, ANY_SEP, ESCAPE = "any(", ")", "|", "\\"
MEMBERSHIP = "membership"  # the kind of the ``list`` pseudo field
MEMBERSHIP_OPERATORS = ("eq", "ne", "in", "not_in")


class Membership(Protocol):
    """The resolver behind a ``list`` pseudo field (nexa.segment supplies it)."""

    def check(self, list_ids: list[uuid.UUID], param: str) -> None:
        """Raise ValidationFailed naming ``param`` when a list is unknown."""

    def clause(self, op: str, list_ids: list[uuid.UUID]) -> ColumnElement[bool]:
        """The records in (eq, in) or in none of (ne, not_in) these lists."""
        ...


@dataclass(frozen=True)
class FieldSpec:
    name: str
    column: Any  # a column, or for custom fields a callable(kind) -> SQL expression
    kind: str  # str int decimal bool date datetime uuid enum list
    sortable: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any  # for an any(...) group (field and op "any"): the member Conditions


ANY = "any"


@dataclass
class ListQuery:
    filters: list[str] = field(default_factory=list)
    sort: str | None = None
    cursor: str | None = None
    limit: int = 50
    fields: list[str] | None = None
    include_deleted: bool = False


def _fail(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field=field_name)


def _coerce(spec: FieldSpec, raw: str, param: str) -> Any:
    if "\x00" in raw:
        raise _fail(param, "value contains a NUL character")
    kind = spec.kind
    try:
        if kind == "int":
            value = int(raw)
            if abs(value) > 2**62:
                raise ValueError
            return value
        if kind == "decimal":
            d = Decimal(raw)
            if not d.is_finite() or abs(d) > Decimal("1e15"):
                raise InvalidOperation
            return d
        if kind == "bool":
            if raw.lower() in ("true", "1", "yes"):
                return True
            if raw.lower() in ("false", "0", "no"):
                return False
            raise ValueError
        if kind == "date":
            return date.fromisoformat(raw)
        if kind == "datetime":
            dt = datetime.fromisoformat(raw)
            if dt.tzinfo is None:
                from datetime import UTC

                dt = dt.replace(tzinfo=UTC)
            return dt
        if kind == "uuid":
            return uuid.UUID(raw)
        if kind == "enum" and spec.choices and raw not in spec.choices:
            # "New" or "Demo request" as a person types them: the choice they name
            key = "_".join(raw.strip().lower().replace("-", " ").split())
            if key in spec.choices:
                return key
            raise _fail(param, f"'{raw[:60]}' is not one of: {', '.join(spec.choices)}")
    except (ValueError, InvalidOperation, OverflowError) as exc:
        raise _fail(param, f"'{raw[:60]}' is not a valid {kind} for {spec.name}") from exc
    return raw


def split_any(raw: str) -> list[str] | None:
    """The members of an ``any(a|b|...)`` group (``\\|`` and ``\\\\`` unescaped), or None
    when ``raw`` is a plain filter."""
    if not raw.startswith(ANY_OPEN):
        return None
    if not raw.endswith(ANY_CLOSE) or len(raw) < len(ANY_OPEN) + 1:
        raise _fail("filter", "an any( group ends with )")
    body = raw[len(ANY_OPEN) : -len(ANY_CLOSE)]
    members: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == ESCAPE:
            nxt = body[i + 1 : i + 2]
            if nxt not in (ANY_SEP, ESCAPE):
                raise _fail("filter", "inside any(...) a backslash is written \\\\ and a pipe \\|")
            current.append(nxt)
            i += 2
            continue
        if ch == ANY_SEP:
            members.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    members.append("".join(current))
    return members


def any_of(filters: list[str]) -> str:
    """Plain filters as one ``any(...)`` group (escaping ``|`` and backslashes)."""
    escaped = [f.replace(ESCAPE, ESCAPE * 2).replace(ANY_SEP, ESCAPE + ANY_SEP) for f in filters]
    return ANY_OPEN + ANY_SEP.join(escaped) + ANY_CLOSE


def list_references(raw_filters: list[str]) -> list[uuid.UUID]:
    """The list ids that ``list:`` filters name (in groups too), without checking anything
    else; ids that do not parse are left out (parse_filters reports them)."""
    found: list[uuid.UUID] = []
    for raw in raw_filters:
        try:
            members = split_any(raw) or [raw]
        except ValidationFailed:
            continue
        for member in members:
            parts = member.split(":", 2)
            if len(parts) != 3 or parts[0] != "list":
                continue
            for item in parts[2].split(","):
                try:
                    found.append(uuid.UUID(item))
                except ValueError:
                    continue
    return list(dict.fromkeys(found))


def parse_filters(raw_filters: list[str], fields: dict[str, FieldSpec]) -> list[Condition]:
    if len(raw_filters) > MAX_FILTERS:
        raise _fail("filter", f"at most {MAX_FILTERS} filters")
    conditions = []
    for raw in raw_filters:
        members = split_any(raw)
        if members is None:
            conditions.append(_parse_one(raw, fields))
            continue
        if not 1 <= len(members) <= MAX_ANY:
            raise _fail("filter", f"an any(...) group holds 1 to {MAX_ANY} filters")
        group = []
        for member in members:
            if member.startswith(ANY_OPEN):
                raise _fail("filter", "an any(...) group cannot hold another group")
            group.append(_parse_one(member, fields))
        conditions.append(Condition(ANY, ANY, tuple(group)))
    return conditions


def _parse_one(raw: str, fields: dict[str, FieldSpec]) -> Condition:
    parts = raw.split(":", 2)
    if len(parts) != 3:
        raise _fail("filter", f"'{raw[:80]}' is not of the form field:operator:value")
    name, op, value = parts
    spec = fields.get(name)
    if spec is None:
        raise _fail("filter", f"'{name[:60]}' is not a filterable field")
    if op not in OPERATORS:
        raise _fail("filter", f"'{op[:30]}' is not an operator ({', '.join(OPERATORS)})")
    param = f"filter[{name}]"
    if spec.kind == MEMBERSHIP:
        if op not in MEMBERSHIP_OPERATORS:
            raise _fail(param, f"{name} takes eq, ne, in or not_in and list ids")
        items = [v for v in value.split(",") if v != ""]
        if not items or len(items) > 100 or (op in ("eq", "ne") and len(items) != 1):
            raise _fail(param, "give one list id (eq, ne) or 1 to 100 (in, not_in)")
        ids = [_coerce(FieldSpec(name, None, "uuid"), v, param) for v in items]
        spec.column.check(ids, param)
        return Condition(name, op, ids)
    if op == "is_null":
        return Condition(name, op, _coerce(FieldSpec(name, None, "bool"), value, param))
    if op in ("in", "not_in"):
        items = [v for v in value.split(",") if v != ""]
        if not items or len(items) > 100:
            raise _fail(param, "give 1 to 100 comma-separated values")
        return Condition(name, op, [_coerce(spec, v, param) for v in items])
    if op in ("contains", "starts_with"):
        if spec.kind not in ("str", "list", "enum"):
            raise _fail(param, f"{op} applies to text fields only")
        return Condition(name, op, _coerce(FieldSpec(name, None, "str"), value, param))
    if op in ("lt", "lte", "gt", "gte") and spec.kind not in ORDERED_KINDS:
        raise _fail(param, f"{op} does not apply to a {spec.kind} field")
    if spec.kind == "list" and op in ("eq", "ne"):
        raise _fail(param, "use contains on a multi-select field")
    return Condition(name, op, _coerce(spec, value, param))


def _expr(spec: FieldSpec) -> Any:
    if callable(spec.column) and not isinstance(spec.column, _CE):
        return spec.column(spec.kind)
    return spec.column


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def condition_clause(
    cond: Condition, spec: FieldSpec, list_contains: Callable[[Any, str], Any] | None = None
) -> ColumnElement[bool]:
    if spec.kind == MEMBERSHIP:
        return spec.column.clause(cond.op, cond.value)
    col = _expr(spec)
    v = cond.value
    op = cond.op
    if op == "is_null":
        return col.is_(None) if v else col.is_not(None)
    if spec.kind == "list":
        if op == "contains" and list_contains is not None:
            return list_contains(spec, v)
        raise _fail(f"filter[{spec.name}]", f"{op} is not supported on a multi-select field")
    if spec.kind == "str" and op in ("eq", "ne", "in", "not_in"):
        pass
    if op == "eq":
        return col == v
    if op == "ne":
        return or_(col != v, col.is_(None))
    if op == "lt":
        return col < v
    if op == "lte":
        return col <= v
    if op == "gt":
        return col > v
    if op == "gte":
        return col >= v
    if op == "in":
        return col.in_(v)
    if op == "not_in":
        return or_(col.not_in(v), col.is_(None))
    if op == "contains":
        return func.lower(col).like(f"%{_escape_like(v.lower())}%", escape="\\")
    if op == "starts_with":
        return func.lower(col).like(f"{_escape_like(v.lower())}%", escape="\\")
    raise _fail("filter", f"unknown operator {op}")


def apply_filters(
    stmt: Select[Any],
    conditions: list[Condition],
    fields: dict[str, FieldSpec],
    list_contains: Callable[[Any, str], Any] | None = None,
) -> Select[Any]:
    for cond in conditions:
        stmt = stmt.where(filter_clause(cond, fields, list_contains))
    return stmt


def filter_clause(
    cond: Condition,
    fields: dict[str, FieldSpec],
    list_contains: Callable[[Any, str], Any] | None = None,
) -> ColumnElement[bool]:
    """One parsed filter (a plain condition or an any(...) group) as SQL."""
    if cond.field == ANY and cond.op == ANY:
        return or_(*(condition_clause(c, fields[c.field], list_contains) for c in cond.value))
    return condition_clause(cond, fields[cond.field], list_contains)


# ---- sorting and cursors -----------------------------------------------------------------


def parse_sort(
    sort: str | None, fields: dict[str, FieldSpec], default: str
) -> tuple[FieldSpec, bool]:
    raw = sort or default
    desc = raw.startswith("-")
    name = raw.lstrip("-")
    spec = fields.get(name)
    if spec is None or not spec.sortable:
        allowed = ", ".join(sorted(n for n, s in fields.items() if s.sortable))
        raise _fail("sort", f"'{name[:60]}' cannot be sorted on; choose one of: {allowed}")
    return spec, desc


def encode_cursor(value: Any, row_id: uuid.UUID) -> str:
    if isinstance(value, datetime | date):
        value = {"t": value.isoformat()}
    elif isinstance(value, Decimal):
        value = {"d": str(value)}
    raw = json.dumps([value, str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


MAX_CURSOR = 2000  # characters: a cursor holds one sort value and an id
_CURSOR_INT = 2**62
_CURSOR_DECIMAL = Decimal("1e18")


def _cursor_value(value: Any, spec: FieldSpec) -> Any:
    """The sort value a cursor carries, checked against the field's kind before it reaches
    SQL: an integer beyond 64 bits (SQLite's OverflowError), a number where a date is
    compared (PostgreSQL's type error) or a nested value is refused here (ValueError)."""
    kind = spec.kind
    if value is None:
        return None
    if isinstance(value, dict):
        if set(value) == {"t"} and isinstance(value["t"], str) and kind in ("date", "datetime"):
            return (datetime if kind == "datetime" else date).fromisoformat(value["t"])
        if set(value) == {"d"} and isinstance(value["d"], str) and kind in ("decimal", "int"):
            value = Decimal(value["d"])
        else:
            raise ValueError("not a sort value")
    if isinstance(value, bool):
        if kind != "bool":
            raise ValueError("not a sort value")
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(value) if not isinstance(value, Decimal) else value
        if kind not in ("int", "decimal") or not number.is_finite():
            raise ValueError("not a number of this field")
        if kind == "int":
            if number != number.to_integral_value() or abs(number) > _CURSOR_INT:
                raise ValueError("out of range")
            return int(number)
        if abs(number) > _CURSOR_DECIMAL:
            raise ValueError("out of range")
        return number if isinstance(value, Decimal) else value
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL")
        if kind == "uuid":
            return uuid.UUID(value)
        if kind in ("date", "datetime"):
            (datetime if kind == "datetime" else date).fromisoformat(value)  # a valid one
        elif kind not in ("str", "enum"):
            raise ValueError("text where this field holds no text")
        return value
    raise ValueError("not a sort value")


def decode_cursor(cursor: str, spec: FieldSpec) -> tuple[Any, uuid.UUID]:
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(decoded, list) or len(decoded) != 2:
            raise ValueError("not a cursor")
        value, row_id = decoded
        if not isinstance(row_id, str):
            raise ValueError("not a row id")
        return _cursor_value(value, spec), uuid.UUID(row_id)
    except Exception as exc:
        raise _fail(
            "cursor", "the cursor is not valid for this list; start again without it"
        ) from exc


def apply_keyset(
    stmt: Select[Any], spec: FieldSpec, desc: bool, id_col: Any, cursor: str | None
) -> Select[Any]:
    """ORDER BY (value IS NULL), value, id — nulls last in both directions — and seek.

    A column that cannot be null is ordered by itself and the id alone, so an index on
    (column, id) serves the page without sorting every matching row."""
    col = _expr(spec)
    is_null = col.is_(None)
    nullable = _nullable(col)
    if spec.name == "id":
        order = [id_col.desc() if desc else id_col.asc()]
    elif not nullable:
        order = [col.desc() if desc else col.asc(), id_col.desc() if desc else id_col.asc()]
    else:
        order = [
            func.coalesce(func.cast(is_null, _int_type()), 0).asc(),
            col.desc() if desc else col.asc(),
            id_col.desc() if desc else id_col.asc(),
        ]
    stmt = stmt.order_by(*order)
    if not cursor:
        return stmt
    value, last_id = decode_cursor(cursor, spec)
    id_after = id_col < last_id if desc else id_col > last_id
    if spec.name == "id":
        return stmt.where(id_after)
    if value is None:
        return stmt.where(and_(is_null, id_after))
    beyond = col < value if desc else col > value
    if not nullable:
        return stmt.where(or_(beyond, and_(col == value, id_after)))
    return stmt.where(or_(beyond, and_(col == value, id_after), is_null))


def _nullable(col: Any) -> bool:
    """False only for a mapped table column declared NOT NULL (expressions may be null)."""
    column = getattr(col, "expression", col)
    return not (isinstance(column, Column) and column.nullable is False)


def _int_type() -> Any:
    from sqlalchemy import Integer

    return Integer


__all__ = [
    "OPERATORS",
    "Condition",
    "FieldSpec",
    "ListQuery",
    "Membership",
    "any_of",
    "apply_filters",
    "apply_keyset",
    "condition_clause",
    "decode_cursor",
    "encode_cursor",
    "exists",
    "false",
    "filter_clause",
    "list_references",
    "parse_filters",
    "parse_sort",
    "select",
    "split_any",
    "true",
]
