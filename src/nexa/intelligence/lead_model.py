"""The learned lead score: gradient boosting on the organization's closed leads, calibrated
so that a score of 70 means about 70 % of such leads converted, and explained per lead.

Training is split by time, never at random: the newest 20 % of leads (by creation) are held
out and only scored, the rest trains; inside the training part the newest 20 % (the validation
part) pick the number of trees (early stopping, out of fold) and fit the calibration: its shape
(Platt scaling on the log-odds, or isotonic) on the whole validation part, its level on the
newest 10 % of it (one log-odds shift; on drifting data the newest leads' conversion is the best
guess for tomorrow's). The model card reports AUC, Brier score and a reliability table on the
held-out leads, which are the leads most like tomorrow's.

Two more parts (issue 16, point 4): the free text a lead carries (its description, and custom
fields holding free text) becomes one feature — a TF-IDF + logistic-regression score, out of
fold on the training rows (stacking), named "words in the description" in explanations — and a
plain logistic regression on the same features (categories one-hot, numbers clipped and
standardised) competes with the gradient boosting on the validation part: the one with the
higher validation AUC is the model, and the card names it with each candidate's figure."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nexa.intelligence import metrics
from nexa.intelligence.lead_features import MAX_LEVELS, Feature, FeatureSpace

if TYPE_CHECKING:  # imported when a model is loaded or trained: it costs seconds at start-up
    import lightgbm as lgb

ALGORITHM = "lightgbm-platt"  # gradient boosting (the name models stored before issue 16 carry)
LOGISTIC = "logistic-regression"
TEXT_FEATURE = "text_score"  # the text part's score, one column of the matrix
MIN_TEXT_ROWS = 30  # training rows with text before the text part is fitted
TEXT_FOLDS = 5
MAX_TEXT_FEATURES = 20000
LOGISTIC_C = 1.0
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


LINEAR_SKIP = ("created_days",)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class NotEnoughData(ValueError):
    """Too little history to train; the message says how far the organization is."""


# Isotonic calibration needs enough rows to hold its steps (issue 16: a reliability table
# off by more than 5 points in 2-4 of 10 deciles under Platt scaling alone); below this,
# Platt's two parameters are all the calibration part can support.
ISOTONIC_MIN_ROWS = 1000
ISOTONIC_MIN_POSITIVES = 100
# On drifting data the newest leads' conversion is tomorrow's best guess: after the map (its
# shape from the whole calibration part), one log-odds shift makes the calibrated scores of
# the newest 10 % of the calibration part (at least 200 rows) average their observed rate.
LEVEL_SHARE = 0.1
LEVEL_MIN_ROWS = 200
LEVEL_MAX_SHIFT = 5.0


def text_of(row: Mapping[str, Any], fields: Sequence[str]) -> str:
    """A lead's free text: the values of ``fields`` that are text, one after the other."""
    return " \n ".join(v for v in (row.get(f) for f in fields) if isinstance(v, str) and v.strip())


