"""The list pages' filter builder in words: for each field the operators that make sense for
its kind ("is", "is before", "is empty" — never ``eq`` or ``lte``) and a value input that
fits it (a select of the field's choices or of users, a date picker, a number, a record
look-up, text). ``filter_string`` turns a row of the builder into the API's
``field:operator:value``; ``builder_row`` turns a filter back into a row to show.

Leads, contacts and accounts also offer list membership ("is in list" / "is not in list",
a picker of the lists of that kind: the ``list`` pseudo field), and the form has an "any of
these" box whose rows become one ``any(...)`` filter (``group_rows`` reads a group back).

Internal columns (``id``, ``deleted_at``, versions) are neither offered as filters nor as
columns (``HIDDEN``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import ValidationFailed
from nexa.core.filtering import MEMBERSHIP, FieldSpec, ListQuery, split_any
from nexa.segment.service import ListService
from nexa.web.choices import field_choices
from nexa.web.pages import humanise
from nexa.web.references import FIELD_TYPES

HIDDEN = frozenset({"id", "deleted_at", "version", "search_text", "email_key", "name_key"})

# the builder's operators by field kind: (value of the select, words shown)
EMPTY = [("empty", "is empty"), ("present", "is not empty")]
OPERATORS: dict[str, list[tuple[str, str]]] = {
    "str": [("contains", "contains"), ("starts_with", "starts with"), ("eq", "is exactly"),
            ("ne", "is not"), *EMPTY],
    "enum": [("eq", "is"), ("ne", "is not"), *EMPTY],
    "uuid": [("eq", "is"), ("ne", "is not"), *EMPTY],
    "date": [("eq", "is"), ("lt", "is before"), ("gt", "is after"), ("lte", "is on or before"),
             ("gte", "is on or after"), *EMPTY],
    "datetime": [("gte", "is on or after"), ("lt", "is before"), *EMPTY],
    "int": [("eq", "is"), ("ne", "is not"), ("lt", "is less than"), ("lte", "is at most"),
            ("gt", "is more than"), ("gte", "is at least"), *EMPTY],
    "bool": [("eq", "is")],
    "list": [("contains", "includes")],
    MEMBERSHIP: [("eq", "is in list"), ("ne", "is not in list")],
}  # fmt: skip
OPERATORS["decimal"] = OPERATORS["int"]
# a reference's look-up: field -> the list page's path of the record it points at
LOOKUPS = {"account": "accounts", "contact": "contacts", "deal": "deals", "lead": "leads",
           "quote": "quotes"}  # fmt: skip


@dataclass
class FilterField:
    name: str
    label: str
    kind: str
    operators: list[tuple[str, str]]
    choices: list[tuple[str, str]] | None = None  # a select
    lookup: str | None = None  # a record look-up (/lookup/<path>)
    input: str = "text"  # text, number, date
    extra: dict[str, Any] = field(default_factory=dict)


def list_choices(session: Session, actor: Actor, object_type: str) -> list[tuple[str, str]]:
    """The lists of ``object_type`` records the actor can read, by name (a picker)."""
    found, _ = ListService(session, actor).list(
        ListQuery(filters=[f"object_type:eq:{object_type}"], sort="name", limit=200)
    )
    return [(str(lst.id), lst.name) for lst in found]


def filter_fields(
    session: Session,
    actor: Actor,
    obj: Any,
    fields: dict[str, FieldSpec],
    shown: set[str] | frozenset[str] = frozenset(),
) -> dict[str, FilterField]:
    """The fields the builder offers, by name, in label order. The list picker's choices are
    read only when a row of ``shown`` needs them (one query, not on every list page)."""
    out: dict[str, FilterField] = {}
    for name, spec in fields.items():
        if name in HIDDEN or spec.kind not in OPERATORS:
            continue
        if spec.kind == MEMBERSHIP:
            picked = list_choices(session, actor, obj.name) if name in shown else []
            out[name] = FilterField(
                name=name, label="List membership", kind=spec.kind,
                operators=OPERATORS[MEMBERSHIP], choices=picked,
            )  # fmt: skip
            continue
        choices = field_choices(session, actor, obj, name)
        if choices is None and spec.kind == "enum" and spec.choices:
            choices = [(c, humanise(c)) for c in spec.choices]
        if spec.kind == "bool":
            choices = [("true", "Yes"), ("false", "No")]
        target = FIELD_TYPES.get(name)
        if target == "user" and actor.user_id is not None:
            # "me" first; those who may not list users (reps) have it alone
            others = [c for c in (choices or []) if c[0] != str(actor.user_id)]
            choices = [(str(actor.user_id), "Me"), *others]
        lookup = LOOKUPS.get(target or "") if spec.kind == "uuid" and choices is None else None
        out[name] = FilterField(
            name=name,
            label=humanise(name),
            kind=spec.kind,
            operators=OPERATORS[spec.kind],
            choices=choices,
            lookup=lookup,
            input={"int": "number", "decimal": "number", "date": "date", "datetime": "date"}.get(
                spec.kind, "text"
            ),
        )
    return dict(sorted(out.items(), key=lambda item: item[1].label.lower()))


def filter_string(name: str, op: str, value: str) -> str | None:
    """A builder row as the API's filter (None when the row is incomplete)."""
    if not name or not op:
        return None
    if op == "empty":
        return f"{name}:is_null:true"
    if op == "present":
        return f"{name}:is_null:false"
    if value == "":
        return None
    return f"{name}:{op}:{value}"


def group_rows(raw: str) -> list[tuple[str, str, str]] | None:
    """An ``any(...)`` filter as rows of the "any of these" box (None: not a group)."""
    try:
        members = split_any(raw)
    except ValidationFailed:
        return None
    if members is None:
        return None
    return [row for row in map(builder_row, members) if row is not None]


def builder_row(raw: str) -> tuple[str, str, str] | None:
    """A filter as the builder shows it: (field, operator, value)."""
    if raw.startswith("any("):
        return None  # a group: group_rows
    parts = raw.split(":", 2)
    if len(parts) != 3:
        return None
    name, op, value = parts
    if op == "is_null":
        return (name, "empty" if value.lower() in ("true", "1", "yes") else "present", "")
    return (name, op, value)
