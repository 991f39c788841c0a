"""Deal win probability: a small LightGBM model trained on the organization's closed deals
(snapshots from the stage history, see deal_features), Platt-calibrated, explained per deal
with LightGBM's per-feature contributions in plain words; and the cold start (stage
probability adjusted by age in stage and activity recency) while there are too few closed
deals. Trained models are rows of ml_models (kind "deal_win")."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nexa.intelligence.deal_features import (
    FEATURES,
    NO_ACTIVITY_DAYS,
    FeatureRow,
    Norms,
    feature_label,
    stall_limit,
)
from nexa.intelligence.metrics import auc, brier, platt_fit, reliability, sigmoid
from nexa.models import MLModel

KIND = "deal_win"
ALGORITHM = "lightgbm-gbdt+platt"
MIN_CLOSED_DEALS = 40
MIN_PER_CLASS = 5
HOLDOUT_FRACTION = 0.2
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "max_depth": 3,
    "min_data_in_leaf": 5,
    "lambda_l2": 1.0,
    "feature_fraction": 0.9,
    "num_threads": 1,
    "verbose": -1,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
}
ROUNDS = 120


# ---- the trained model -----------------------------------------------------------------------
@dataclass
class WinModel:
    booster_text: str
    platt: tuple[float, float]  # p = sigmoid(a * margin + b)
    features: tuple[str, ...] = FEATURES
    version: int | None = None
    _booster: Any = field(default=None, repr=False)

    @property
    def booster(self) -> Any:
        if self._booster is None:
            import lightgbm as lgb

            self._booster = lgb.Booster(model_str=self.booster_text)  # threads: at predict
        return self._booster

    def margins(self, x: Any) -> Any:
        return self.booster.predict(np.asarray(x, dtype=float), raw_score=True, num_threads=1)

    def calibrate(self, margin: Any) -> Any:
        a, b = self.platt
        return sigmoid(a * np.asarray(margin, dtype=float) + b)

    def predict(self, x: Any) -> Any:
        return self.calibrate(self.margins(x))

    def contributions(self, x: Any) -> Any:
        """Per-feature contributions to the raw margin (last column: the bias)."""
        return self.booster.predict(np.asarray(x, dtype=float), pred_contrib=True, num_threads=1)

    def to_bytes(self) -> bytes:
        return json.dumps(
            {"booster": self.booster_text, "platt": list(self.platt), "features": self.features}
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes, version: int | None = None) -> WinModel:
        raw = json.loads(data.decode())
        return cls(
            booster_text=raw["booster"],
            platt=(float(raw["platt"][0]), float(raw["platt"][1])),
            features=tuple(raw["features"]),
            version=version,
        )


def _fit(x: Any, y: Any) -> Any:
    import lightgbm as lgb

    params = dict(PARAMS)
    params["min_data_in_leaf"] = max(5, len(y) // 25)
    data = lgb.Dataset(np.asarray(x, dtype=float), label=np.asarray(y), free_raw_data=True)
    return lgb.train(params, data, num_boost_round=ROUNDS)


@dataclass
class TrainingResult:
    trained: bool
    message: str
    closed_deals: int
    needed: int = MIN_CLOSED_DEALS
    model: WinModel | None = None
    card: dict[str, Any] = field(default_factory=dict)
    n_train: int = 0
    n_test: int = 0
    auc: float | None = None
    brier: float | None = None


def train(
    x: list[list[float]], y: list[int], times: list[datetime], *, closed_deals: int
) -> TrainingResult:
    """Train on snapshots ordered by time: the last 20 % are the hold-out (AUC, Brier); inside
    the first 80 %, its own last quarter fits the Platt calibration of a booster trained on
    the rest; the stored booster is then trained on the whole first 80 % and calibrated with
    those Platt parameters — so the evaluated model is the stored one."""
    if closed_deals < MIN_CLOSED_DEALS:
        return TrainingResult(
            False,
            f"not enough history: {closed_deals} closed deals, the model needs "
            f"{MIN_CLOSED_DEALS} ({MIN_CLOSED_DEALS - closed_deals} more); "
            "until then win probabilities come from stage probabilities adjusted by age "
            "and activity",
            closed_deals,
        )
    order = np.argsort(np.array([t.timestamp() for t in times]), kind="mergesort")
    xa = np.asarray(x, dtype=float)[order]
    ya = np.asarray(y, dtype=int)[order]
    n = len(ya)
    n_test = max(1, round(n * HOLDOUT_FRACTION))
    n_train = n - n_test
    train_y, test_y = ya[:n_train], ya[n_train:]
    for part, name in ((train_y, "training"), (test_y, "hold-out")):
        wins = int(part.sum())
        if wins < MIN_PER_CLASS or len(part) - wins < MIN_PER_CLASS:
            return TrainingResult(
                False,
                f"the {name} part has {wins} won and {len(part) - wins} lost snapshots; "
                f"each needs at least {MIN_PER_CLASS} (more closed deals of both kinds)",
                closed_deals,
            )
    n_fit = int(n_train * 0.75)
    inner = _fit(xa[:n_fit], ya[:n_fit])
    platt = platt_fit(inner.predict(xa[n_fit:n_train], raw_score=True), ya[n_fit:n_train])
    booster = _fit(xa[:n_train], train_y)
    model = WinModel(booster_text=booster.model_to_string(), platt=platt, _booster=booster)
    p_test = model.predict(xa[n_train:])
    test_auc, test_brier = auc(test_y, p_test), brier(test_y, p_test)
    # the stage probability on the same held-out snapshots: the model is shown only if it
    # beats it (PRODUCT.md "Probabilities")
    stage_p = xa[n_train:, FEATURES.index("stage_probability")]
    stage_p = np.where(np.isnan(stage_p), float(train_y.mean()), stage_p)
    stage_brier = brier(test_y, stage_p)
    beats_stage = test_brier is not None and stage_brier is not None and test_brier < stage_brier
    gains = booster.feature_importance(importance_type="gain")
    total = float(gains.sum()) or 1.0
    ranked = sorted(
        ((round(float(g) / total, 3), f) for f, g in zip(FEATURES, gains, strict=True)),
        key=lambda r: -r[0],
    )
    top = [{"feature": f, "importance": share} for share, f in ranked]
    card = {
        "data": {
            "closed_deals": closed_deals,
            "snapshots": n,
            "train": n_train,
            "test": n_test,
            "won_rate_train": round(float(train_y.mean()), 3),
            "won_rate_test": round(float(test_y.mean()), 3),
            "split": "by time: the last 20 % of stage-history snapshots are held out",
        },
        "metrics": {
            "auc": round(test_auc, 4) if test_auc is not None else None,
            "brier": round(test_brier or 0.0, 4),
            "base_rate_brier": round(brier(test_y, np.full(len(test_y), train_y.mean())) or 0.0, 4),
            "stage_brier": round(stage_brier or 0.0, 4),
        },
        "beats_stage": bool(beats_stage),
        "reliability": reliability(test_y, p_test, bins=5),
        "top_features": top[:8],
        "calibration": {"method": "platt", "a": round(platt[0], 4), "b": round(platt[1], 4)},
        "params": {k: v for k, v in PARAMS.items() if k != "verbose"} | {"rounds": ROUNDS},
        "features": list(FEATURES),
    }
    return TrainingResult(
        True,
        f"trained on {n_train} snapshots of {closed_deals} closed deals",
        closed_deals,
        model=model,
        card=card,
        n_train=n_train,
        n_test=n_test,
        auc=test_auc,
        brier=test_brier,
    )


def in_use(row: MLModel | None) -> bool:
    """Whether an active model's probabilities are the ones shown: it beat the stage
    probability (a lower Brier score on its held-out snapshots). A model trained before that
    comparison was recorded is not shown until it is retrained."""
    return row is not None and bool((row.card or {}).get("beats_stage"))


# ---- explanations ----------------------------------------------------------------------------
def explain(
    model: WinModel, row: FeatureRow, norms: Norms, contrib: Any, *, top: int = 3
) -> list[dict[str, Any]]:
    """The strongest positive and negative factors, as {"feature", "label", "points"}: points
    are how many percentage points the factor moved this deal's probability."""
    contrib = np.asarray(contrib, dtype=float)
    margin = float(contrib.sum())
    p = float(model.calibrate(margin))
    by_label: dict[str, tuple[str, float]] = {}
    for name, c in zip(model.features, contrib[:-1], strict=False):
        if c == 0:
            continue
        label = feature_label(name, row, norms)
        feature, points = by_label.get(label, (name, 0.0))
        by_label[label] = (feature, points + c)
    scored: list[tuple[int, str, str]] = []
    for label, (feature, c) in by_label.items():
        points = round(100 * (p - float(model.calibrate(margin - c))))
        if points != 0:
            scored.append((points, feature, label))
    positive = sorted((s for s in scored if s[0] > 0), key=lambda s: -s[0])[:top]
    negative = sorted((s for s in scored if s[0] < 0), key=lambda s: s[0])[:top]
    return [{"feature": f, "label": lab, "points": pts} for pts, f, lab in positive + negative]


