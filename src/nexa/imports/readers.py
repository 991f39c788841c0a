"""Reading import files: CSV (utf-8 / utf-8-sig; delimiter sniffed among , ; tab) and XLSX
(the first sheet; the first row is the header). Rows come out as lists of text cells, so
both formats go through the same parsing; row numbers are 1-based data rows (the header
row is not counted)."""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from nexa.core.errors import ValidationFailed

FORMATS = ("csv", "xlsx")
DELIMITERS = ",;\t"
MAX_COLUMNS = 500
MAX_CELL = 100_000
# Export neutralises formula-like text with a leading quote; import takes it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_of(filename: str) -> str:
    ext = Path(filename).suffix.lower().lstrip(".")
    if ext in ("csv", "txt", "tsv"):
        return "csv"
    if ext == "xlsx":
        return "xlsx"
    raise ValidationFailed("the file must be a .csv or .xlsx file", field="file")


def _open_text(path: Path) -> io.TextIOWrapper:
    return open(path, encoding="utf-8-sig", newline="")


def _sniff(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _csv_rows(path: Path) -> Iterator[list[str]]:
    try:
        with _open_text(path) as fh:
            sample = fh.read(64 * 1024)
            fh.seek(0)
            delimiter = _sniff(sample)
            csv.field_size_limit(MAX_CELL)
            yield from csv.reader(fh, delimiter=delimiter)
    except UnicodeDecodeError:
        raise ValidationFailed("the CSV file is not UTF-8 text", field="file") from None
    except csv.Error as exc:
        raise ValidationFailed(f"the CSV file cannot be read: {exc}", field="file") from None


def cell_text(value: Any) -> str:
    """An XLSX cell as the text an import parses (what a CSV would hold)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal | int):
        return str(value)
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise ValidationFailed("the XLSX file cannot be read", field="file") from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [cell_text(v) for v in row]
    finally:
        book.close()


def _clean(cells: list[str]) -> list[str]:
    out = []
    for cell in cells:
        text = cell.replace("\x00", "")
        if len(text) > 1 and text[0] == "'" and text[1:].lstrip(" ").startswith(FORMULA_STARTS):
            text = text[1:]
        out.append(text)
    return out


def iter_rows(path: Path, fmt: str) -> Generator[list[str], None, None]:
    """Every row of the file, the header first (blank rows included, as empty lists)."""
    rows = _csv_rows(path) if fmt == "csv" else _xlsx_rows(path)
    for row in rows:
        if len(row) > MAX_COLUMNS:
            raise ValidationFailed(f"the file has more than {MAX_COLUMNS} columns", field="file")
        yield _clean(row) if any(c.strip() for c in row) else []


def read_header(path: Path, fmt: str) -> list[str]:
    rows = iter_rows(path, fmt)
    try:
        header = next((r for r in rows if r), None)
    finally:
        rows.close()
    if header is None:
        raise ValidationFailed("the file is empty (no header row)", field="file")
    header = [h.strip() for h in header]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise ValidationFailed("the header row is empty", field="file")
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise ValidationFailed(f"the header names column '{name}' twice", field="file")
        seen.add(name)
    return header


def data_rows(path: Path, fmt: str, *, start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for the non-blank data rows numbered above ``start``. Row 1 is the
    first row under the header; blank rows keep their number but are not yielded."""
    rows = iter_rows(path, fmt)
    for row in rows:
        if row:
            break
    for number, row in enumerate(rows, start=1):
        if number > start and row:
            yield number, row


def count_rows(path: Path, fmt: str) -> int:
    """The number of the last non-blank data row."""
    last = 0
    for number, _ in data_rows(path, fmt):
        last = number
    return last
