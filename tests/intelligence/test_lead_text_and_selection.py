"""The lead model's text part and model selection (issue 16, point 4): the words of a lead's
description become a feature (TF-IDF + logistic regression, out of fold), a plain logistic
regression competes with LightGBM on the validation part and the card names the winner with
each candidate's figure; every model, old or new, saves, loads and explains itself."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy as np

from nexa.intelligence import lead_model, metrics
from nexa.intelligence.lead_features import Feature, FeatureSpace

GOOD = ["budget approved", "signed off", "urgent rollout", "ready to buy", "board approved"]
BAD = ["just browsing", "student project", "no budget", "competitor research", "maybe next year"]
FILLER = "we saw your website and would like to know more about the product for our team"
FILLER_WORDS = FILLER.split(" ")


def described(n: int, seed: int = 3) -> tuple[list[dict[str, Any]], list[int]]:
    """Leads whose outcome depends only on words in the description; the source is noise."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        converted = rng.random() < 0.35
        words = rng.sample(FILLER_WORDS, 6)
        if rng.random() < 0.8:  # most descriptions say something about the outcome
            words.insert(rng.randrange(len(words) + 1), rng.choice(GOOD if converted else BAD))
        rows.append(
            {"source": rng.choice(["web", "referral", "event"]), "description": " ".join(words)}
        )
        labels.append(int(converted))
    return rows, labels


SOURCE = FeatureSpace([Feature("source", "Source", "cat", ["web", "referral", "event"])])


def fit(space: FeatureSpace, rows: list[dict[str, Any]], labels: list[int]) -> Any:
    cut = int(len(rows) * 0.8)
    return lead_model.train(
        space, rows[:cut], labels[:cut], list(range(cut)), rows[cut:], labels[cut:]
    )


def test_words_in_the_description_make_the_model_rank() -> None:
    rows, labels = described(1200)
    with_text = fit(SOURCE, rows, labels)
    without = fit(SOURCE, [{"source": r["source"]} for r in rows], labels)
    assert with_text.auc is not None and without.auc is not None
    assert with_text.auc > 0.8 > 0.6 > without.auc, (with_text.auc, without.auc)
    card = with_text.card
    assert card["text"]["fields"] == ["description"]
    assert card["text"]["label"] == "words in the description"
    assert card["top_features"][0]["feature"] == lead_model.TEXT_FEATURE
    assert without.card["text"] is None

    model = with_text.model
    leads = [
        {"source": "web", "description": "hello, budget approved and signed off"},
        {"source": "web", "description": "just browsing for a student project"},
    ]
    p = model.probability(model.encode(leads))
    assert p[0] > 0.6 > 0.2 > p[1], p
    factors = model.explain(model.encode(leads), p)
    assert factors[0][0]["label"] == "words in the description" and factors[0][0]["points"] > 0
    assert any(f["label"] == "words in the description" and f["points"] < 0 for f in factors[1])

    again = lead_model.LeadModel.from_bytes(model.to_bytes())  # saved: scores as it did
    assert np.allclose(again.probability(again.encode(leads)), p)


def drifting(n: int, seed: int = 8) -> tuple[list[dict[str, Any]], list[int]]:
    """Conversion linear in a budget and four smaller signals, the budget growing over time:
    the newest leads have budgets no older lead had. Trees stay flat past what they saw; the
    straight line keeps going."""
    rng = random.Random(seed)
    rows, labels = [], []
    for i in range(n):
        budget = rng.gauss(6.0 * i / n, 1.0)
        signals = [rng.gauss(0, 1) for _ in range(4)]
        logit = -4.0 + 0.8 * budget + sum(0.4 * s for s in signals)
        rows.append({"budget": budget, **{f"s{k}": v for k, v in enumerate(signals)}})
        labels.append(int(rng.random() < 1 / (1 + math.exp(-logit))))
    return rows, labels


NUMBERS = FeatureSpace(
    [
        Feature("budget", "Budget", "num"),
        *(Feature(f"s{k}", f"Signal {k}", "num") for k in range(4)),
    ]
)


def test_logistic_regression_wins_selection_on_drifting_data_and_the_card_says_so() -> None:
    rows, labels = drifting(2000)
    result = fit(NUMBERS, rows, labels)
    card = result.card
    assert card["algorithm"] == lead_model.LOGISTIC == card["selection"]["chosen"]
    figures = {c["algorithm"]: c["validation_auc"] for c in card["selection"]["candidates"]}
    assert set(figures) == {lead_model.ALGORITHM, lead_model.LOGISTIC}
    assert figures[lead_model.LOGISTIC] > figures[lead_model.ALGORITHM], figures
    assert card["trees"] is None and card["top_features"][0]["feature"] == "budget"

    model = result.model
    assert model.booster is None and model.linear is not None
    leads = [{"budget": 9.0, "s0": 0.1}, {"budget": -2.0, "s0": 0.0}]
    matrix = model.encode(leads)
    p = model.probability(matrix)
    factors = model.explain(matrix, p)
    # coefficients × values: a large budget raises the score, a small one lowers it
    assert factors[0][0]["feature"] == "budget" and factors[0][0]["points"] > 0
    assert factors[1][0]["feature"] == "budget" and factors[1][0]["points"] < 0
    assert factors[1][0]["label"] == "Budget -2"
    again = lead_model.LeadModel.from_bytes(model.to_bytes())
    assert again.algorithm == lead_model.LOGISTIC
    assert np.allclose(again.probability(again.encode(leads)), p)


def test_a_model_stored_before_issue_16_still_loads_scores_and_explains() -> None:
    import lightgbm as lgb

    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 2))
    y = (rng.random(600) < metrics.sigmoid(1.5 * x[:, 0])).astype(int)
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1}, lgb.Dataset(x, y), 20
    )
    stored = json.dumps(  # the artifact's form before: no algorithm, text or linear keys
        {
            "space": [
                {"name": "budget", "label": "Budget", "kind": "num", "levels": []},
                {"name": "calls", "label": "calls logged", "kind": "num", "levels": []},
            ],
            "booster": booster.model_to_string(),
            "platt": [1.0, 0.0],
            "isotonic": None,
        }
    ).encode()
    model = lead_model.LeadModel.from_bytes(stored)
    assert model.algorithm == lead_model.ALGORITHM and model.text is None
    matrix = model.encode([{"budget": 2.0, "calls": 1.0}, {"budget": -2.0, "calls": 0.0}])
    p = model.probability(matrix)
    assert p[0] > p[1]
    assert model.explain(matrix, p)[0][0]["feature"] == "budget"


def test_a_custom_field_of_free_text_is_read_as_words_too() -> None:
    rows, labels = described(800, seed=5)
    notes = [{"source": r["source"], "custom.notes": r["description"]} for r in rows]
    for row in notes[::7]:
        row["custom.stage"] = "a"  # a short categorical text field is not free text
    result = fit(SOURCE, notes, labels)
    assert result.card["text"]["fields"] == ["custom.notes"]
    assert result.card["text"]["label"] == "words in the notes"
    assert result.auc is not None and result.auc > 0.8