# ---- cold start ------------------------------------------------------------------------------
def cold_start(row: FeatureRow, norms: Norms) -> tuple[float, list[dict[str, Any]]]:
    """The stage's probability, lowered for a deal in its stage beyond the 75th percentile of
    won deals (or the stage's stall limit) and for silence, raised a little for recent
    activity. Returns (probability, factors in words)."""
    stage = row.stage
    base = stage.probability / 100 if stage else 0.1
    factors: list[dict[str, Any]] = [
        {
            "feature": "stage_probability",
            "label": f"Stage {stage.name if stage else '?'} ({round(base * 100)} % by default)",
            "points": round(base * 100),
        }
    ]
    p = base
    limit = stall_limit(stage, norms)
    if limit and row.days_in_stage > limit:
        over = row.days_in_stage / limit
        factor = max(0.4, 1 - 0.3 * (over - 1))
        before, p = p, p * factor
        factors.append(
            {
                "feature": "days_in_stage",
                "label": f"{int(row.days_in_stage)} days in {stage.name if stage else 'stage'} "
                f"(won deals: {limit:.0f} or fewer)",
                "points": round(100 * (p - before)),
            }
        )
    since = row.days_since_activity
    silent = since if since is not None else row.values["deal_age_days"]
    before = p
    if silent >= 30:
        p *= 0.7
    elif silent >= NO_ACTIVITY_DAYS:
        p *= 0.85
    elif since is not None and since <= 7:
        p = min(0.99, p * 1.05)
    if p != before:
        label = (
            f"Last activity {int(since)} days ago" if since is not None else "No activity logged"
        )
        factors.append(
            {"feature": "days_since_activity", "label": label, "points": round(100 * (p - before))}
        )
    factors = [f for f in factors if f["points"] != 0 or f["feature"] == "stage_probability"]
    return min(max(p, 0.0), 1.0), factors