def text_fields(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The columns holding free text in these training rows: the description, and custom
    fields whose values are mostly distinct sentences (more than one word on average) — what
    a categorical feature cannot hold. At least ``MIN_TEXT_ROWS`` rows must have one."""
    names = ["description", *sorted({k for row in rows for k in row if k.startswith("custom.")})]
    found: list[str] = []
    for name in names:
        values = [v for v in (row.get(name) for row in rows) if isinstance(v, str) and v.strip()]
        if len(values) < MIN_TEXT_ROWS:
            continue
        words = sum(len(v.split()) for v in values) / len(values)
        distinct = len(set(values))
        if name == "description" or (words >= 2 and distinct > max(MAX_LEVELS, len(values) // 2)):
            found.append(name)
    return found


def text_label(fields: Sequence[str]) -> str:
    names = [f.removeprefix("custom.").replace("_", " ") for f in fields]
    return "words in the " + " and ".join(names)


@dataclass
class TextPart:
    """TF-IDF over the lead's free text and a logistic regression on it: one log-odds score
    per lead. Stored as its vocabulary, idf weights and coefficients (no pickle)."""

    fields: list[str]
    vocabulary: dict[str, int]
    idf: list[float]
    coef: list[float]
    intercept: float
    _vectorizer: Any = field(default=None, repr=False, compare=False)

    @staticmethod
    def new_vectorizer(vocabulary: dict[str, int] | None = None) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            lowercase=True,
            ngram_range=(1, 2),
            min_df=1 if vocabulary is not None else 2,
            max_features=None if vocabulary is not None else MAX_TEXT_FEATURES,
            sublinear_tf=True,
            vocabulary=vocabulary,
            dtype=np.float64,
        )

    def vectorizer(self) -> Any:
        if self._vectorizer is None:
            vec = self.new_vectorizer(self.vocabulary)
            vec.idf_ = np.asarray(self.idf, dtype=np.float64)
            self._vectorizer = vec
        return self._vectorizer

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros(0)
        matrix = self.vectorizer().transform(list(texts))
        return np.asarray(matrix @ np.asarray(self.coef) + self.intercept, dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": self.fields,
            "vocabulary": self.vocabulary,
            "idf": self.idf,
            "coef": self.coef,
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TextPart:
        return cls(
            list(data["fields"]),
            {str(k): int(v) for k, v in data["vocabulary"].items()},
            [float(v) for v in data["idf"]],
            [float(v) for v in data["coef"]],
            float(data["intercept"]),
        )


def fit_text(texts: Sequence[str], y: np.ndarray) -> TextPart | None:
    """TF-IDF + logistic regression on ``texts``; None when the words say nothing learnable
    (too few rows with text, or a vocabulary too small)."""
    from sklearn.linear_model import LogisticRegression

    if sum(1 for t in texts if t) < MIN_TEXT_ROWS or len(set(y.tolist())) < 2:
        return None
    vec = TextPart.new_vectorizer()
    try:
        matrix = vec.fit_transform(list(texts))
    except ValueError:  # empty vocabulary
        return None
    model = LogisticRegression(C=LOGISTIC_C, max_iter=1000, solver="liblinear")
    model.fit(matrix, y)
    vocabulary = {str(k): int(v) for k, v in vec.vocabulary_.items()}
    return TextPart(
        [],
        vocabulary,
        [float(v) for v in vec.idf_],
        [float(v) for v in model.coef_[0]],
        float(model.intercept_[0]),
    )


def text_scores(
    texts: Sequence[str], y: np.ndarray, groups: np.ndarray
) -> tuple[TextPart | None, np.ndarray]:
    """The text part fitted on every row, and each row's score out of fold (``TEXT_FOLDS``
    folds of whole leads): what the other models see for the training rows, so that the
    text score a model learns to trust is one made without the row's own outcome."""
    part = fit_text(texts, y)
    oof = np.zeros(len(texts))
    if part is None:
        return None, oof
    fold = groups % TEXT_FOLDS
    for k in range(TEXT_FOLDS):
        held = fold == k
        if not held.any():
            continue
        inner = fit_text([t for t, h in zip(texts, held, strict=True) if not h], y[~held])
        if inner is None:
            oof[held] = part.intercept
            continue
        oof[held] = inner.logits([t for t, h in zip(texts, held, strict=True) if h])
    return part, oof


