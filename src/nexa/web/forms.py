"""Forms built from the API's own input schemas, so the UI accepts exactly what the API does.

``form_fields`` describes the inputs of a create/update schema (plus the object's custom
fields); ``parse_form`` turns a posted form into the dict the schema validates; errors of
Pydantic or of the services come back as ``{field: message}`` to show on the field.
"""

from __future__ import annotations

import functools
import types
import typing
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from nexa.core.errors import DomainError
from nexa.core.localtime import zone_choices
from nexa.core.schemas import MULTI_LINE_FIELDS
from nexa.metadata import service as metadata
from nexa.web.labels import field_label, plain_text
from nexa.web.zones import read_local

# reference fields: which list a lookup searches
REFERENCES = {
    "owner_id": "users",
    "account_id": "accounts",
    "parent_id": "accounts",
    "contact_id": "contacts",
    "primary_contact_id": "contacts",
    "reports_to_id": "contacts",
    "deal_id": "deals",
    "lead_id": "leads",
    "quote_id": "quotes",
    "pipeline_id": "pipelines",
    "product_id": "products",
    "related_id": "records",
}
# Inputs a person fills first come first; long text last (the schemas' order is the API's).
LEADING = ("first_name", "last_name", "name", "title", "subject", "body", "email", "phone")
WHEN = ("starts_at", "ends_at", "timezone", "started_at", "duration_seconds", "due_at",
        "reminder_at")  # fmt: skip
MINUTES = {"duration_seconds"}
COUNTRY_FIELDS = {"country"}
ZONE_FIELDS = {"time_zone"}  # a select of IANA zones (leads, contacts: issue 19)


@functools.lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code → the country's common name, in name order."""
    import pycountry

    names = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    return dict(sorted(names.items(), key=lambda item: item[1]))


MINUTES_SUFFIX = " (minutes)"
LONG_TEXT = MULTI_LINE_FIELDS  # a text area where the schemas accept several lines
NEVER_IN_FORMS = {"custom_fields", "allow_duplicates", "if_match", "version"}


# A form's sections, in order (issue 18: "fields in sections"); a field named in none is "About".
SECTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("When", frozenset({"starts_at", "ends_at", "timezone", "started_at", "duration_seconds",
                        "due_at", "reminder_at", "close_date", "valid_until", "expected_date"})),
    ("Where", frozenset({"location", "video_url", "billing_address", "shipping_address",
                         "address", "country", "time_zone", "city", "state", "postal_code"})),
    ("Linked to", frozenset({"related_type", "related_id", "account_id", "contact_id",
                             "primary_contact_id", "deal_id", "lead_id", "parent_id",
                             "quote_id", "reports_to_id", "attendees"})),
    ("Ownership", frozenset({"owner_id", "sales_team", "team_id", "account_team"})),
)  # fmt: skip


def form_sections(fields: list[FormField]) -> list[tuple[str, list[FormField]]]:
    """The form's fields (custom fields aside) grouped into sections, empty ones left out;
    long text ("Notes") last. One section alone is returned as ("", fields)."""
    groups: dict[str, list[FormField]] = {"About": []}
    for title, _ in SECTIONS:
        groups[title] = []
    groups["Notes"] = []
    for f in fields:
        if f.custom:
            continue
        found_in = next((t for t, names in SECTIONS if f.name in names), None)
        title = found_in or ("Notes" if f.kind == "textarea" else "About")
        groups[title].append(f)
    found = [(title, group) for title, group in groups.items() if group]
    return [("", found[0][1])] if len(found) == 1 else found


@dataclass
class FormField:
    name: str
    label: str
    kind: str  # text textarea email url number date datetime select checkbox tags ref money
    required: bool = False
    choices: tuple[str, ...] = ()
    value: Any = None
    help: str | None = None
    ref: str | None = None
    ref_label: str | None = None
    error: str | None = None
    custom: bool = False
    step: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the inner type, whether None is allowed)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            inner, _ = _unwrap(args[0])
            return inner, optional
        return args[0], optional
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation, False


