"""Export of any filtered list to CSV or XLSX.

Columns are every field of the object's output schema (nested ones as ``field.sub``, lists
joined with ``;``) plus ``custom.<key>`` for each custom field — the same names the import's
default mapping reads, so an export re-imports as it is. Text cells that a spreadsheet would
run as a formula (starting with = + - @, a tab or CR, also after leading spaces) are
neutralised: prefixed with ``'`` in CSV, written as string cells in XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.imports.adapters import adapter_for
from nexa.imports.rows import LIST_SEPARATOR
from nexa.imports.service import require_permission
from nexa.metadata import service as metadata

FORMATS = ("csv", "xlsx")
PAGE = 200
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``'`` before text a spreadsheet would read as a formula."""
    if text.lstrip(" ").startswith(DANGEROUS) or text.startswith(DANGEROUS):
        return "'" + text
    return text


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return value


def _flatten(item: dict[str, Any], columns: list[str]) -> list[Any]:
    custom = item.get("custom_fields") or {}
    out = []
    for column in columns:
        if column.startswith("custom."):
            out.append(_cell(custom.get(column.removeprefix("custom."))))
            continue
        name, _, sub = column.partition(".")
        value = item.get(name)
        if sub:
            value = value.get(sub) if isinstance(value, dict) else None
        out.append(_cell(value))
    return out


def export_columns(session: Session, object_type: str) -> list[str]:
    adapter = adapter_for(object_type)
    # flags are worked out from the data (nexa.core.text.script_flags), not data of their own
    columns = [c for c in adapter.export_fields() if c not in ("custom_fields", "flags")]
    columns += [f"custom.{d.key}" for d in metadata.definitions(session, object_type)]
    return columns


def export_rows(
    session: Session, actor: Actor, object_type: str, query: ListQuery
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and every row of the list ``query`` selects that ``actor`` can read,
    fetched page by page (keyset). Errors in the query are raised before the first row."""
    require_permission(actor, object_type, "export")
    adapter = adapter_for(object_type)
    columns = export_columns(session, object_type)
    if query.fields:
        unknown = [f for f in query.fields if f not in columns]
        if unknown:
            raise ValidationFailed(
                "not exportable fields: " + ", ".join(u[:60] for u in unknown[:20]),
                field="fields",
            )
        columns = [c for c in columns if c in query.fields]
    first_query = replace(query, limit=PAGE, cursor=None, fields=None)
    records, cursor = adapter.list_page(session, actor, first_query)

    def rows() -> Iterator[list[Any]]:
        nonlocal records, cursor
        while True:
            for item in adapter.rows(session, records):
                yield _flatten(item, columns)
            if not cursor or not records:
                return
            records, cursor = adapter.list_page(session, actor, replace(first_query, cursor=cursor))

    return columns, rows()


def write_csv(columns: list[str], rows: Iterator[list[Any]], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
        count += 1
    return count


def write_xlsx(columns: list[str], rows: Iterator[list[Any]], target: Path | IO[bytes]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")
    sheet.append(columns)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                # control characters XML cannot hold are dropped (openpyxl refuses them)
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"  # never a formula, whatever the text starts with
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    book.save(target)
    return count


def export_to(
    session: Session,
    actor: Actor,
    object_type: str,
    query: ListQuery,
    fmt: str,
    target: IO[bytes],
) -> int:
    """Write the export to a binary stream; the number of rows."""
    if fmt not in FORMATS:
        raise ValidationFailed("format must be csv or xlsx", field="format")
    columns, rows = export_rows(session, actor, object_type, query)
    if fmt == "xlsx":
        return write_xlsx(columns, rows, target)
    text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
    try:
        return write_csv(columns, rows, text)
    finally:
        text.detach()
