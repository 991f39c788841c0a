"""Lead features: what the score may look at, reconstructed as of a moment in time.

A lead's row today holds values typed after the moment we want to predict from (the reason it
was lost, a field filled in when it converted). Training therefore rebuilds each lead *as of*
its snapshot times: a field changed after the snapshot takes the value it had before the change
(from the audit trail), and engagement counts only timeline entries that happened before the
snapshot. Fields that exist only because of the outcome (status, lost reason, conversion links,
scores, routing) are never features.

Everything here is pure: rows in, arrays out. The scoring service loads the rows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

# standard lead fields the score may use (categorical), and how a person reads them
STANDARD_FIELDS: dict[str, str] = {
    "source": "Source",
    "industry": "Industry",
    "company_size": "Company size",
    "country": "Country",
    "seniority": "Seniority",
    "department": "Department",
    "email_kind": "Email",
    "phone_line_type": "Phone line",
    "form_type": "Form",
}
# timeline events that count as engagement, by the counter they feed
ENGAGEMENT_EVENTS: dict[str, str] = {
    "call.created": "calls",
    "meeting.created": "meetings",
    "note.created": "notes",
    "email.sent": "emails_sent",
    "email.opened": "email_opens",
    "email.replied": "replies",
    "lead.form_submitted": "form_submissions",
    "task.completed": "tasks_done",
}
ENGAGEMENT_LABELS: dict[str, str] = {
    "calls": "calls logged",
    "meetings": "meetings",
    "notes": "notes",
    "emails_sent": "emails sent",
    "email_opens": "email opens",
    "replies": "replies",
    "form_submissions": "form submissions",
    "tasks_done": "tasks done",
}
# "created_days": when the lead was created (days since 1970), so a model can tell the
# newest regime from older ones when conversion drifts; a new lead falls in the newest
ENGAGEMENT_FEATURES = (*ENGAGEMENT_LABELS, "days_since_activity", "age_days", "created_days")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# never features: the outcome itself, what the outcome caused, and the score's own output
NEVER_FEATURES = frozenset(
    {
        "status",
        "status_changed_at",
        "lost_reason",
        "converted_at",
        "converted_contact_id",
        "converted_account_id",
        "converted_deal_id",
        "score",
        "owner_id",
        "routing_rule",
        "routing_segment",
        "sla_priority",
        "first_response_at",
        "last_contacted_at",
    }
)
MAX_LEVELS = 40  # categorical levels kept per feature (the rest become "other")
MIN_LEVEL_COUNT = 5
OTHER = "(other)"


@dataclass
class Feature:
    name: str  # "source", "custom.balance", "calls", "days_since_activity"
    label: str
    kind: str  # "cat" | "num"
    levels: list[str] = field(default_factory=list)  # cat: code i -> levels[i]


@dataclass
class FeatureSpace:
    """The features of one trained model, with the vocabulary of each categorical one."""

    features: list[Feature]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def categorical_indexes(self) -> list[int]:
        return [i for i, f in enumerate(self.features) if f.kind == "cat"]

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {"name": f.name, "label": f.label, "kind": f.kind, "levels": f.levels}
            for f in self.features
        ]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> FeatureSpace:
        return cls([Feature(d["name"], d["label"], d["kind"], list(d["levels"])) for d in data])

    def encode(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Rows → a float matrix: categorical values as level codes, missing as NaN."""
        columns = {f.name: [row.get(f.name) for row in rows] for f in self.features}
        return self.encode_columns(columns, len(rows))

    def encode_columns(
        self, columns: Mapping[str, Sequence[Any] | np.ndarray], n: int
    ) -> np.ndarray:
        """``encode`` for ``n`` rows held column by column (batch scoring): a feature missing
        from ``columns`` is not given for any row; float arrays are taken as they are."""
        matrix = np.full((n, len(self.features)), np.nan, dtype=np.float64)
        for j, feature in enumerate(self.features):
            values = columns.get(feature.name)
            if values is None:
                continue
            if feature.kind == "cat":
                matrix[:, j] = level_codes(values, feature.levels)
            elif isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
                matrix[:, j] = values
            elif all(v is None or v.__class__ in (int, float) for v in values):
                matrix[:, j] = np.array(values, dtype=np.float64)  # None → NaN, as below
            else:
                matrix[:, j] = np.array([as_number(v) for v in values], dtype=np.float64)
        return matrix

    def describe(self, index: int, value: float) -> str:
        """A factor in words: "Source: referral", "balance 1,200", "3 calls logged"."""
        feature = self.features[index]
        if feature.kind == "cat":
            if math.isnan(value):
                return f"{feature.label}: not given"
            return f"{feature.label}: {feature.levels[int(value)]}"
        if math.isnan(value):
            return f"{feature.label}: not given"
        if feature.name == "days_since_activity":
            return f"No activity in {int(value)} days" if value >= 3 else "Active in the last days"
        if feature.name == "age_days":
            return f"Lead is {int(value)} days old"
        if feature.name == "created_days":
            return f"Created {(EPOCH + timedelta(days=value)):%Y-%m-%d}"
        if feature.name in ENGAGEMENT_LABELS:
            return f"{int(value)} {feature.label}"
        return f"{feature.label} {format_number(value)}"


