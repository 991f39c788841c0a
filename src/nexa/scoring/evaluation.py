"""Check the lead model on your own history before trusting it: `nexa ai evaluate leads`.

A CSV of historical leads with a conversion column goes through the product exactly as a
customer's history would — a scratch organization (its own SQLite database in a temporary
folder), the product's import (unknown columns become custom fields, outcomes and dates as a
historical import), the product's training — and the held-out AUC, Brier score and reliability
table come back, beside a plain gradient-boosting baseline on the file's own columns and the
same split. The split is by time: by a named date column, else by row order; ``--shuffle``
makes it random (``--stratify``: the same share of converted leads on both sides).

The mapping is lenient, for this scratch import only: a column whose header names a standard
lead field is read into it, but a value that does not fit the field (a country name where the
field holds ISO codes, a subject longer than a job title) does not cost the row — the field is
left empty for that row and the value kept, as written, in a custom field beside it; the plan
says how many values and why. Real imports keep refusing such rows.
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
RESERVED = ("status", "lost_reason", "converted_at", "status_changed_at", "created_at")
NOT_MAPPED = ("custom_fields", *RESERVED)  # standard fields a file's column is never read into
AS_WRITTEN = "{} (as written)"  # the custom field keeping a column's values as written
HELD_OUT = 0.2
HELD_OUT_TEXT = "20 %"

Progress = Callable[[str, int, int], None]
Fits = Callable[[str, str], str | None]  # (field, text) -> why it does not fit, or None


@dataclass
class ColumnPlan:
    """What the scratch import does with one column of the file."""

    column: str
    how: str  # auto, --map, --no-map, new field, target, date, excluded, outcome field
    target: str | None = None  # the standard lead field read from it
    custom: str | None = None  # the custom field (its label) holding its values
    unfit: int = 0  # values that did not fit ``target`` (kept in ``custom``)
    reason: str | None = None  # the most frequent reason they did not fit
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.how == "target":
            return "the outcome (converted or not)"
        if self.how == "date":
            return "the creation date (the time split)"
        if self.how == "excluded":
            return "left out (--exclude)"
        if self.how == "outcome field":
            return "left out (an outcome field: it would give the answer away)"
        if self.target is None:
            why = {"--no-map": " (--no-map)", "--map": " (--map)"}.get(self.how, "")
            return f"custom field '{self.custom}'{why}"
        text = f"{self.target} ({self.how})"
        if self.unfit:
            text += f"; {self.unfit} values that do not fit it in custom field '{self.custom}'"
        return text

    def warning(self) -> str:
        """Why values of this column did not go into its field, and where they went."""
        shown = ", ".join(repr(e) for e in self.examples)
        return (
            f"{self.column}: {self.unfit} values do not fit {self.target} ({self.reason}; "
            f"e.g. {shown}): {self.target} is left empty on those rows and the values are kept "
            f"as written in custom field '{self.custom}' (--no-map '{self.column}' keeps the "
            "whole column there instead)"
        )


@dataclass
class Prepared:
    """The file as the scratch import reads it, and what was done to get there."""

    rows: int
    positives: int
    delimiter: str
    columns: list[str]  # the file's columns the import reads (target, date, excluded out)
    undated: int
    split: str
    plan: list[ColumnPlan]
    labels: list[int]  # per prepared row, in the prepared (time) order
    values: list[list[str]]  # the ``columns``' values as written, per prepared row

    @property
    def warnings(self) -> list[ColumnPlan]:
        return [c for c in self.plan if c.unfit]


@dataclass
class Evaluation:
    rows: int
    imported: int
    failed: int  # rows read and not used: refused as invalid, or skipped as duplicates
    positives: int
    custom_fields: int
    auc: float | None
    brier: float | None
    n_train: int
    n_test: int
    reliability: list[dict[str, Any]] = field(default_factory=list)
    card: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    prepared: Prepared | None = None
    reasons: list[tuple[str, int]] = field(default_factory=list)  # why rows were not used
    stopped: str | None = None  # why no model was trained (too many rows refused)
    baseline_auc: float | None = None
    baseline_brier: float | None = None
    baseline_columns: int = 0  # the file's columns the baseline could use
    converted_used: float | None = None  # % converted among the rows used
    converted_refused: float | None = None  # % converted among the rows not used
    # --rolling K: the pooled figures over K slices, each scored by a model retrained before
    # it (scoring.service.rolling_evaluation), with the plain rolling baseline's ("baseline")
    rolling: dict[str, Any] | None = None

    @property
    def refused_share(self) -> float:
        return self.failed / self.rows if self.rows else 0.0


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


def read_file(source: Path) -> tuple[list[str], list[list[str]], str]:
    """(header, non-empty rows, delimiter) of a CSV file in UTF-8 (a BOM allowed)."""
    text = source.read_bytes().decode("utf-8-sig", errors="replace")
    delimiter = sniff_delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValidationFailed("the file is empty", field="file") from None
    rows = [r for r in reader if any(cell.strip() for cell in r)]
    return header, rows, delimiter


def _column(header: list[str], name: str, option: str) -> int:
    lower = {h.lower(): i for i, h in enumerate(header)}
    if name.lower() not in lower:
        raise ValidationFailed(
            f"the file has no column '{name}' (it has: {', '.join(header[:30])})", field=option
        )
    return lower[name.lower()]


def _unique(name: str, taken: set[str]) -> str:
    unique, n = name, 2
    while unique.lower() in taken:
        unique, n = f"{name} {n}", n + 1
    taken.add(unique.lower())
    return unique


def plan_columns(
    header: list[str],
    kept: list[int],
    *,
    standard: Sequence[str],
    unwritable: Sequence[str] = (),
    maps: dict[str, str] | None = None,
    no_map: Sequence[str] = (),
) -> list[ColumnPlan]:
    """One plan per kept column: read into a standard field (its header names one, or
    ``--map``), or kept as a custom field (no field named, ``--no-map``, ``--map COL=custom``,
    or a column of the lead the import never writes, such as ``score``)."""
    from nexa.imports.rows import normalise_header

    fields = {normalise_header(f): f for f in standard if f not in NOT_MAPPED}
    maps = {k.lower(): v for k, v in (maps or {}).items()}
    no_map_lower = {c.lower() for c in no_map}
    names = {header[i].lower() for i in kept}
    unknown = [c for c in [*maps, *no_map_lower] if c not in names]
    if unknown:
        raise ValidationFailed(
            f"--map/--no-map name columns the evaluation does not read: {', '.join(unknown)} "
            f"(it reads: {', '.join(header[i] for i in kept[:30])})",
            field="map",
        )
    wanted: dict[int, tuple[str | None, str]] = {}
    for i in kept:
        name = header[i]
        if name.lower() in maps:
            value = maps[name.lower()].strip()
            if value.lower() == "custom":
                wanted[i] = (None, "--map")
                continue
            target = fields.get(normalise_header(value))
            if target is None:
                raise ValidationFailed(
                    f"--map {name}={value}: not a lead field the evaluation reads "
                    f"(use one of {', '.join(sorted(fields.values()))}, or 'custom')",
                    field="map",
                )
            wanted[i] = (target, "--map")
        elif name.lower() in no_map_lower:
            wanted[i] = (None, "--no-map")
        else:
            wanted[i] = (fields.get(normalise_header(name)), "auto")
    chosen = {t: i for i, (t, how) in wanted.items() if t is not None and how == "--map"}
    if len(chosen) < sum(1 for t, how in wanted.values() if t is not None and how == "--map"):
        raise ValidationFailed("--map reads two columns into the same field", field="map")
    plans: list[ColumnPlan] = []
    for i in kept:
        target, how = wanted[i]
        if target is not None and how == "auto":
            if chosen.get(target, i) != i:
                target = None  # an explicit --map took the field
            else:
                chosen[target] = i
        if target is None and how == "auto":
            how = "new field"
        plans.append(ColumnPlan(column=header[i], how=how, target=target))
    reserved = {normalise_header(f) for f in [*standard, *unwritable]}
    taken = {p.column.lower() for p in plans} | {"status", "created_at", "last_name"}
    for plan in plans:
        if plan.target is None:
            clash = normalise_header(plan.column) in reserved
            plan.custom = _unique(AS_WRITTEN.format(plan.column), taken) if clash else plan.column
    return plans


def prepare_file(
    source: Path,
    target: Path,
    *,
    target_column: str,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    date_column: str | None = None,
    shuffle_seed: int | None = None,
    stratify: bool = False,
    standard: Sequence[str] = (),
    unwritable: Sequence[str] = (),
    maps: dict[str, str] | None = None,
    no_map: Sequence[str] = (),
    fits: Fits | None = None,
) -> Prepared:
    """Rewrite ``source`` as a historical lead import: outcome → status (converted / lost),
    dates → created_at (the named column, else one minute apart in row order; rows written
    oldest first, no two at the same moment, so the import's time order is this file's), a
    last name when no column gives one; the target, date and excluded columns are dropped.
    Columns read into a standard field are headed with its name; every value is checked with
    ``fits`` and one that does not fit moves to the column's custom field (``AS_WRITTEN``)."""
    header, rows, delimiter = read_file(source)
    target_index = _column(header, target_column, "target")
    missing = [c for c in exclude if c.lower() not in {h.lower() for h in header}]
    if missing:
        raise ValidationFailed(f"no such columns to exclude: {', '.join(missing)}", field="exclude")
    date_index = _column(header, date_column, "date_column") if date_column is not None else None
    if stratify and shuffle_seed is None:
        raise ValidationFailed("--stratify goes with --shuffle SEED", field="stratify")
    if shuffle_seed is not None and date_index is not None:
        raise ValidationFailed(
            "--shuffle makes a random split and --date-column a time split: choose one",
            field="shuffle",
        )
    excluded = {_column(header, c, "exclude") for c in exclude}
    outcome = {i for i, h in enumerate(header) if h.lower() in RESERVED}
    dropped = {target_index, *excluded, *outcome}
    if date_index is not None:
        dropped.add(date_index)
    kept = [i for i in range(len(header)) if i not in dropped and header[i]]
    plans = plan_columns(
        header, kept, standard=standard, unwritable=unwritable, maps=maps, no_map=no_map
    )
    width = len(header)
    cells_of = [r[:width] + [""] * (width - len(r)) for r in rows]
    labels = [int(is_positive(c[target_index], positive)) for c in cells_of]
    positives = sum(labels)
    if positives == 0 or positives == len(rows):
        raise ValidationFailed(
            f"'{target_column}' has {positives} positive rows of {len(rows)}: say which value "
            "means converted with --positive",
            field="positive",
        )
    order = list(range(len(rows)))
    undated = 0
    moments: list[datetime] = []
    if date_index is not None:
        for n in order:
            when = parse_date(cells_of[n][date_index])
            if when is None:
                undated += 1
                when = SYNTHETIC_START + timedelta(minutes=n)
            moments.append(when)
        order.sort(key=lambda n: moments[n])
        split = f"by time: column '{date_column}', the newest {HELD_OUT_TEXT} held out"
        if undated:
            split += f" ({undated} rows without a readable date count as the oldest)"
    elif shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        rng.shuffle(order)
        if stratify:
            order = _stratified(order, labels, rng)
        split = (
            f"random (--shuffle {shuffle_seed}{', stratified by outcome' if stratify else ''}): "
            f"{HELD_OUT_TEXT} held out"
        )
    else:
        split = f"by row order (the file's order taken as time): the last {HELD_OUT_TEXT} held out"
    times: list[datetime] = []
    for position, n in enumerate(order):
        when = moments[n] if moments else SYNTHETIC_START + timedelta(minutes=position)
        if times and when <= times[-1]:
            when = times[-1] + timedelta(microseconds=1)  # same moment: keep the file's order
        times.append(when)
    position_of = {p.column: kept[k] for k, p in enumerate(plans)}
    if fits is not None:
        for plan in plans:
            if plan.target is None:
                continue
            reasons: dict[str, int] = {}
            index = position_of[plan.column]
            for cells in cells_of:
                text = cells[index].strip()
                if not text:
                    continue
                why = fits(plan.target, text)
                if why is not None:
                    plan.unfit += 1
                    reasons[why] = reasons.get(why, 0) + 1
                    if len(plan.examples) < 3 and text[:40] not in plan.examples:
                        plan.examples.append(text[:40])
            if plan.unfit:
                plan.reason = max(reasons, key=lambda r: reasons[r])
                taken = {p.column.lower() for p in plans} | {
                    (p.custom or "").lower() for p in plans
                }
                plan.custom = _unique(AS_WRITTEN.format(plan.column), taken)
    has_name = any(p.target == "last_name" for p in plans)
    out_header: list[str] = []
    for plan in plans:
        if plan.target is not None:
            out_header.append(plan.target)
            if plan.unfit:
                out_header.append(plan.custom or "")
        else:
            out_header.append(plan.custom or plan.column)
    out_header += ["status", "created_at"]
    if not has_name:
        out_header.append("last_name")
    values: list[list[str]] = []
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(out_header)
        for position, n in enumerate(order):
            cells = cells_of[n]
            out: list[str] = []
            for plan in plans:
                text = cells[position_of[plan.column]]
                if plan.target is None:
                    out.append(text)
                elif plan.unfit:
                    stripped = text.strip()
                    unfit = (
                        bool(stripped)
                        and fits is not None
                        and fits(plan.target, stripped) is not None
                    )
                    out += ["", text] if unfit else [text, ""]
                else:
                    out.append(text)
            out += ["converted" if labels[n] else "lost", times[position].isoformat()]
            if not has_name:
                out.append(f"Row {n + 1}")
            writer.writerow(out)
            values.append([cells[i] for i in kept])
    plan_all = [*plans]
    for i, name in enumerate(header):
        if i == target_index:
            plan_all.append(ColumnPlan(name, "target"))
        elif i == date_index:
            plan_all.append(ColumnPlan(name, "date"))
        elif i in excluded:
            plan_all.append(ColumnPlan(name, "excluded"))
        elif i in outcome:
            plan_all.append(ColumnPlan(name, "outcome field"))
    return Prepared(
        rows=len(rows),
        positives=positives,
        delimiter=delimiter,
        columns=[header[i] for i in kept],
        undated=undated,
        split=split,
        plan=plan_all,
        labels=[labels[n] for n in order],
        values=values,
    )


def _stratified(order: list[int], labels: list[int], rng: random.Random) -> list[int]:
    """``order`` rearranged so the held-out tail has the file's share of converted rows."""
    held = len(order) - int(len(order) * (1 - HELD_OUT))
    positives = [n for n in order if labels[n]]
    negatives = [n for n in order if not labels[n]]
    held_pos = min(len(positives), round(len(positives) * held / len(order)))
    held_neg = min(len(negatives), held - held_pos)
    tail = positives[len(positives) - held_pos :] + negatives[len(negatives) - held_neg :]
    head = positives[: len(positives) - held_pos] + negatives[: len(negatives) - held_neg]
    rng.shuffle(head)
    rng.shuffle(tail)
    return head + tail
