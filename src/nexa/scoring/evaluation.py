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
import tempfile
import time
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


def evaluate_leads(
    source: Path,
    *,
    target: str,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    date_column: str | None = None,
    shuffle_seed: int | None = None,
    progress: Progress | None = None,
    workdir: Path | None = None,
) -> Evaluation:
    """Import ``source`` into a scratch organization and train on it; nothing touches the
    configured database."""
    from nexa.auth.service import actor_for
    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, session_scope
    from nexa.core.events import discard_after_commit
    from nexa.imports import service as imports
    from nexa.migrations import upgrade
    from nexa.scoring import service as scoring
    from nexa.subscribers import install
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_user

    install()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="nexa-evaluate-", dir=workdir) as folder:
        scratch = Path(folder)
        prepared = scratch / "history.csv"
        started = time.perf_counter()
        facts = prepare_file(
            source,
            prepared,
            target_column=target,
            positive=positive,
            exclude=exclude,
            date_column=date_column,
            shuffle_seed=shuffle_seed,
        )
        url = f"sqlite:///{(scratch / 'scratch.db').as_posix()}"
        upgrade(url)
        engine = make_engine(url)
        try:
            with session_scope(engine=engine) as session:
                user = create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        email="evaluation@example.com",
                        full_name="Evaluation",
                        role="admin",
                        password=None,
                    ),
                )
                actor = actor_for(session, user)
                data_import, _ = imports.start_import_from_path(
                    session,
                    actor,
                    prepared,
                    object_type="lead",
                    new_fields=True,
                    historical=True,
                    batch_size=1000,
                )
                session.commit()
                discard_after_commit(session)

                def commit() -> None:
                    session.commit()
                    discard_after_commit(session)

                def report(done: int, total: int) -> None:
                    if progress is not None:
                        progress("import", done, total)

                done = imports.run_import(
                    session, actor, data_import.id, commit=commit, progress=report
                )
                imported = done.created_count or 0
                failed = done.failed_count or 0
                commit()
                timings["import"] = time.perf_counter() - started
                custom = len(scoring.custom_field_types(session))
                started = time.perf_counter()
                if progress is not None:
                    progress("train", 0, 1)
                model = scoring.train_lead_model(session, actor, activate=False)
                timings["train"] = time.perf_counter() - started
                card = dict(model.card)
                discard_after_commit(session)
                session.rollback()
        finally:
            engine.dispose()
    return Evaluation(
        rows=facts["rows"],
        imported=imported,
        failed=failed,
        positives=facts["positives"],
        custom_fields=custom,
        auc=card["metrics"]["auc"],
        brier=card["metrics"]["brier"],
        n_train=card["data"]["training_snapshots"],
        n_test=card["data"]["held_out_leads"],
        reliability=card["metrics"]["reliability"],
        card=card,
        seconds=timings,
    )
