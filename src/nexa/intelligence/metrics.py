"""How good a probability is: AUC, Brier score, reliability bins, and Platt calibration.

Shared by every model (lead score, deal win); NumPy only."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def auc(y: Any, p: Any) -> float | None:
    """Area under the ROC curve by ranks (ties share their mean rank); None with one class."""
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=np.float64)
    sorted_p = p[order]
    i = 0
    while i < len(p):
        j = i
        while j + 1 < len(p) and sorted_p[j + 1] == sorted_p[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def brier(y: Any, p: Any) -> float | None:
    if len(y) == 0:
        return None
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2))


def reliability(y: Any, p: Any, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-count bins by predicted probability: ``{bin, n, predicted, observed}`` with the
    mean predicted probability and the observed rate of each bin (fractions)."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="mergesort")
    table = []
    for k, chunk in enumerate(np.array_split(order, min(bins, len(order)) or 1)):
        if chunk.size:
            table.append(
                {
                    "bin": k + 1,
                    "n": int(chunk.size),
                    "predicted": float(p[chunk].mean()),
                    "observed": float(y[chunk].mean()),
                }
            )
    return table


def ece(y: Any, p: Any, bins: int = 10) -> float | None:
    """Expected calibration error: the gap between mean predicted probability and observed
    rate in each of ``bins`` equal-count bins (the reliability table's), weighted by the
    bin's share of rows. None without rows."""
    if len(y) == 0:
        return None
    table = reliability(y, p, bins)
    total = sum(row["n"] for row in table)
    return float(sum(row["n"] * abs(row["predicted"] - row["observed"]) for row in table) / total)


def platt_fit(logits: Any, y: Any) -> tuple[float, float]:
    """Fit p = sigmoid(a·logit + b) by Newton's method, with Platt's target smoothing;
    the identity (1, 0) when there is one class or the fit degenerates."""
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if len(y) == 0 or y.min() == y.max():
        return 1.0, 0.0
    positives = float(y.sum())
    negatives = float(len(y) - positives)
    target = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(100):
        p = sigmoid(a * logits + b)
        w = np.maximum(p * (1 - p), 1e-12)
        g_a = float(np.sum((p - target) * logits))
        g_b = float(np.sum(p - target))
        h_aa = float(np.sum(w * logits * logits)) + 1e-9
        h_ab = float(np.sum(w * logits))
        h_bb = float(np.sum(w)) + 1e-9
        det = h_aa * h_bb - h_ab * h_ab
        if abs(det) < 1e-18:
            break
        step_a = (h_bb * g_a - h_ab * g_b) / det
        step_b = (h_aa * g_b - h_ab * g_a) / det
        a, b = a - step_a, b - step_b
        if abs(step_a) < 1e-9 and abs(step_b) < 1e-9:
            break
    if not math.isfinite(a) or not math.isfinite(b) or a <= 0:
        return 1.0, 0.0
    return a, b