def _kind(name: str, annotation: Any) -> tuple[str, tuple[str, ...]]:
    inner, _ = _unwrap(annotation)
    origin = typing.get_origin(inner)
    if origin is Literal:
        return "select", tuple(str(a) for a in typing.get_args(inner))
    if origin in (list, tuple, set):
        (item,) = typing.get_args(inner)[:1] or (str,)
        item_inner, _ = _unwrap(item)
        if isinstance(item_inner, type) and issubclass(item_inner, BaseModel):
            return ("rows", ()) if _simple_rows(item_inner) else ("unsupported", ())
        if item_inner is uuid.UUID:
            return "unsupported", ()
        return "tags", ()
    if inner is bool:
        return "checkbox", ()
    if inner is uuid.UUID:
        return ("ref", ()) if name in REFERENCES else ("text", ())
    if inner in (int, float, Decimal):
        return "number", ()
    if inner is datetime:
        return "datetime", ()
    if inner is date:
        return "date", ()
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        fields = set(inner.model_fields)
        return ("money", ()) if fields == {"amount", "currency"} else ("unsupported", ())
    if origin is dict or inner is dict:
        return "unsupported", ()
    if name == "email" or name.endswith("_email"):
        return "email", ()
    if name in ("website", "video_url", "redirect_url", "linkedin_url") or name.endswith("_url"):
        return "url", ()
    if name in LONG_TEXT:
        return "textarea", ()
    return "text", ()


ROW_KINDS = {
    "text",
    "textarea",
    "email",
    "url",
    "number",
    "date",
    "datetime",
    "select",
    "checkbox",
    "ref",
}
BLANK_ROWS = 3


def _simple_rows(model: type[BaseModel]) -> bool:
    """Rows of a table: a sub-model whose fields are all plain inputs."""
    return all(_kind(n, i.annotation)[0] in ROW_KINDS for n, i in model.model_fields.items())


def row_model(annotation: Any) -> type[BaseModel]:
    inner, _ = _unwrap(annotation)
    (item,) = typing.get_args(inner)[:1]
    model, _ = _unwrap(item)
    return model


def row_columns(model: type[BaseModel]) -> list[FormField]:
    columns = []
    for name, info in model.model_fields.items():
        kind, found = _kind(name, info.annotation)
        inner, _ = _unwrap(info.annotation)
        columns.append(
            FormField(
                name=name,
                label=info.title or field_label(name),
                kind="text" if kind == "textarea" else kind,
                required=info.is_required(),
                choices=found,
                ref=REFERENCES.get(name) if kind == "ref" else None,
                step=("1" if inner is int else "0.01") if kind == "number" else None,
                help=info.description,
            )
        )
    return columns


def form_fields(
    session: Session,
    model: type[BaseModel],
    object_name: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    exclude: tuple[str, ...] = (),
    custom_fields: bool = False,
    choices: dict[str, tuple[str, ...]] | None = None,
) -> list[FormField]:
    values = values or {}
    errors = errors or {}
    out: list[FormField] = []
    for name, info in model.model_fields.items():
        if name in NEVER_IN_FORMS or name in exclude:
            continue
        kind, found_choices = _kind(name, info.annotation)
        if kind == "unsupported":
            continue
        if choices and name in choices:
            kind, found_choices = "select", choices[name]
        step = None
        inner, _ = _unwrap(info.annotation)
        if kind == "number":
            step = "1" if inner is int else "0.01"
        if name in MINUTES:  # a duration people think of in minutes, stored in seconds
            kind, step = "minutes", "1"
        extra_labels: dict[str, str] | None = None
        if name in COUNTRY_FIELDS and kind == "text":  # a select of names, the ISO code kept
            extra_labels = country_names()
            kind, found_choices = "select", tuple(extra_labels)
        if name in ZONE_FIELDS and kind == "text":
            extra_labels = {z: z.replace("_", " ") for z in zone_choices()}
            kind, found_choices = "select", tuple(extra_labels)
        extra: dict[str, Any] = {"labels": extra_labels} if extra_labels else {}
        if kind == "rows":
            extra["columns"] = row_columns(row_model(info.annotation))
            extra["blank"] = BLANK_ROWS
        out.append(
            FormField(
                name=name,
                label=(info.title or field_label(name))
                + (" (minutes)" if kind == "minutes" else ""),
                kind=kind,
                required=info.is_required(),
                choices=found_choices,
                value=values.get(name),
                help=info.description,
                ref=REFERENCES.get(name) if kind == "ref" else None,
                error=errors.get(name),
                step=step,
                extra=extra,
            )
        )

    def rank(f: FormField) -> tuple[int, int]:
        if f.name in LEADING:
            return (0, LEADING.index(f.name))
        if f.name in WHEN:  # a start and its end (or a due time and its reminder) together
            return (1, WHEN.index(f.name))
        return (3, 0) if f.kind == "textarea" else (2, 0)

    out.sort(key=rank)  # stable: the rest keep the schema's order
    if custom_fields:
        custom_values = values.get("custom_fields") or {}
        for definition in metadata.definitions(session, object_name):
            kind = {
                "number": "number",
                "money": "number",
                "date": "date",
                "boolean": "checkbox",
                "select": "select",
                "multiselect": "tags",
                "email": "email",
                "url": "url",
            }.get(definition.field_type, "text")
            key = f"custom.{definition.key}"
            out.append(
                FormField(
                    name=key,
                    label=definition.label,
                    kind=kind,
                    required=definition.required,
                    choices=tuple(str(o) for o in (definition.options or ())),
                    value=custom_values.get(definition.key),
                    error=errors.get(key) or errors.get(f"custom_fields.{definition.key}"),
                    custom=True,
                    step="0.01" if kind == "number" else None,
                    help=(
                        "comma-separated: " + ", ".join(map(str, definition.options))
                        if definition.field_type == "multiselect"
                        else None
                    ),
                )
            )
    return out


