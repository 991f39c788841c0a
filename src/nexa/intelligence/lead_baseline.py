"""The plain baseline the lead score is compared with in ``nexa ai evaluate leads``: gradient
boosting on a file's own columns as written — numbers as numbers, other text as categories —
with no feature engineering, no snapshots and no calibration, fitted on the same split.

When the product's model does not beat it, the extra machinery earns nothing on that data.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nexa.intelligence import metrics

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "num_threads": 1,  # ~10x faster than 2 on a busy 2-core machine
    "verbose": -1,
    "seed": 1,
    "deterministic": True,
}
ROUNDS = 200
MAX_CATEGORIES = 1000  # a text column with more distinct values (ids, names) is left out


@dataclass
class Baseline:
    auc: float | None
    brier: float | None
    n_train: int
    n_test: int
    columns: int  # the columns it used


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def encode(values: Sequence[Sequence[str]], cut: int) -> tuple[np.ndarray, list[int]]:
    """(matrix, categorical column indexes). A column is a number when every non-empty value
    is one; else a category coded from the training rows (``values[:cut]``; unseen: missing),
    left out when it has more than ``MAX_CATEGORIES`` or half the training rows' distinct
    values (free text and identifiers carry no pattern a plain model can use)."""
    n = len(values)
    width = len(values[0]) if n else 0
    columns: list[np.ndarray] = []
    categorical: list[int] = []
    for j in range(width):
        texts = [row[j].strip() for row in values]
        numbers = [_number(t) if t else math.nan for t in texts]
        if all(v is not None for v in numbers):
            columns.append(np.array(numbers, dtype=np.float64))
            continue
        codes: dict[str, int] = {}
        for text in texts[:cut]:
            if text and text not in codes:
                codes[text] = len(codes)
        if len(codes) > min(MAX_CATEGORIES, max(10, cut // 2)):
            continue
        categorical.append(len(columns))
        columns.append(
            np.array([codes.get(t, math.nan) if t else math.nan for t in texts], dtype=np.float64)
        )
    if not columns:
        return np.zeros((n, 0)), []
    return np.column_stack(columns), categorical


def fit(values: Sequence[Sequence[str]], labels: Sequence[int], cut: int) -> Baseline:
    """Train on rows ``[:cut]``, evaluate on ``[cut:]``: held-out AUC and Brier score."""
    import lightgbm as lgb

    matrix, categorical = encode(values, cut)
    y = np.asarray(labels, dtype=np.int64)
    n_test = len(y) - cut
    if matrix.shape[1] == 0 or cut == 0 or n_test == 0 or len(set(y[:cut].tolist())) < 2:
        return Baseline(None, None, cut, n_test, matrix.shape[1])
    params = dict(PARAMS)
    params["min_data_in_leaf"] = int(max(10, min(PARAMS["min_data_in_leaf"], cut // 50)))
    booster = lgb.train(
        params,
        lgb.Dataset(matrix[:cut], y[:cut], categorical_feature=categorical),
        ROUNDS,
    )
    p = np.asarray(booster.predict(matrix[cut:], num_threads=1), dtype=np.float64)
    return Baseline(
        metrics.auc(y[cut:], p), metrics.brier(y[cut:], p), cut, n_test, matrix.shape[1]
    )


@dataclass
class RollingBaseline:
    auc: float | None
    brier: float | None
    worst_gap: float | None  # the pooled reliability table's largest |gap|, in points
    n_test: int
    columns: int


def fit_rolling(
    values: Sequence[Sequence[str]], labels: Sequence[int], edges: Sequence[int]
) -> RollingBaseline:
    """The rolling form of ``fit``: before each slice ``edges[k]..edges[k+1]`` a booster is
    trained on every earlier row and scores the slice; the figures are over the pooled slice
    predictions. The row's position (creation order) is one more column, as in
    ``bench/uci_baselines.py``'s rolling origin: with it the booster's newest leaves hold
    the newest regime, which is what a model retrained weekly can know."""
    import lightgbm as lgb

    y = np.asarray(labels, dtype=np.int64)
    start, end = int(edges[0]), int(edges[-1])
    p = np.zeros(end - start)
    columns = 0
    for first, last in itertools.pairwise(edges):
        a, b = int(first), int(last)
        matrix, categorical = encode([list(v) for v in values[:b]], a)
        matrix = np.column_stack([matrix, np.arange(b, dtype=np.float64)])
        columns = matrix.shape[1]
        if len(set(y[:a].tolist())) < 2:
            p[a - start : b - start] = float(y[:a].mean()) if a else 0.5
            continue
        params = dict(PARAMS)
        params["min_data_in_leaf"] = int(max(10, min(PARAMS["min_data_in_leaf"], a // 50)))
        booster = lgb.train(
            params, lgb.Dataset(matrix[:a], y[:a], categorical_feature=categorical), ROUNDS
        )
        p[a - start : b - start] = booster.predict(matrix[a:b], num_threads=1)
    held = y[start:end]
    table = metrics.reliability(held, p, 10) if len(held) >= 10 else []
    worst = max((abs(r["predicted"] - r["observed"]) * 100 for r in table), default=None)
    return RollingBaseline(
        metrics.auc(held, p),
        metrics.brier(held, p),
        None if worst is None else round(worst, 1),
        end - start,
        columns,
    )