def level_codes(values: Iterable[Any], levels: Sequence[str]) -> list[float]:
    """Each value's level code: its text among ``levels``, else the "(other)" level when there
    is one; NaN when not given (None or "") or when nothing matches."""
    codes = {level: float(i) for i, level in enumerate(levels)}
    other = codes.get(OTHER, math.nan)
    given = {**codes, "": math.nan}  # text values (the usual case) are looked up as they are

    def code(value: Any) -> float:
        if value is None or value == "":
            return math.nan
        return codes.get(str(value), other)

    return [given.get(v, other) if v.__class__ is str else code(v) for v in values]


def as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def format_number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def build_space(
    rows: Sequence[Mapping[str, Any]], custom_fields: Mapping[str, tuple[str, str]]
) -> FeatureSpace:
    """The features to train on: standard fields, every custom field (``key -> (label,
    type)``; numbers are numeric, everything else categorical) and the engagement counters.
    Fields with a single value (or none) in the training rows are left out: they carry no
    signal, and a field only filled in after the outcome looks exactly like that."""
    features: list[Feature] = []
    candidates: list[tuple[str, str, str]] = [(n, lbl, "cat") for n, lbl in STANDARD_FIELDS.items()]
    for key, (label, field_type) in sorted(custom_fields.items()):
        kind = "num" if field_type in ("number", "currency", "percent") else "cat"
        candidates.append((f"custom.{key}", label, kind))
    candidates += [
        (n, ENGAGEMENT_LABELS.get(n, n.replace("_", " ")), "num") for n in ENGAGEMENT_FEATURES
    ]
    for name, label, kind in candidates:
        if kind == "cat":
            counts = Counter(
                str(v) for v in (row.get(name) for row in rows) if v is not None and v != ""
            )
            kept = [lvl for lvl, c in counts.most_common(MAX_LEVELS) if c >= MIN_LEVEL_COUNT]
            if len(kept) < len(counts):
                kept.append(OTHER)
            if len(counts) < 2 or not kept:
                continue
            features.append(Feature(name, label, "cat", kept))
        else:
            values = {as_number(row.get(name)) for row in rows} - {None}
            if len(values) < 2:
                continue
            features.append(Feature(name, label, "num"))
    return FeatureSpace(features)


# ---- as-of reconstruction --------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str  # "industry", "custom.budget"
    old_value: Any
    at: datetime


@dataclass(frozen=True)
class TimelineEntry:
    event: str
    at: datetime


def value_as_of(current: Any, changes: Iterable[FieldChange], field_name: str, t: datetime) -> Any:
    """The field's value at ``t``: the old value of its first change after ``t``, else now."""
    later = [c for c in changes if c.field == field_name and c.at > t]
    if not later:
        return current
    return min(later, key=lambda c: c.at).old_value


def engagement_as_of(
    entries: Iterable[TimelineEntry], created_at: datetime, t: datetime
) -> dict[str, float]:
    counts: dict[str, float] = dict.fromkeys(ENGAGEMENT_LABELS, 0.0)
    last = created_at
    for entry in entries:
        if entry.at > t:
            continue
        counter = ENGAGEMENT_EVENTS.get(entry.event)
        if counter is None:
            continue
        counts[counter] += 1
        last = max(last, entry.at)
    counts["days_since_activity"] = max(0.0, (t - last).total_seconds() / 86400)
    counts["age_days"] = max(0.0, (t - created_at).total_seconds() / 86400)
    epoch = EPOCH if created_at.tzinfo is not None else EPOCH.replace(tzinfo=None)
    counts["created_days"] = (created_at - epoch).total_seconds() / 86400
    return counts


def snapshot(
    lead: Mapping[str, Any],
    changes: Sequence[FieldChange],
    entries: Sequence[TimelineEntry],
    t: datetime,
) -> dict[str, Any]:
    """The lead's features as they were at ``t`` (standard, custom and engagement)."""
    row: dict[str, Any] = {}
    for name in STANDARD_FIELDS:
        row[name] = value_as_of(lead.get(name), changes, name, t)
    for key, value in (lead.get("custom_fields") or {}).items():
        name = f"custom.{key}"
        row[name] = value_as_of(value, changes, name, t)
    for change in changes:  # custom fields emptied after t still had a value at t
        if change.field.startswith("custom.") and change.field not in row:
            row[change.field] = value_as_of(None, changes, change.field, t)
    row.update(engagement_as_of(entries, lead["created_at"], t))
    return row
