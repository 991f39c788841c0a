"""Custom fields: typed definitions per object, validation of values, filter specs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import String, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from nexa.core.actor import Actor
from nexa.core.cache import TableCache
from nexa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.core.fields import normalise_email, normalise_url
from nexa.core.filtering import FieldSpec
from nexa.core.schemas import check_line_text
from nexa.metadata.events import CustomFieldCreated, CustomFieldUpdated
from nexa.metadata.repository import CustomFieldRepository
from nexa.metadata.repository import list_contains_clause as list_contains_clause
from nexa.metadata.schemas import CustomFieldCreate, CustomFieldUpdate
from nexa.models import CustomField

KIND_FOR_TYPE = {
    "text": "str",
    "email": "str",
    "url": "str",
    "select": "enum",
    "number": "decimal",
    "money": "decimal",
    "date": "date",
    "boolean": "bool",
    "multiselect": "list",
}


def _need(actor: Actor, action: str) -> None:
    if not actor.can(f"custom_field:{action}"):
        raise PermissionDenied("only admins can change custom fields")


@dataclass(frozen=True)
class FieldDefinition:
    """A live custom field's definition, as validation, forms and filters read it."""

    key: str
    label: str
    field_type: str
    required: bool
    options: tuple[Any, ...]

    @classmethod
    def of(cls, row: CustomField) -> FieldDefinition:
        return cls(row.key, row.label, row.field_type, row.required, tuple(row.options or ()))


# read by every create and update of an object that has custom fields (core.cache)
_definitions = TableCache("custom field definitions", [CustomField.__tablename__])


def definitions(session: Session, object_type: str) -> tuple[FieldDefinition, ...]:
    """Live definitions for an object, in form order (cached per process: core.cache)."""
    return _definitions.get(
        object_type,
        lambda: tuple(map(FieldDefinition.of, CustomFieldRepository(session).live(object_type))),
    )


def list_definitions(
    session: Session, actor: Actor, object_type: str | None = None
) -> list[CustomField]:
    return CustomFieldRepository(session).all(object_type)


def create_definition(session: Session, actor: Actor, data: CustomFieldCreate) -> CustomField:
    _need(actor, "create")
    if data.field_type in ("select", "multiselect") and not data.options:
        raise ValidationFailed("select fields need at least one option", field="options")
    if len(set(data.options)) != len(data.options):
        raise ValidationFailed("options must be distinct", field="options")
    taken = CustomFieldRepository(session).key_taken(data.object_type, data.key)
    if taken:
        raise Conflict(f"{data.object_type} already has a field '{data.key}'", field="key")
    definition = CustomField(id=uuid.uuid4(), **data.model_dump())
    session.add(definition)
    session.flush()
    publish(
        session,
        actor,
        "custom_field.created",
        record_type="custom_field",
        record_id=definition.id,
        payload=CustomFieldCreated(object_type=definition.object_type, key=definition.key),
    )
    return definition


def get_definition(session: Session, field_id: uuid.UUID) -> CustomField:
    definition = session.get(CustomField, field_id)
    if definition is None:
        raise NotFound(f"custom field {field_id} not found")
    return definition


def update_definition(
    session: Session, actor: Actor, field_id: uuid.UUID, data: CustomFieldUpdate
) -> CustomField:
    _need(actor, "write")
    definition = get_definition(session, field_id)
    changes = {}
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        if getattr(definition, name) != value:
            changes[name] = (getattr(definition, name), value)
            setattr(definition, name, value)
    if definition.field_type in ("select", "multiselect") and not definition.options:
        raise ValidationFailed("select fields need at least one option", field="options")
    session.flush()
    if changes:
        publish(
            session,
            actor,
            "custom_field.updated",
            record_type="custom_field",
            record_id=definition.id,
            changes=changes,
            payload=CustomFieldUpdated(),
        )
    return definition


# ---- values ------------------------------------------------------------------------------


def _coerce_value(defn: FieldDefinition, value: Any, region: str = "US") -> Any:
    t = defn.field_type
    if value is None:
        return None
    if t == "text":
        if not isinstance(value, str) or len(value) > 10_000:
            raise ValueError("must be text of at most 10,000 characters")
        return check_line_text(value, multi_line=True)  # lines, but no BEL, ESC …
    if t in ("number", "money"):
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if t == "money" and isinstance(value, dict):
            value = value.get("amount")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not number.is_finite() or abs(number) > Decimal("1e15"):
            raise ValueError("must be a finite number below 10^15")
        return (
            str(number.quantize(Decimal("0.01")))
            if t == "money"
            else (
                int(number)
                if number == number.to_integral_value() and abs(number) < 2**53
                else float(number)
            )
        )
    if t == "date":
        if not isinstance(value, str):
            raise ValueError("must be a date YYYY-MM-DD")
        return date.fromisoformat(value).isoformat()
    if t == "boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if t == "select":
        if value not in defn.options:
            raise ValueError(f"must be one of: {', '.join(defn.options)}")
        return value
    if t == "multiselect":
        if not isinstance(value, list) or any(v not in defn.options for v in value):
            raise ValueError(f"must be a list of: {', '.join(defn.options)}")
        return sorted(set(value), key=value.index)
    if t == "email":
        if not isinstance(value, str):
            raise ValueError("must be an email address")
        return normalise_email(value)
    if t == "url":
        if not isinstance(value, str):
            raise ValueError("must be a web address")
        return normalise_url(value)
    raise ValueError(f"unknown field type {t}")


def validate_values(
    session: Session,
    object_type: str,
    values: dict[str, Any] | None,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Merge ``values`` into ``current`` after validating each against its definition."""
    defs = {d.key: d for d in definitions(session, object_type)}
    merged = dict(current or {})
    errors = []
    for key, value in (values or {}).items():
        defn = defs.get(key)
        if defn is None:
            errors.append(
                {
                    "field": f"custom_fields.{key}",
                    "message": f"no custom field '{key}' on {object_type}",
                }
            )
            continue
        try:
            coerced = _coerce_value(defn, value)
        except (ValueError, TypeError) as exc:
            errors.append({"field": f"custom_fields.{key}", "message": str(exc)})
            continue
        if coerced is None or coerced == [] or coerced == "":
            merged.pop(key, None)
        else:
            merged[key] = coerced
    for key, defn in defs.items():
        if defn.required and key not in merged:
            errors.append({"field": f"custom_fields.{key}", "message": f"{defn.label} is required"})
    if errors:
        raise ValidationFailed(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
    return merged


class _IsoDateText(TypeDecorator[Any]):
    """Custom dates are ISO strings inside JSON: compare them as text (ISO order is date
    order) and bind a date filter value as its ISO string. Without this PostgreSQL refuses
    ``varchar > date``."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value.isoformat() if isinstance(value, date) else value


def filter_specs(session: Session, object_type: str, json_column: Any) -> dict[str, FieldSpec]:
    specs = {}
    for defn in definitions(session, object_type):
        kind = KIND_FOR_TYPE[defn.field_type]

        def expr(k: str, key: str = defn.key) -> Any:
            element = json_column[key]
            if k == "decimal":
                return element.as_float()
            if k == "bool":
                return element.as_boolean()
            if k == "date":
                return type_coerce(element.as_string(), _IsoDateText())
            return element.as_string()

        specs[f"custom.{defn.key}"] = FieldSpec(
            f"custom.{defn.key}",
            expr,
            "decimal" if kind == "decimal" else kind,
            sortable=kind != "list",
            choices=tuple(defn.options) if kind == "enum" else (),
        )
    return specs