def parse_form(
    form: Any, fields: list[FormField], *, only: set[str] | None = None, zone: tzinfo = UTC
) -> dict[str, Any]:
    """The posted values of ``fields`` as the schema expects them (custom fields nested).
    ``only``: parse just these names (inline edit of one field); ``zone``: the user's, which
    date-time inputs are read in."""
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for f in fields:
        if only is not None and f.name not in only:
            continue
        value: Any
        if f.kind == "rows":
            value = _rows(form, f)
            if value is None:
                continue
        elif f.kind == "money":
            amount = _text(form.get(f"{f.name}.amount"))
            currency = _text(form.get(f"{f.name}.currency"))
            value = {"amount": amount, "currency": currency} if amount else None
        elif f.kind == "checkbox":
            posted = form.getlist(f.name) if hasattr(form, "getlist") else [form.get(f.name)]
            value = bool(posted) and posted[-1] in ("on", "true", "1")
        elif f.kind == "tags":
            raw = _text(form.get(f.name))
            value = [t.strip() for t in raw.split(",") if t.strip()] if raw else None
        else:
            value = _text(form.get(f.name))
            if value is not None and f.kind == "datetime":
                value = _in_zone(value, zone)
            elif value is not None and f.kind == "minutes":
                value = str(int(value) * 60) if value.isdigit() and len(value) < 9 else value
        if f.custom:
            custom[f.name.removeprefix("custom.")] = value
        else:
            data[f.name] = value
    if custom:
        data["custom_fields"] = custom
    return data


def _in_zone(value: str, zone: tzinfo) -> str:
    """A datetime-local value read in ``zone``, as the schema takes it."""
    moment = read_local(value, zone)
    return moment.isoformat() if isinstance(moment, datetime) else moment


def _rows(form: Any, f: FormField) -> list[dict[str, Any]] | None:
    """The filled rows of a table input (blank rows are left out); None when the form has
    no input of this table at all (another part of the record was posted)."""
    prefix = f.name + "."
    indexes = sorted(
        {int(k.split(".")[1]) for k in form if k.startswith(prefix) and k.split(".")[1].isdigit()}
    )
    if not indexes and form.get(prefix + "present") is None:
        return None
    rows = []
    for i in indexes[:200]:
        row: dict[str, Any] = {}
        filled = False
        for column in f.extra.get("columns", []):
            key = f"{f.name}.{i}.{column.name}"
            if column.kind == "checkbox":
                posted = form.getlist(key) if hasattr(form, "getlist") else [form.get(key)]
                if posted and posted[-1] in ("on", "true", "1"):
                    row[column.name] = True
                    filled = True
                continue
            value = _text(form.get(key))
            if value is not None:
                if column.kind == "datetime" and len(value) == 16:
                    value += ":00Z"
                row[column.name] = value
                filled = True
        if filled:
            rows.append(row)
    return rows


def _text(value: Any) -> str | None:
    if value is None or not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _number(limit: Any) -> str:
    """A limit as people write numbers (10,000,000,000,000, not 1E+13)."""
    if isinstance(limit, Decimal | int | float) and not isinstance(limit, bool):
        text = f"{Decimal(str(limit)):,f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(limit)


def _characters(count: Any) -> str:
    return "1 character" if count == 1 else f"{_number(count)} characters"


