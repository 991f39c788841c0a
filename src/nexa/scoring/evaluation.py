"""Check the lead model on your own history before trusting it: `nexa ai evaluate leads`.

A CSV of historical leads with a conversion column goes through the product exactly as a
customer's history would — a scratch organization (its own SQLite database in a temporary
folder), the product's import (unknown columns become custom fields, outcomes and dates as a
historical import), the product's training — and the held-out AUC, Brier score and reliability
table come back. The split is by time: by a named date column, else by row order.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nexa.core.errors import ValidationFailed

POSITIVE_DEFAULTS = {"1", "yes", "y", "true", "t", "converted", "won"}
SYNTHETIC_START = datetime(2000, 1, 1, tzinfo=UTC)
NAME_COLUMNS = ("last_name", "name", "full_name")
RESERVED = ("status", "lost_reason", "converted_at", "status_changed_at", "created_at")

Progress = Callable[[str, int, int], None]


@dataclass
class Evaluation:
    rows: int
    imported: int
    failed: int
    positives: int
    custom_fields: int
    auc: float | None
    brier: float | None
    n_train: int
    n_test: int
    reliability: list[dict[str, Any]] = field(default_factory=list)
    card: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def is_positive(value: str, positive: str | None) -> bool:
    text = value.strip().lower()
    if positive is not None:
        return text == positive.strip().lower()
    return text in POSITIVE_DEFAULTS


def parse_date(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%m/%d/%Y"):
        try:
            return datetime.strptime(text[:19], fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def prepare_file(
    source: Path,
    target: Path,
    *,
    target_column: str,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    date_column: str | None = None,
    shuffle_seed: int | None = None,
) -> dict[str, Any]:
    """Rewrite ``source`` as a historical lead import: outcome → status (converted / lost),
    dates → created_at (the named column, else one minute apart in row order), a last name
    when the file has none; the target and excluded columns are dropped."""
    raw = source.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace")
    delimiter = sniff_delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValidationFailed("the file is empty", field="file") from None
    lower = {h.lower(): i for i, h in enumerate(header)}
    if target_column.lower() not in lower:
        raise ValidationFailed(
            f"the file has no column '{target_column}' (it has: {', '.join(header[:30])})",
            field="target",
        )
    missing = [c for c in exclude if c.lower() not in lower]
    if missing:
        raise ValidationFailed(f"no such columns to exclude: {', '.join(missing)}", field="exclude")
    target_index = lower[target_column.lower()]
    date_index = None
    if date_column is not None:
        if date_column.lower() not in lower:
            raise ValidationFailed(f"the file has no column '{date_column}'", field="date_column")
        date_index = lower[date_column.lower()]
    dropped = {target_index, *(lower[c.lower()] for c in exclude)}
    dropped |= {i for i, h in enumerate(header) if h.lower() in RESERVED}
    if date_index is not None:
        dropped.add(date_index)
    kept = [i for i in range(len(header)) if i not in dropped]
    has_name = any(header[i].lower() in NAME_COLUMNS for i in kept)
    rows = [r for r in reader if any(cell.strip() for cell in r)]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(rows)
    out_header = [header[i] for i in kept] + ["status", "created_at"]
    if not has_name:
        out_header.append("last_name")
    positives = 0
    undated = 0
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(out_header)
        for n, row in enumerate(rows):
            cells = row + [""] * (len(header) - len(row))
            converted = is_positive(cells[target_index], positive)
            positives += converted
            when = parse_date(cells[date_index]) if date_index is not None else None
            if when is None:
                undated += date_index is not None
                when = SYNTHETIC_START + timedelta(minutes=n)
            out = [cells[i] for i in kept]
            out += ["converted" if converted else "lost", when.isoformat()]
            if not has_name:
                out.append(f"Row {n + 1}")
            writer.writerow(out)
    if positives == 0 or positives == len(rows):
        raise ValidationFailed(
            f"'{target_column}' has {positives} positive rows of {len(rows)}: say which value "
            "means converted with --positive",
            field="positive",
        )
    return {
        "rows": len(rows),
        "positives": positives,
        "delimiter": delimiter,
        "columns": [header[i] for i in kept],
        "undated": undated,
    }
