"""``new_fields``: the columns of an import file that name no field of the object become
custom fields, typed from the file's values.

The whole file is read once (the same pass counts its rows), keeping three flags per column,
so a 50k-row file costs one streaming read. Types: every non-empty value a number → "number";
every one true/false/yes/no → "boolean"; anything else (or no value at all) → "text".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.text import text_key
from nexa.imports import readers
from nexa.imports.adapters import Adapter
from nexa.imports.rows import normalise_header
from nexa.metadata import service as metadata
from nexa.metadata.schemas import CustomFieldCreate
from nexa.models import CustomField

BOOLEAN_WORDS = {"true", "false", "yes", "no"}
MAX_KEY = 60
MAX_LABEL = 120
MAX_NUMBER = Decimal("1e15")  # what a number custom field accepts


@dataclass
class NewField:
    column: str  # the file's header
    key: str
    label: str
    field_type: str = "text"
    created: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "key": self.key,
            "label": self.label,
            "field_type": self.field_type,
            "created": self.created,
        }


def key_for(header: str) -> str:
    """A custom field key from a header: lower case, runs of other characters as ``_``."""
    key = re.sub(r"[^a-z0-9_]+", "_", normalise_header(header))
    key = re.sub(r"_+", "_", key).strip("_")
    if not key or not key[0].isalpha():
        key = f"f_{key}".rstrip("_")
    return key[:MAX_KEY].rstrip("_")


def plan(
    session: Session,
    actor: Actor,
    adapter: Adapter,
    header: list[str],
    mapping: dict[str, str],
    reserved: set[str] | frozenset[str] = frozenset(),
) -> tuple[dict[str, str], list[NewField]]:
    """(columns to add to the mapping, fields to create). Headers the mapping lists, headers
    that name a standard field, and ``reserved`` names (the object's own columns that an
    import does not write) are left alone. A header naming an existing custom field by key
    or label is mapped to it; every other header gets a new field (types come later)."""
    standard = {normalise_header(t) for t in adapter.standard_fields()}
    existing: dict[str, CustomField] = {}
    for definition in metadata.list_definitions(session, actor, adapter.object_type):
        existing.setdefault(definition.key, definition)
        existing.setdefault(f"label:{text_key(definition.label)}", definition)
    reserved_keys = {normalise_header(r) for r in reserved}
    extra: dict[str, str] = {}
    fields: list[NewField] = []
    taken: set[str] = set()
    for name in header:
        if not name or name in mapping:
            continue
        norm = normalise_header(name)
        if norm in standard or norm in reserved_keys:
            continue
        if norm.startswith("custom.") and norm.removeprefix("custom.") in existing:
            continue  # resolve_mapping already reads "custom.<key>" headers
        key = key_for(name)
        found = existing.get(key) or existing.get(f"label:{text_key(name)}")
        if found is not None:
            if not found.archived:
                extra[name] = f"custom.{found.key}"
            continue
        unique, n = key, 2
        while unique in taken or unique in existing:
            suffix = f"_{n}"
            unique, n = key[: MAX_KEY - len(suffix)] + suffix, n + 1
        taken.add(unique)
        fields.append(NewField(column=name, key=unique, label=name.strip()[:MAX_LABEL]))
    return extra, fields


def _is_number(text: str) -> bool:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return False
    return number.is_finite() and abs(number) <= MAX_NUMBER


def scan(path: Path, fmt: str, header: list[str], fields: list[NewField]) -> int:
    """Type ``fields`` from the file's values in one pass; the number of the last data row
    (what ``readers.count_rows`` answers)."""
    positions = {h: i for i, h in enumerate(header)}
    watched = [(positions[f.column], f) for f in fields]
    numbers = {id(f): True for f in fields}
    booleans = {id(f): True for f in fields}
    seen = {id(f): False for f in fields}
    last = 0
    for number, cells in readers.data_rows(path, fmt):
        last = number
        for index, field in watched:
            if index >= len(cells):
                continue
            text = cells[index].strip()
            if not text:
                continue
            fid = id(field)
            seen[fid] = True
            if numbers[fid] and not _is_number(text):
                numbers[fid] = False
            if booleans[fid] and text.lower() not in BOOLEAN_WORDS:
                booleans[fid] = False
    for field in fields:
        fid = id(field)
        if not seen[fid]:
            field.field_type = "text"
        elif numbers[fid]:
            field.field_type = "number"
        elif booleans[fid]:
            field.field_type = "boolean"
        else:
            field.field_type = "text"
    return last


def create(session: Session, actor: Actor, object_type: str, fields: list[NewField]) -> None:
    """Define ``fields`` through the metadata service (its permission check included)."""
    position = len(metadata.list_definitions(session, actor, object_type))
    for field in fields:
        metadata.create_definition(
            session,
            actor,
            CustomFieldCreate(
                object_type=object_type,
                key=field.key,
                label=field.label,
                field_type=field.field_type,
                position=min(position, 10_000),
            ),
        )
        field.created = True
        position += 1