# Pydantic's error types in words (no regexes, no "String should have at most …")
PLAIN_ERRORS: dict[str, Any] = {
    "missing": lambda ctx: "is required",
    "string_too_long": lambda ctx: f"can be at most {_characters(ctx.get('max_length'))}",
    "string_too_short": lambda ctx: (
        "cannot be empty"
        if ctx.get("min_length") == 1
        else f"needs at least {_characters(ctx.get('min_length'))}"
    ),
    "too_long": lambda ctx: f"can have at most {_number(ctx.get('max_length'))} items",
    "too_short": lambda ctx: f"needs at least {_number(ctx.get('min_length'))} items",
    "string_pattern_mismatch": lambda ctx: "is not in the expected format",
    "greater_than_equal": lambda ctx: f"must be at least {_number(ctx.get('ge'))}",
    "greater_than": lambda ctx: f"must be more than {_number(ctx.get('gt'))}",
    "less_than_equal": lambda ctx: f"must be at most {_number(ctx.get('le'))}",
    "less_than": lambda ctx: f"must be less than {_number(ctx.get('lt'))}",
    "int_parsing": lambda ctx: "must be a whole number",
    "int_from_float": lambda ctx: "must be a whole number",
    "float_parsing": lambda ctx: "must be a number",
    "decimal_parsing": lambda ctx: "must be a number",
    "decimal_type": lambda ctx: "must be a number",
    "decimal_max_places": lambda ctx: (
        f"can have at most {_number(ctx.get('decimal_places'))} decimal places"
    ),
    "decimal_max_digits": lambda ctx: "is too large",
    "finite_number": lambda ctx: "must be a number",
    "bool_parsing": lambda ctx: "must be yes or no",
    "date_parsing": lambda ctx: "must be a date",
    "date_from_datetime_parsing": lambda ctx: "must be a date",
    "date_type": lambda ctx: "must be a date",
    "datetime_parsing": lambda ctx: "must be a date and time",
    "datetime_from_date_parsing": lambda ctx: "must be a date and time",
    "datetime_type": lambda ctx: "must be a date and time",
    "timezone_aware": lambda ctx: "must be a date and time with its time zone",
    "uuid_parsing": lambda ctx: "must be picked from the list",
    "uuid_type": lambda ctx: "must be picked from the list",
    "literal_error": lambda ctx: "must be one of the listed choices",
    "enum": lambda ctx: "must be one of the listed choices",
    "url_parsing": lambda ctx: "must be a web address (https://…)",
    "extra_forbidden": lambda ctx: "is not a field of this form",
}


def _readable(err: Any) -> str:
    """Pydantic's error in words a user understands: "can be at most 200 characters", "must
    be a valid email address"; the limits written as people write numbers (not 1E+13)."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    raw = str(err.get("msg", "")).removeprefix("Value error, ")
    if kind == "value_error" and raw.startswith("not a valid email address"):
        # email-validator's own sentence ("The email address is not valid. It must have
        # exactly one @-sign.") says less than this; Nexa's own reasons ("it mixes scripts")
        # are kept
        reason = raw.removeprefix("not a valid email address").removeprefix(": ")
        return "must be a valid email address" + (f": {reason}" if reason.startswith("it ") else "")
    plain = PLAIN_ERRORS.get(kind)
    if plain is not None:
        return str(plain(ctx))
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    message = message.removeprefix("Assertion failed, ")
    for limit in ctx.values():
        if isinstance(limit, Decimal) and "E" in str(limit):
            message = message.replace(str(limit), _number(limit))
    return plain_text(message)


def errors_of(exc: Exception) -> dict[str, str]:
    """{field: message} for a Pydantic or a domain error."""
    if isinstance(exc, ValidationError):
        out: dict[str, str] = {}
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
            name = loc[0] if loc else "__all__"
            if name == "custom_fields" and len(loc) > 1:
                name = f"custom.{loc[1]}"
            message = _readable(err)
            rows = [p for p in err.get("loc", ()) if isinstance(p, int)]
            if rows and len(loc) > 1:
                message = f"row {rows[0] + 1}, {field_label(loc[-1]).lower()}: {message}"
            out.setdefault(name, message)
        return out
    if isinstance(exc, DomainError):
        name = exc.field or "__all__"
        if name.startswith("custom_fields."):
            name = "custom." + name.removeprefix("custom_fields.")
        return {name: plain_text(exc.detail)}
    raise exc


def create_values(data: dict[str, Any]) -> dict[str, Any]:
    """On create, empty inputs are left out (the schema's defaults apply)."""
    out = {k: v for k, v in data.items() if v is not None and v != []}
    if "custom_fields" in out:
        out["custom_fields"] = {k: v for k, v in out["custom_fields"].items() if v is not None}
        if not out["custom_fields"]:
            del out["custom_fields"]
    return out
