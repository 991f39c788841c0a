"""Encoding lead facts for the model: column by column (batch scoring) gives exactly what row
by row gives, for every kind of value a field or a custom field may hold."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from nexa.intelligence.lead_features import OTHER, Feature, FeatureSpace, as_number

SPACE = FeatureSpace(
    [
        Feature("source", "Source", "cat", ["referral", "website", OTHER]),
        Feature("industry", "Industry", "cat", ["Software", "Retail"]),  # no "(other)" level
        Feature("custom.plan", "Plan", "cat", ["basic", "1", "True", "2.5", OTHER]),
        Feature("custom.budget", "Budget", "num"),
        Feature("custom.amount", "Amount", "num"),  # numbers only (the quick path)
        Feature("calls", "calls logged", "num"),
        Feature("days_since_activity", "days", "num"),
    ]
)
ODD_VALUES: list[Any] = [
    None, "", "referral", "website", "Referral", "fax", OTHER, 1, 1.0, True, False, 0, 2.5,
    "1", "2.5", "1,200", "abc", float("nan"), [1, 2], {"a": 1}, -3, "True",
]  # fmt: skip


def encode_one_by_one(space: FeatureSpace, rows: list[dict[str, Any]]) -> np.ndarray:
    """The reference: each row, each feature, as training has always encoded them."""
    matrix = np.full((len(rows), len(space.features)), np.nan)
    for j, feature in enumerate(space.features):
        codes = {level: i for i, level in enumerate(feature.levels)}
        for i, row in enumerate(rows):
            value = row.get(feature.name)
            if feature.kind == "cat":
                if value is None or value == "":
                    continue
                code = codes.get(str(value), codes.get(OTHER))
                if code is not None:
                    matrix[i, j] = code
            else:
                number = as_number(value)
                if number is not None:
                    matrix[i, j] = number
    return matrix


def test_columns_rows_and_the_reference_agree_on_odd_values() -> None:
    rng = random.Random(3)
    rows: list[dict[str, Any]] = []
    for _ in range(400):
        row = {name: rng.choice(ODD_VALUES) for name in SPACE.names if rng.random() < 0.9}
        row["custom.amount"] = rng.choice([None, 1, 2.5, float("nan"), 10**20, -0.0, 7])
        row["calls"] = float(rng.randint(0, 4))
        row["days_since_activity"] = rng.uniform(0, 90)
        rows.append(row)
    expected = encode_one_by_one(SPACE, rows)
    by_rows = SPACE.encode(rows)
    columns: dict[str, Any] = {
        name: [row.get(name) for row in rows] for name in SPACE.names if name != "calls"
    }
    columns["days_since_activity"] = np.array([r["days_since_activity"] for r in rows])
    by_columns = SPACE.encode_columns(columns, len(rows))
    for got in (by_rows, by_columns[:, :]):
        assert got.shape == expected.shape
        assert np.array_equal(got[:, :5], expected[:, :5], equal_nan=True)
    assert np.array_equal(by_rows, expected, equal_nan=True)
    assert np.isnan(by_columns[:, 5]).all()  # a column not given: not given for any row
    assert np.array_equal(by_columns[:, 6], expected[:, 6])
    assert not math.isnan(expected[0, 6])