@dataclass
class LinearPart:
    """A logistic regression on the encoded features: each categorical level one column,
    each number clipped to its training 1st-99th percentiles and standardised (missing: the
    mean, plus a "not given" column). ``columns[k]`` is (feature index, level code or -1 for
    the number, -2 for its "not given" column)."""

    columns: list[tuple[int, int]]
    low: list[float]  # per column: numbers' clip bounds and standardisation
    high: list[float]
    mean: list[float]
    scale: list[float]
    centre: list[float]  # each design column's training mean (contributions are from it)
    coef: list[float]
    intercept: float

    @classmethod
    def layout(cls, space: FeatureSpace, X: np.ndarray, skip: Sequence[str]) -> LinearPart:
        columns: list[tuple[int, int]] = []
        bounds: list[tuple[float, float, float, float]] = []  # low, high, mean, scale
        for j, feature in enumerate(space.features):
            if feature.name in skip:
                continue
            if feature.kind == "cat":
                for code in range(len(feature.levels)):
                    columns.append((j, code))
                    bounds.append((0.0, 0.0, 0.0, 1.0))
                continue
            values = X[:, j][~np.isnan(X[:, j])]
            if len(values) == 0:
                continue
            lo, hi = (float(v) for v in np.quantile(values, [0.01, 0.99]))
            clipped = np.clip(values, lo, hi)
            columns.append((j, -1))
            bounds.append((lo, hi, float(clipped.mean()), float(clipped.std()) or 1.0))
            if len(values) < X.shape[0]:
                columns.append((j, -2))
                bounds.append((0.0, 0.0, 0.0, 1.0))
        low, high, mean, scale = ([b[i] for b in bounds] for i in range(4))
        return cls(columns, low, high, mean, scale, [0.0] * len(columns), [], 0.0)

    def design(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros((X.shape[0], len(self.columns)))
        for k, (j, code) in enumerate(self.columns):
            x = X[:, j]
            if code >= 0:
                out[:, k] = x == code
            elif code == -2:
                out[:, k] = np.isnan(x)
            else:
                z = (np.clip(x, self.low[k], self.high[k]) - self.mean[k]) / self.scale[k]
                out[:, k] = np.where(np.isnan(z), 0.0, z)
        return out

    def fit(self, X: np.ndarray, y: np.ndarray) -> LinearPart:
        from sklearn.linear_model import LogisticRegression

        design = self.design(X)
        model = LogisticRegression(C=LOGISTIC_C, max_iter=2000, solver="lbfgs")
        model.fit(design, y)
        self.coef = [float(v) for v in model.coef_[0]]
        self.intercept = float(model.intercept_[0])
        self.centre = [float(v) for v in design.mean(axis=0)]
        return self

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Column by column in a fixed order, so that a lead scores the same alone as in a
        batch (a matrix product's summation order depends on the number of rows)."""
        design = self.design(X)
        out = np.full(X.shape[0], self.intercept, dtype=np.float64)
        for k, c in enumerate(self.coef):
            out += design[:, k] * c
        return out

    def contributions(self, X: np.ndarray, width: int) -> np.ndarray:
        """Per-row log-odds of each feature against the average lead (coefficient × the
        value's distance from the training mean, summed over the feature's columns); the
        last column is the rest (the average lead's log-odds)."""
        design = self.design(X)
        parts = (design - np.asarray(self.centre)) * np.asarray(self.coef)
        out = np.zeros((X.shape[0], width + 1))
        for k, (j, _) in enumerate(self.columns):
            out[:, j] += parts[:, k]
        out[:, -1] = self.intercept + float(np.dot(self.centre, self.coef))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": [list(c) for c in self.columns],
            "low": self.low,
            "high": self.high,
            "mean": self.mean,
            "scale": self.scale,
            "centre": self.centre,
            "coef": self.coef,
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinearPart:
        low, high, mean, scale, centre = (
            [float(v) for v in data[k]] for k in ("low", "high", "mean", "scale", "centre")
        )
        return cls(
            [(int(a), int(b)) for a, b in data["columns"]],
            low,
            high,
            mean,
            scale,
            centre,
            [float(v) for v in data["coef"]],
            float(data["intercept"]),
        )


@dataclass
class LeadModel:
    """A trained model, its feature space and its calibration: isotonic (``iso_x`` →
    ``iso_y``, interpolated) when the calibration part was large enough, else Platt's
    ``sigmoid(a·logit + b)``. Platt's slope also scales explanations into score points.

    The model is a LightGBM booster or, when it won the selection, a logistic regression
    (``linear``); ``text``, when the training leads had free text, fills the space's
    ``TEXT_FEATURE`` column from it."""

    space: FeatureSpace
    booster: lgb.Booster | None
    platt_a: float
    platt_b: float
    iso_x: list[float] | None = None
    iso_y: list[float] | None = None
    linear: LinearPart | None = None
    text: TextPart | None = None
    level_shift: float = 0.0  # log-odds added after the map: the newest leads' level

    @property
    def algorithm(self) -> str:
        return LOGISTIC if self.linear is not None else ALGORITHM

    @property
    def text_fields(self) -> list[str]:
        return list(self.text.fields) if self.text is not None else []

    def encode_columns(self, columns: Mapping[str, Any], n: int) -> np.ndarray:
        """The model's matrix for ``n`` leads held column by column: the space's encoding,
        and the text part's score from the text columns (``description``, custom fields)."""
        matrix = self.space.encode_columns(columns, n)
        if self.text is not None and TEXT_FEATURE in self.space.names:
            j = self.space.names.index(TEXT_FEATURE)
            empty = [None] * n
            values = [columns.get(f, empty) for f in self.text.fields]
            texts = (
                [
                    text_of(dict(zip(self.text.fields, row, strict=True)), self.text.fields)
                    for row in zip(*values, strict=True)
                ]
                if values
                else [""] * n
            )
            matrix[:, j] = self.text.logits(texts)
        return matrix

    def encode(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        names = set(self.space.names) | set(self.text_fields)
        columns = {name: [row.get(name) for row in rows] for name in names}
        return self.encode_columns(columns, len(rows))

    def logits(self, matrix: np.ndarray) -> np.ndarray:
        if self.linear is not None:
            return self.linear.logits(matrix)
        assert self.booster is not None
        raw = self.booster.predict(matrix, raw_score=True, num_threads=1)
        return np.asarray(raw, dtype=np.float64)

    @property
    def calibration_method(self) -> str:
        return "isotonic" if self.iso_x else "platt"

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        if self.iso_x and self.iso_y:
            # never a certainty: the steps at the ends rest on finitely many leads
            p = np.clip(np.interp(logits, self.iso_x, self.iso_y), 0.001, 0.999)
            if not self.level_shift:
                return p
            return 1.0 / (1.0 + np.exp(-(np.log(p / (1.0 - p)) + self.level_shift)))
        return 1.0 / (1.0 + np.exp(-(self.platt_a * logits + self.platt_b + self.level_shift)))

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.calibrate(self.logits(matrix))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Per-row log-odds contributions of each feature (last column: the bias)."""
        if self.linear is not None:
            return self.linear.contributions(matrix, len(self.space.features))
        assert self.booster is not None
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
        feature = self.space.features[j]
        return {
            "feature": feature.name,
            "label": feature.label
            if feature.name == TEXT_FEATURE
            else self.space.describe(j, value),
            "points": round(points),
        }

    def to_bytes(self) -> bytes:
        payload: dict[str, Any] = {
            "space": self.space.to_json(),
            "booster": self.booster.model_to_string() if self.booster is not None else None,
            "platt": [self.platt_a, self.platt_b],
            "isotonic": [self.iso_x, self.iso_y] if self.iso_x else None,
            "level_shift": self.level_shift,
        }
        if self.linear is not None:
            payload["linear"] = self.linear.to_json()
        if self.text is not None:
            payload["text"] = self.text.to_json()
        return json.dumps(payload).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LeadModel:
        import lightgbm as lgb

        payload = json.loads(data)
        # models stored before issue 16 hold a booster, Platt and maybe isotonic only
        booster = lgb.Booster(model_str=payload["booster"]) if payload.get("booster") else None
        a, b = payload["platt"]
        iso_x, iso_y = payload.get("isotonic") or (None, None)
        space = FeatureSpace.from_json(payload["space"])
        linear = LinearPart.from_json(payload["linear"]) if payload.get("linear") else None
        text = TextPart.from_json(payload["text"]) if payload.get("text") else None
        # models stored before the level shift have none
        shift = float(payload.get("level_shift") or 0.0)
        return cls(space, booster, float(a), float(b), iso_x, iso_y, linear, text, shift)


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


def level_window(rows: int) -> int:
    """How many of the calibration part's newest rows set the level: ``LEVEL_SHARE`` of
    them, at least ``LEVEL_MIN_ROWS`` (all of them when there are fewer)."""
    return min(rows, max(LEVEL_MIN_ROWS, int(rows * LEVEL_SHARE)))


def level_fit(p: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, Any]]:
    """The log-odds shift that makes the calibrated probabilities ``p`` of the newest rows
    average their observed conversion rate (0 when they hold one outcome only: no level to
    match), found by bisection within ±``LEVEL_MAX_SHIFT``; and the card's figures."""
    figures: dict[str, Any] = {"rows": len(y), "converted": int(y.sum())}
    if len(y) == 0 or int(y.sum()) in (0, len(y)):
        figures["shift"] = 0.0
        return 0.0, figures
    clipped = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    base = np.log(clipped / (1.0 - clipped))
    rate = float(y.mean())
    low, high = -LEVEL_MAX_SHIFT, LEVEL_MAX_SHIFT
    for _ in range(60):
        middle = (low + high) / 2
        if float(metrics.sigmoid(base + middle).mean()) < rate:
            low = middle
        else:
            high = middle
    shift = (low + high) / 2
    figures.update(
        {
            "converted_percent": round(rate * 100, 1),
            "predicted_percent_before": round(float(clipped.mean()) * 100, 1),
            "shift": round(shift, 4),
        }
    )
    return shift, figures


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

    y = np.asarray(train_labels, dtype=np.int64)
    groups = np.asarray(train_groups)
    fields = text_fields(train_rows)
    text: TextPart | None = None
    oof = np.zeros(len(y))
    if fields:
        text, oof = text_scores([text_of(r, fields) for r in train_rows], y, groups)
    if text is not None:
        text.fields = fields
        space = FeatureSpace([*space.features, Feature(TEXT_FEATURE, text_label(fields), "num")])
    model = LeadModel(space, None, 1.0, 0.0, text=text)
    X = space.encode(train_rows)
    if text is not None:
        X[:, space.names.index(TEXT_FEATURE)] = oof  # out of fold: no row sees its own outcome
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
    best = 0  # LightGBM's number of trees, chosen out of fold below

    def early_stopped_trees() -> int:
        """Trees by early stopping on the validation part for a booster fitted on the older
        leads: the fallback when the out-of-fold halves cannot choose (one outcome only)."""
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
        return int(booster.best_iteration or booster.current_iteration())

    def refit(mask: np.ndarray, linear: bool) -> LeadModel:
        fitted = LeadModel(space, None, 1.0, 0.0, text=text)
        if linear:
            fitted.linear = LinearPart.layout(space, X[mask], skip=LINEAR_SKIP).fit(
                X[mask], y[mask]
            )
        else:
            fitted.booster = lgb.train(
                params,
                lgb.Dataset(X[mask], y[mask], categorical_feature=categorical),
                num_boost_round=best,
            )
        return fitted

    # Each candidate is judged as it is used: learning from every training lead, the newest
    # included (on drifting data they are the most like tomorrow's). The validation part is
    # cut in two halves of alternate leads, each scored by the candidate trained on every
    # other training lead; these out-of-fold scores give each candidate's validation AUC and
    # fit the winner's calibration. LightGBM's number of trees is chosen the same way: early
    # stopping on each half, the mean of the two stopping points, each half scored at it (an
    # early stop on the newest 20 % by a booster that never saw them stopped at 4-180 trees
    # from one week to the next on drifting data, and the refit kept that count).
    half = groups[valid_mask] % 2 == 0
    valid_rows = np.flatnonzero(valid_mask)

    def boosted_out_of_fold() -> np.ndarray | None:
        nonlocal best
        logits = np.zeros(len(valid_rows))
        found: list[tuple[np.ndarray, np.ndarray, Any]] = []
        for part in (half, ~half):
            held = np.zeros(len(y), dtype=bool)
            held[valid_rows[part]] = True
            if not held.any():
                continue
            if len(set(y[~held].tolist())) < 2:
                best = early_stopped_trees()
                return None
            booster = lgb.train(
                params,
                lgb.Dataset(X[~held], y[~held], categorical_feature=categorical),
                num_boost_round=MAX_ROUNDS,
                valid_sets=[lgb.Dataset(X[held], y[held], categorical_feature=categorical)],
                callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)],
            )
            found.append((part, held, booster))
        stops = [b.best_iteration or b.current_iteration() for _, _, b in found]
        best = round(float(np.mean(stops))) if stops else early_stopped_trees()
        for part, held, booster in found:
            trees = min(best, booster.current_iteration())
            logits[part] = booster.predict(
                X[held], raw_score=True, num_iteration=trees, num_threads=1
            )
        return logits

    def out_of_fold(linear: bool) -> np.ndarray | None:
        if not linear:
            return boosted_out_of_fold()
        logits = np.zeros(len(valid_rows))
        for part in (half, ~half):
            held = np.zeros(len(y), dtype=bool)
            held[valid_rows[part]] = True
            if not held.any():
                continue
            if len(set(y[~held].tolist())) < 2:
                return None
            logits[part] = refit(~held, linear).logits(X[held])
        return logits

    scored: dict[str, np.ndarray | None] = {ALGORITHM: out_of_fold(False), LOGISTIC: None}
    # the competitor: a plain logistic regression on the same features (no creation time:
    # a straight line in time would run off past the newest lead)
    if LinearPart.layout(space, X, skip=LINEAR_SKIP).columns:
        scored[LOGISTIC] = out_of_fold(True)
    aucs = {
        name: None if logits is None else metrics.auc(y[valid_mask], logits)
        for name, logits in scored.items()
    }
    candidates = [
        {"algorithm": name, "validation_auc": _rounded(auc)} for name, auc in aucs.items()
    ]
    linear_auc, booster_auc = aucs[LOGISTIC], aucs[ALGORITHM]
    use_linear = linear_auc is not None and linear_auc > (booster_auc or 0.0)
    final = refit(np.ones(len(y), dtype=bool), use_linear)
    model.linear, model.booster = final.linear, final.booster
    chosen = scored[LOGISTIC if use_linear else ALGORITHM]
    valid_logits = chosen if chosen is not None else final.logits(X[valid_mask])
    a, b = metrics.platt_fit(valid_logits, y[valid_mask])
    iso_x, iso_y, calibration_figures = isotonic_fit(valid_logits, y[valid_mask])
    model.platt_a, model.platt_b, model.iso_x, model.iso_y = a, b, iso_x, iso_y
    # the level from the newest leads of the calibration part (their rows are in time order)
    newest = level_window(int(valid_mask.sum()))
    model.level_shift, level_figures = level_fit(
        model.calibrate(valid_logits[-newest:]), y[valid_mask][-newest:]
    )

    X_test = model.encode(test_rows)
    y_test = np.asarray(test_labels, dtype=np.int64)
    p_test = model.probability(X_test) if len(y_test) else np.zeros(0)
    result_auc = metrics.auc(y_test, p_test)
    result_brier = metrics.brier(y_test, p_test)
    if model.booster is not None:
        importance = np.asarray(model.booster.feature_importance(importance_type="gain"))
    else:  # the logistic regression: the mean size of each feature's log-odds
        importance = np.abs(model.contributions(X)[:, :-1]).mean(axis=0)
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
        "algorithm": model.algorithm,
        "selection": {
            "chosen": model.algorithm,
            "candidates": candidates,
            "rule": "the higher AUC on the validation part (the newest 20 % of the training "
            "leads, in two halves each scored by the candidate trained on every other "
            "training lead); the chosen model is then refit on every training lead",
        },
        "text": {
            "fields": text.fields,
            "label": text_label(text.fields),
            "vocabulary": len(text.vocabulary),
        }
        if text is not None
        else None,
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
        "trees": int(best) if model.booster is not None else None,
        "calibration": {
            "method": model.calibration_method,
            **calibration_figures,
            "level": level_figures,
            "rule": (
                "fitted on the out-of-fold scores of the validation part (the newest 20 % of "
                f"the training leads): isotonic with at least {ISOTONIC_MIN_ROWS} rows and "
                f"{ISOTONIC_MIN_POSITIVES} converted there and a lower out-of-fold Brier score "
                "than Platt's, else Platt; then one log-odds shift so that the newest "
                f"{LEVEL_SHARE * 100:g} % of those rows (at least {LEVEL_MIN_ROWS}) average their "
                "observed conversion rate"
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
