"""Calibration of the lead model (issue 16, point 4): isotonic regression when the
calibration part has at least 1,000 rows and 100 converted and isotonic beats Platt there
out of fold, Platt scaling otherwise; the expected calibration error is reported on the
card, and a saved model scores as it did."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from nexa.intelligence import lead_model, metrics
from nexa.intelligence.lead_features import Feature, FeatureSpace

SPACE = FeatureSpace([Feature("budget", "Budget", "num"), Feature("calls", "Calls", "num")])


def history(n: int, seed: int = 5) -> tuple[list[dict[str, Any]], list[int]]:
    """Conversion steep in the budget (a shape Platt's sigmoid cannot follow well)."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        budget = rng.uniform(0, 100)
        calls = rng.randint(0, 6)
        chance = 0.03 + 0.6 / (1 + math.exp(-(budget - 70) / 3)) + 0.02 * calls
        rows.append({"budget": budget, "calls": float(calls)})
        labels.append(int(rng.random() < chance))
    return rows, labels


def train(n: int) -> lead_model.TrainingResult:
    rows, labels = history(n)
    cut = int(n * 0.8)
    return lead_model.train(
        SPACE, rows[:cut], labels[:cut], list(range(cut)), rows[cut:], labels[cut:]
    )


def scores(n: int, shape: str, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores and outcomes: a step (what Platt's sigmoid cannot follow) or a sigmoid."""
    rng = np.random.default_rng(seed)
    logits = rng.uniform(-3, 3, n)
    chance = np.where(logits < 0, 0.1, 0.8) if shape == "step" else 1 / (1 + np.exp(-logits))
    return logits, (rng.random(n) < chance).astype(np.int64)


def test_isotonic_when_the_part_is_large_enough_and_it_beats_platt_out_of_fold() -> None:
    x, y = scores(3000, "step")
    iso_x, iso_y, figures = lead_model.isotonic_fit(x, y)
    assert iso_x and iso_y, figures
    assert figures["out_of_fold_brier"]["isotonic"] < figures["out_of_fold_brier"]["platt"]
    small_x, small_y = scores(800, "step")
    assert lead_model.isotonic_fit(small_x, small_y)[0] is None  # fewer than 1,000 rows
    sig_x, sig_y = scores(3000, "sigmoid")
    kept = lead_model.isotonic_fit(sig_x, sig_y)
    assert kept[0] is None, kept[2]  # Platt is the truth here: the simpler method stays


def test_the_card_states_the_calibration_and_its_error() -> None:
    result = train(8000)
    calibration = result.card["calibration"]
    assert calibration["method"] in ("platt", "isotonic")
    assert calibration["rows"] >= 1000 and calibration["positives"] >= 100
    assert set(calibration["out_of_fold_brier"]) == {"platt", "isotonic"}
    assert "1000 rows" in calibration["rule"]
    ece = result.card["metrics"]["ece"]
    assert ece is not None and 0 <= ece < 100
    assert "out_of_fold_brier" not in train(1200).card["calibration"]  # too few to compare


def test_an_isotonic_model_saved_scores_as_it_did_and_never_claims_certainty() -> None:
    model = train(1200).model
    x, y = scores(3000, "step")
    model.iso_x, model.iso_y, _ = lead_model.isotonic_fit(x, y)
    rows, _ = history(500, seed=9)
    matrix = SPACE.encode(rows)
    before = model.probability(matrix)
    again = lead_model.LeadModel.from_bytes(model.to_bytes())
    assert again.calibration_method == "isotonic"
    assert np.allclose(before, again.probability(matrix))
    assert before.min() >= 0.001 and before.max() <= 0.999


def test_expected_calibration_error_weighs_each_bin_by_its_rows() -> None:
    y = [0] * 50 + [1] * 50
    assert metrics.ece(y, [0.0] * 50 + [1.0] * 50) == 0.0
    assert metrics.ece(y, [0.5] * 100) == 0.5  # predicted 0.5, observed 0 or 1 in every bin
    assert metrics.ece([], []) is None


def drifting(n: int, seed: int = 3) -> tuple[list[dict[str, Any]], list[int]]:
    """Conversion rises with the budget, and the whole level jumps at 70 % of the history
    (a campaign change the features cannot see): the newest leads convert far more."""
    rng = random.Random(seed)
    rows, labels = [], []
    for k in range(n):
        budget = rng.uniform(0, 100)
        level = -2.6 if k < 0.7 * n else -0.6
        rows.append({"budget": budget, "calls": float(rng.randint(0, 6))})
        labels.append(int(rng.random() < 1 / (1 + math.exp(-(level + budget / 40)))))
    return rows, labels


def test_on_drifting_data_the_level_comes_from_the_newest_leads() -> None:
    """The calibration's shape is fitted on the whole validation part, its level on the
    newest 10 % of it (at least 200 rows): the held-out leads, which carry on at the newest
    level, are then scored at their level; with the map alone (the rule before) they were
    under-predicted by the older, lower part of the validation rows."""
    rows, labels = drifting(5000)
    cut = 4000
    result = lead_model.train(
        SPACE, rows[:cut], labels[:cut], list(range(cut)), rows[cut:], labels[cut:]
    )
    model = result.model
    level = result.card["calibration"]["level"]
    assert level["rows"] == 200 and level["shift"] > 0.3, level
    assert "newest 10 %" in result.card["calibration"]["rule"]
    y = np.asarray(labels[cut:])
    matrix = SPACE.encode(rows[cut:])
    shifted = model.probability(matrix)
    model.level_shift = 0.0  # the map alone
    unshifted = model.probability(matrix)
    worst = {
        name: max(abs(r["gap"]) for r in lead_model.reliability_percent(y, p))
        for name, p in (("new", shifted), ("old", unshifted))
    }
    assert worst["old"] > worst["new"] + 8.0, worst  # 23.4 against 11.5 points here
    assert abs(shifted.mean() - y.mean()) < 0.03 < abs(unshifted.mean() - y.mean())


def test_the_level_shift_is_kept_with_the_model_and_needs_both_outcomes() -> None:
    p = np.full(300, 0.2)
    shift, figures = lead_model.level_fit(p, np.asarray([1] * 120 + [0] * 180))
    assert abs(metrics.sigmoid(np.log(0.2 / 0.8) + shift) - 0.4) < 1e-6
    assert figures["converted_percent"] == 40.0 and figures["predicted_percent_before"] == 20.0
    assert lead_model.level_fit(p, np.zeros(300, dtype=np.int64))[0] == 0.0
    assert lead_model.level_window(480) == 200 and lead_model.level_window(9000) == 900
    assert lead_model.level_window(150) == 150
    model = train(1200).model
    model.level_shift = 0.7
    matrix = SPACE.encode(history(50, seed=9)[0])
    again = lead_model.LeadModel.from_bytes(model.to_bytes())
    assert again.level_shift == 0.7
    assert np.allclose(model.probability(matrix), again.probability(matrix))