# ---- storage (ml_models, kind "deal_win") ----------------------------------------------------
_LOADED: dict[uuid.UUID, WinModel] = {}


def active_model_row(session: Session) -> MLModel | None:
    return session.scalars(
        select(MLModel).where(MLModel.kind == KIND, MLModel.status == "active").limit(1)
    ).first()


def load_active(session: Session) -> WinModel | None:
    """The active model, parsed once per process (keyed by its row id)."""
    row = active_model_row(session)
    if row is None:
        return None
    model = _LOADED.get(row.id)
    if model is None:
        model = _LOADED[row.id] = WinModel.from_bytes(row.artifact, version=row.version)
    return model


def save_model(
    session: Session,
    result: TrainingResult,
    *,
    trained_at: datetime,
    trained_by: uuid.UUID | None,
) -> MLModel:
    """Store a trained model as the next version and make it the active one."""
    assert result.model is not None
    version = (
        session.scalar(select(func.max(MLModel.version)).where(MLModel.kind == KIND)) or 0
    ) + 1
    session.execute(
        update(MLModel)
        .where(MLModel.kind == KIND, MLModel.status == "active")
        .values(status="retired")
    )
    row = MLModel(
        id=uuid.uuid4(),
        kind=KIND,
        version=version,
        status="active",
        algorithm=ALGORITHM,
        trained_at=trained_at,
        trained_by_id=trained_by,
        n_train=result.n_train,
        n_test=result.n_test,
        auc=result.auc if result.auc is None or math.isfinite(result.auc) else None,
        brier=result.brier,
        card=result.card,
        artifact=result.model.to_bytes(),
    )
    session.add(row)
    session.flush()
    result.model.version = version
    _LOADED[row.id] = result.model
    return row
