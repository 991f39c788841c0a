"""The learned lead score: gradient boosting on the organization's closed leads, calibrated
so that a score of 70 means about 70 % of such leads converted, and explained per lead.

Training is split by time, never at random: the newest 20 % of leads (by creation) are held
out and only scored, the rest trains; inside the training part the newest 20 % pick the number
of trees (early stopping) and fit the calibration (Platt scaling on the log-odds). The model card
reports AUC, Brier score and a reliability table on the held-out leads, which are the leads most
like tomorrow's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nexa.intelligence import metrics
from nexa.intelligence.lead_features import FeatureSpace

if TYPE_CHECKING:  # imported when a model is loaded or trained: it costs seconds at start-up
    import lightgbm as lgb

ALGORITHM = "lightgbm-platt"
MIN_CLOSED_LEADS = 200  # converted + lost before a learned model replaces the scorecard
MIN_PER_CLASS = 20
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 20,
    "min_data_per_group": 50,
    "max_cat_to_onehot": 8,
    "num_threads": 1,  # ~10x faster than 2 on a busy 2-core machine
    "verbose": -1,
    "seed": 2026,
    "deterministic": True,
}
MAX_ROUNDS = 600
EARLY_STOP = 40


class NotEnoughData(ValueError):
    """Too little history to train; the message says how far the organization is."""


# Isotonic calibration needs enough rows to hold its steps (issue 16: a reliability table
# off by more than 5 points in 2-4 of 10 deciles under Platt scaling alone); below this,
# Platt's two parameters are all the calibration part can support.
ISOTONIC_MIN_ROWS = 1000
ISOTONIC_MIN_POSITIVES = 100


@dataclass
class LeadModel:
    """A trained booster, its feature space and its calibration: isotonic (``iso_x`` →
    ``iso_y``, interpolated) when the calibration part was large enough, else Platt's
    ``sigmoid(a·logit + b)``. Platt's slope also scales explanations into score points."""

    space: FeatureSpace
    booster: lgb.Booster
    platt_a: float
    platt_b: float
    iso_x: list[float] | None = None
    iso_y: list[float] | None = None

    def logits(self, matrix: np.ndarray) -> np.ndarray:
        raw = self.booster.predict(matrix, raw_score=True, num_threads=1)
        return np.asarray(raw, dtype=np.float64)

    @property
    def calibration_method(self) -> str:
        return "isotonic" if self.iso_x else "platt"

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        if self.iso_x and self.iso_y:
            # never a certainty: the steps at the ends rest on finitely many leads
            return np.clip(np.interp(logits, self.iso_x, self.iso_y), 0.001, 0.999)
        return 1.0 / (1.0 + np.exp(-(self.platt_a * logits + self.platt_b)))

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.calibrate(self.logits(matrix))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Per-row log-odds contributions of each feature (last column: the bias)."""
        return np.asarray(
            self.booster.predict(matrix, pred_contrib=True, num_threads=1), dtype=np.float64
        )

    def explain(
        self, matrix: np.ndarray, probabilities: np.ndarray, top: int = 3
    ) -> list[list[dict[str, Any]]]:
        """Top positive and negative factors per row, in score points.

        A feature's points are its log-odds contribution times the slope of the calibrated
        score at this lead (100·a·p·(1−p)): how many points the score moves because of it."""
        contrib = self.contributions(matrix)[:, :-1]
        p = np.asarray(probabilities, dtype=np.float64)
        slope = 100.0 * self.platt_a * p * (1.0 - p)
        points = contrib * slope[:, None]
        order = np.argsort(points, axis=1)  # each row on its own, ascending
        best = np.take_along_axis(points, order, axis=1)
        positive = best[:, -top:][:, ::-1] >= 0.5  # the largest first
        negative = best[:, :top] <= -0.5  # the most negative first
        out: list[list[dict[str, Any]]] = []
        for i in range(matrix.shape[0]):
            picked = [*order[i, -top:][::-1][positive[i]], *order[i, :top][negative[i]]]
            out.append(
                [self._factor(int(j), float(matrix[i, j]), float(points[i, j])) for j in picked]
            )
        return out

    def _factor(self, j: int, value: float, points: float) -> dict[str, Any]:
        return {
            "feature": self.space.features[j].name,
            "label": self.space.describe(j, value),
            "points": round(points),
        }

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "space": self.space.to_json(),
                "booster": self.booster.model_to_string(),
                "platt": [self.platt_a, self.platt_b],
                "isotonic": [self.iso_x, self.iso_y] if self.iso_x else None,
            }
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LeadModel:
        import lightgbm as lgb

        payload = json.loads(data)
        booster = lgb.Booster(model_str=payload["booster"])
        a, b = payload["platt"]
        iso_x, iso_y = payload.get("isotonic") or (None, None)
        space = FeatureSpace.from_json(payload["space"])
        return cls(space, booster, float(a), float(b), iso_x, iso_y)


def isotonic_fit(
    logits: np.ndarray, y: np.ndarray
) -> tuple[list[float] | None, list[float] | None, dict[str, Any]]:
    """The isotonic map from raw score to probability (its knots) when the calibration part
    has ISOTONIC_MIN_ROWS rows and ISOTONIC_MIN_POSITIVES converted *and* isotonic beats
    Platt there out of fold (two folds, each method fitted on one and scored on the other by
    Brier score): isotonic's steps can overfit a few thousand rows, and the simpler Platt
    is kept when they do. ``(None, None, figures)`` means Platt; ``figures`` says why."""
    positives = int(y.sum())
    figures: dict[str, Any] = {"rows": len(y), "positives": positives}
    if len(y) < ISOTONIC_MIN_ROWS or positives < ISOTONIC_MIN_POSITIVES or positives == len(y):
        return None, None, figures
    from sklearn.isotonic import IsotonicRegression

    def isotonic(train_x: np.ndarray, train_y: np.ndarray) -> Any:
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        return iso.fit(train_x, train_y.astype(np.float64))

    fold = np.arange(len(y)) % 2 == 0
    oof = {"platt": np.zeros(len(y)), "isotonic": np.zeros(len(y))}
    for fit_part in (fold, ~fold):
        score_part = ~fit_part
        a, b = metrics.platt_fit(logits[fit_part], y[fit_part])
        oof["platt"][score_part] = metrics.sigmoid(a * logits[score_part] + b)
        oof["isotonic"][score_part] = isotonic(logits[fit_part], y[fit_part]).predict(
            logits[score_part]
        )
    briers = {name: float(np.mean((p - y) ** 2)) for name, p in oof.items()}
    figures["out_of_fold_brier"] = {name: round(v, 5) for name, v in briers.items()}
    if briers["isotonic"] > briers["platt"]:
        return None, None, figures
    iso = isotonic(logits, y)
    return [float(v) for v in iso.X_thresholds_], [float(v) for v in iso.y_thresholds_], figures


def reliability_percent(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """The reliability table as the model card shows it: percent, with the gap."""
    return [
        {
            "bin": row["bin"],
            "leads": row["n"],
            "predicted": round(row["predicted"] * 100, 1),
            "observed": round(row["observed"] * 100, 1),
            "gap": round((row["predicted"] - row["observed"]) * 100, 1),
        }
        for row in metrics.reliability(y, p, bins)
    ]


@dataclass
class TrainingResult:
    model: LeadModel
    card: dict[str, Any] = field(default_factory=dict)
    auc: float | None = None
    brier: float | None = None
    n_train: int = 0
    n_test: int = 0


def check_enough(labels: Sequence[int], minimum: int = MIN_CLOSED_LEADS) -> None:
    closed = len(labels)
    converted = int(sum(labels))
    lost = closed - converted
    if closed < minimum:
        raise NotEnoughData(
            f"{closed} closed leads ({converted} converted, {lost} lost); a learned model needs "
            f"{minimum} — {minimum - closed} to go. The scorecard keeps scoring until then."
        )
    if converted < MIN_PER_CLASS or lost < MIN_PER_CLASS:
        raise NotEnoughData(
            f"{converted} converted and {lost} lost leads; training needs at least "
            f"{MIN_PER_CLASS} of each"
        )


def train(
    space: FeatureSpace,
    train_rows: Sequence[dict[str, Any]],
    train_labels: Sequence[int],
    train_groups: Sequence[int],
    test_rows: Sequence[dict[str, Any]],
    test_labels: Sequence[int],
) -> TrainingResult:
    """Train on ``train_rows`` (time-ordered: earliest first; ``train_groups`` numbers each
    row's lead in creation order so one lead's snapshots stay on one side of the inner split),
    evaluate on ``test_rows`` (the newest leads, one row each)."""
    import lightgbm as lgb

    X = space.encode(train_rows)
    y = np.asarray(train_labels, dtype=np.int64)
    groups = np.asarray(train_groups)
    cut_group = np.quantile(groups, 0.8)
    fit_mask = groups <= cut_group
    valid_mask = ~fit_mask
    if (
        y[fit_mask].sum() == 0
        or y[valid_mask].sum() == 0
        or y[valid_mask].sum() == valid_mask.sum()
    ):
        # too few positives late in time for an inner split: validate on a stratified tail
        fit_mask = np.ones(len(y), dtype=bool)
        valid_mask = np.zeros(len(y), dtype=bool)
        valid_mask[-max(1, len(y) // 5) :] = True
    categorical = space.categorical_indexes()
    params = dict(PARAMS)
    params["min_data_in_leaf"] = int(max(10, min(PARAMS["min_data_in_leaf"], len(y) // 50)))
    params["min_data_per_group"] = int(max(5, min(PARAMS["min_data_per_group"], len(y) // 50)))
    fit_set = lgb.Dataset(
        X[fit_mask], y[fit_mask], categorical_feature=categorical, free_raw_data=False
    )
    valid_set = lgb.Dataset(
        X[valid_mask], y[valid_mask], categorical_feature=categorical, reference=fit_set
    )
    booster = lgb.train(
        params,
        fit_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)],
    )
    best = booster.best_iteration or booster.current_iteration()
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    valid_logits = np.asarray(booster.predict(X[valid_mask], raw_score=True))
    a, b = metrics.platt_fit(valid_logits, y[valid_mask])
    iso_x, iso_y, calibration_figures = isotonic_fit(valid_logits, y[valid_mask])
    model = LeadModel(space, booster, a, b, iso_x, iso_y)

    X_test = space.encode(test_rows)
    y_test = np.asarray(test_labels, dtype=np.int64)
    p_test = model.probability(X_test) if len(y_test) else np.zeros(0)
    result_auc = metrics.auc(y_test, p_test)
    result_brier = metrics.brier(y_test, p_test)
    importance = booster.feature_importance(importance_type="gain")
    total_gain = float(importance.sum()) or 1.0
    top = sorted(
        (
            {
                "feature": f.name,
                "label": f.label,
                "share": round(float(g) / total_gain * 100, 1),
            }
            for f, g in zip(space.features, importance, strict=True)
        ),
        key=lambda d: -float(d["share"]),  # type: ignore[arg-type]
    )[:10]
    train_rate = float(y.mean()) * 100
    test_rate = float(y_test.mean()) * 100 if len(y_test) else float("nan")
    table = reliability_percent(y_test, p_test) if len(y_test) >= 10 else []
    worst_gap = max((abs(r["gap"]) for r in table), default=None)
    ece = metrics.ece(y_test, p_test) if len(y_test) >= 10 else None
    notes = []
    if len(y_test) and abs(test_rate - train_rate) > max(5.0, train_rate * 0.5):
        notes.append(
            f"The newest leads converted at {test_rate:.1f} % against {train_rate:.1f} % in the "
            "training period: the ranking still holds where the AUC says so, but the "
            "probabilities are off by the shift. Retrain as outcomes come in."
        )
    card = {
        "algorithm": ALGORITHM,
        "data": {
            "training_snapshots": len(y),
            "training_leads": len(set(groups.tolist())),
            "held_out_leads": len(y_test),
            "conversion_rate_training": round(train_rate, 2),
            "conversion_rate_held_out": round(test_rate, 2) if len(y_test) else None,
            "split": "by creation time: the newest 20 % of leads held out",
        },
        "features": [{"name": f.name, "label": f.label, "kind": f.kind} for f in space.features],
        "top_features": top,
        "metrics": {
            "auc": None if result_auc is None else round(result_auc, 4),
            "brier": None if result_brier is None else round(result_brier, 4),
            "reliability": table,
            "max_calibration_gap": worst_gap,
            "ece": None if ece is None else round(ece * 100, 2),
        },
        "trees": int(best),
        "calibration": {
            "method": model.calibration_method,
            **calibration_figures,
            "rule": (
                f"isotonic with at least {ISOTONIC_MIN_ROWS} rows and "
                f"{ISOTONIC_MIN_POSITIVES} converted in the calibration part and a lower "
                "out-of-fold Brier score there than Platt's, else Platt"
            ),
            "a": round(a, 4),
            "b": round(b, 4),
        },
        "params": {k: v for k, v in params.items() if k not in ("verbose",)},
        "notes": notes,
    }
    return TrainingResult(
        model=model,
        card=card,
        auc=result_auc,
        brier=result_brier,
        n_train=len(y),
        n_test=len(y_test),
    )
