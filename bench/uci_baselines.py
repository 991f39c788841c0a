"""How far any model gets on the UCI Bank Marketing data split by time — outside the product.

Run: ``.venv/bin/python bench/uci_baselines.py`` (a few minutes; skipped with a message when
``../shared/data/uci-bank-marketing`` is absent). Plain LightGBM on the raw columns
(``duration`` dropped), the same 80/20 split by row order the product's evaluation uses, in
the variants that could help: without month/day, training only on recent rows, the best of a
small grid (tuned on the hold-out itself, so optimistic), the richer bank-additional file with
its macro-economic columns, and a rolling origin that retrains before each slice of the
hold-out (what weekly retraining does in use). Prints a Markdown table.
"""

from __future__ import annotations

import csv
import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT.parent / "shared" / "data" / "uci-bank-marketing"
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "verbose": -1,
    "num_threads": 1,
    "seed": 1,
}


def load(name: str, drop: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, list[int], list[str]]:
    with (DATA / name).open() as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    y = np.array([r["y"] == "yes" for r in rows], dtype=int)
    columns = [c for c in rows[0] if c not in ("y", "duration", *drop)]
    matrix, categorical = [], []
    for j, column in enumerate(columns):
        try:
            matrix.append([float(r[column]) for r in rows])
        except ValueError:
            codes = {v: i for i, v in enumerate(sorted({r[column] for r in rows}))}
            matrix.append([codes[r[column]] for r in rows])
            categorical.append(j)
    return np.array(matrix, dtype=float).T, y, categorical, columns


def fit_predict(
    X: np.ndarray, y: np.ndarray, cat: list[int], start: int, cut: int, end: int, **params: Any
) -> np.ndarray:
    import lightgbm as lgb

    rounds = params.pop("rounds", 300)
    booster = lgb.train(
        {**PARAMS, **params},
        lgb.Dataset(X[start:cut], y[start:cut], categorical_feature=cat),
        rounds,
    )
    return np.asarray(booster.predict(X[cut:end]))


def main() -> None:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the UCI Bank Marketing files)")
        return
    from nexa.intelligence import metrics

    def score(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
        gaps = [abs(r["predicted"] - r["observed"]) for r in metrics.reliability(y, p, 10)]
        return float(metrics.auc(y, p) or 0), max(gaps) * 100

    results: list[tuple[str, float, float]] = []
    X, y, cat, _ = load("bank-full.csv", ())
    n = len(y)
    cut = int(n * 0.8)
    rates = [y[k * n // 10 : (k + 1) * n // 10].mean() * 100 for k in range(10)]
    print("conversion by tenth of the file (%):", " ".join(f"{r:.1f}" for r in rates))
    results.append(("all columns", *score(y[cut:], fit_predict(X, y, cat, 0, cut, n))))
    Xn, _, catn, _ = load("bank-full.csv", ("month", "day"))
    results.append(("without month/day", *score(y[cut:], fit_predict(Xn, y, catn, 0, cut, n))))
    recent = int(cut * 0.85)
    results.append(
        (
            "without month/day, trained on the newest 15 % of the training rows only",
            *score(y[cut:], fit_predict(Xn, y, catn, recent, cut, n)),
        )
    )
    best = (0.0, 0.0, "")
    for lr, leaves, min_leaf, rounds in itertools.product(
        (0.02, 0.1), (4, 15, 63), (20, 200), (100, 400)
    ):
        p = fit_predict(
            Xn,
            y,
            catn,
            0,
            cut,
            n,
            learning_rate=lr,
            num_leaves=leaves,
            min_data_in_leaf=min_leaf,
            rounds=rounds,
        )
        auc, gap = score(y[cut:], p)
        if auc > best[0]:
            best = (auc, gap, f"lr {lr}, {leaves} leaves, min leaf {min_leaf}, {rounds} trees")
    results.append((f"best of 24 settings tuned on the hold-out ({best[2]})", best[0], best[1]))
    row_order = np.arange(n - cut, dtype=float)
    auc_rows = float(metrics.auc(y[cut:], row_order) or 0)
    results.append(("the row number alone (later converts more; not a probability)", auc_rows, -1))
    timed = np.column_stack([X, np.arange(n, dtype=float)])  # + creation order
    slices = 20
    preds = np.zeros(n - cut)
    edges = np.linspace(cut, n, slices + 1).astype(int)
    for a, b in itertools.pairwise(edges):
        preds[a - cut : b - cut] = fit_predict(timed, y, cat, 0, a, b)
    results.append(
        (
            f"rolling origin: retrained before each of {slices} slices of the hold-out, "
            "creation order as a feature",
            *score(y[cut:], preds),
        )
    )
    Xa, ya, cata, _ = load("bank-additional-full.csv", ())
    na = len(ya)
    cuta = int(na * 0.8)
    results.append(
        (
            "bank-additional-full.csv (with the macro-economic columns), same split",
            *score(ya[cuta:], fit_predict(Xa, ya, cata, 0, cuta, na)),
        )
    )
    print()
    print("| plain LightGBM, 80/20 split by row order | held-out AUC | worst decile gap |")
    print("|---|---|---|")
    for label, auc, gap in results:
        print(f"| {label} | {auc:.3f} | {'—' if gap < 0 else f'{gap:.1f} pts'} |")


if __name__ == "__main__":
    main()
