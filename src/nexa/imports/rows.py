"""Column mapping and turning one row of text cells into an object's Create schema."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from nexa.core.errors import ValidationFailed
from nexa.core.text import text_key
from nexa.imports.adapters import EXPLICIT_ONLY, Adapter
from nexa.metadata import service as metadata

LIST_SEPARATOR = ";"
TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}


def normalise_header(name: str) -> str:
    # the text key (nexa.core.text): a header typed fullwidth or with a stray invisible
    # character names the same field
    return re.sub(r"[\s\-]+", "_", text_key(name) or "")


@dataclass
class Column:
    index: int
    header: str
    target: str  # "email", "billing_address.city", "custom.<key>"


def resolve_mapping(
    session: Session, adapter: Adapter, header: list[str], mapping: dict[str, str] | None
) -> list[Column]:
    """The columns to read. Without a mapping, headers that name a field (case and
    space-insensitively) are read and the rest ignored; a mapping names the target of each
    header it lists ("" = ignore) and unknown targets are a 422 naming them."""
    standard = adapter.standard_fields()
    custom = [f"custom.{d.key}" for d in metadata.definitions(session, adapter.object_type)]
    targets = {normalise_header(t): t for t in standard + custom}
    positions = {h: i for i, h in enumerate(header)}
    columns: list[Column] = []
    if mapping:
        missing = [h for h in mapping if h not in positions]
        if missing:
            raise ValidationFailed(
                "the mapping names columns the file does not have: " + ", ".join(missing[:20]),
                field="mapping",
            )
        unknown = [t for t in mapping.values() if t and normalise_header(t) not in targets]
        if unknown:
            raise ValidationFailed(
                f"not fields of {adapter.object_type}: " + ", ".join(unknown[:20]),
                field="mapping",
            )
    for i, name in enumerate(header):
        if not name:
            continue
        if mapping and name in mapping:
            target = mapping[name]
            if not target:
                continue
            columns.append(Column(i, name, targets[normalise_header(target)]))
            continue
        target_name = targets.get(normalise_header(name))
        if target_name is not None and target_name not in EXPLICIT_ONLY:
            columns.append(Column(i, name, target_name))
    seen: dict[str, str] = {}
    for column in columns:
        if column.target in seen:
            raise ValidationFailed(
                f"columns '{seen[column.target]}' and '{column.header}' both map to "
                f"{column.target}",
                field="mapping",
            )
        seen[column.target] = column.header
    return columns


def _custom_value(definition: metadata.FieldDefinition, text: str) -> Any:
    kind = definition.field_type
    if kind == "boolean":
        low = text.lower()
        return True if low in TRUE else False if low in FALSE else text
    if kind == "multiselect":
        return [v.strip() for v in text.split(LIST_SEPARATOR) if v.strip()]
    return text


@dataclass
class RowError:
    field: str | None
    message: str


def _errors_of(exc: ValidationError) -> list[RowError]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or None
        out.append(RowError(loc, err["msg"].removeprefix("Value error, ")))
    return out


def parse_row(
    session: Session,
    adapter: Adapter,
    columns: list[Column],
    cells: list[str],
    *,
    model: type[BaseModel] | None = None,
) -> tuple[BaseModel | None, list[RowError]]:
    """The row as the object's Create (or ``model``) schema, or the reasons it is invalid.
    Empty cells are left out (the schema's defaults apply)."""
    shapes = adapter.shapes()
    defs = {d.key: d for d in metadata.definitions(session, adapter.object_type)}
    raw: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for column in columns:
        text = cells[column.index].strip() if column.index < len(cells) else ""
        if not text:
            continue
        target = column.target
        if target.startswith("custom."):
            key = target.removeprefix("custom.")
            custom[key] = _custom_value(defs[key], text)
            continue
        name, _, sub = target.partition(".")
        shape = shapes.get(name)
        if sub:
            raw.setdefault(name, {})[sub] = text
        elif shape is not None and shape.kind == "list":
            raw[name] = [v.strip() for v in text.split(LIST_SEPARATOR) if v.strip()]
        else:
            raw[name] = text
    errors: list[RowError] = []
    if custom or any(d.required for d in defs.values()):
        try:
            metadata.validate_values(session, adapter.object_type, custom)
        except ValidationFailed as exc:
            errors.extend(
                RowError(str(e.get("field", "")).replace("custom_fields.", "custom."), e["message"])
                for e in exc.errors
            )
    if custom:
        raw["custom_fields"] = custom
    try:
        data = (model or adapter.create_model).model_validate(raw)
    except ValidationError as exc:
        return None, _errors_of(exc) + errors
    return (None if errors else data), errors
