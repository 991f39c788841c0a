"""Leads' facts now, column by column: what batch scoring reads.

One list or numpy array per fact instead of a dict per lead, so that scoring 100,000 leads
costs a few array operations (and one dict lookup per text value) rather than Python work per
lead and fact. ``LeadFacts.row`` gives one lead's facts as a dict, as the scorecard's
explanation reads them. Pure: the scoring repository loads the columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from nexa.intelligence.lead_features import ENGAGEMENT_FEATURES, ENGAGEMENT_LABELS

MICROSECONDS_PER_SECOND = 1e6
SECONDS_PER_DAY = 86400
EPOCH64 = np.datetime64("1970-01-01T00:00:00", "us")


def as_datetime64(moment: datetime) -> np.datetime64:
    """An aware time as a numpy UTC time in microseconds."""
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def days_between(start: np.ndarray, end: np.datetime64) -> np.ndarray:
    """Days from each ``start`` to ``end`` (datetime64[us]), never negative — the same floats
    as ``max(0.0, (end - start).total_seconds() / 86400)`` with datetimes."""
    seconds = (end - start).astype(np.int64) / MICROSECONDS_PER_SECOND
    return np.maximum(0.0, seconds / SECONDS_PER_DAY)


def engagement_features(
    counts: Mapping[str, np.ndarray],
    last_engaged: np.ndarray,
    created: np.ndarray,
    now: datetime,
) -> dict[str, np.ndarray]:
    """The engagement features of many leads: each counter (missing: 0), days since the last
    engagement (since creation when there was none: ``last_engaged`` NaT) and age in days."""
    n = len(created)
    features = {
        name: np.asarray(counts[name], dtype=np.float64) if name in counts else np.zeros(n)
        for name in ENGAGEMENT_LABELS
    }
    end = as_datetime64(now)
    last = np.where(np.isnat(last_engaged), created, last_engaged)
    features["days_since_activity"] = days_between(last, end)
    features["age_days"] = days_between(created, end)
    features["created_days"] = (
        (created - EPOCH64).astype(np.int64) / MICROSECONDS_PER_SECOND / SECONDS_PER_DAY
    )
    return features


@dataclass
class LeadFacts:
    """The facts of ``len(self)`` leads now.

    ``fields``: the standard fields (``STANDARD_FIELDS``), a list per field, None when empty;
    ``custom``: the custom fields asked for, as ``"custom.<key>"`` lists (None when absent);
    ``described``: whether the lead wrote what they need (a description that is not empty);
    ``engagement``: the ``ENGAGEMENT_FEATURES`` as float arrays;
    ``texts``: free text a learned model reads (``description``), when it reads any."""

    fields: dict[str, list[Any]]
    custom: dict[str, list[Any]]
    described: np.ndarray
    engagement: dict[str, np.ndarray]
    texts: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.described)

    def columns(self) -> dict[str, Sequence[Any] | np.ndarray]:
        """Every fact by its feature name (``source``, ``custom.budget``, ``calls`` …)."""
        return {**self.fields, **self.custom, **self.engagement, **self.texts}

    def column(self, name: str) -> Sequence[Any] | np.ndarray:
        """One fact for every lead (a custom field not loaded: None for every lead)."""
        found = self.columns().get(name)
        return found if found is not None else [None] * len(self)

    def row(self, i: int) -> dict[str, Any]:
        """Lead ``i``'s facts as one dict (``description`` is True when there is one)."""
        row: dict[str, Any] = {name: values[i] for name, values in self.fields.items()}
        row.update((name, values[i]) for name, values in self.custom.items())
        row.update((name, float(self.engagement[name][i])) for name in ENGAGEMENT_FEATURES)
        row["description"] = bool(self.described[i]) or None
        return row
