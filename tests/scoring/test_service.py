"""Lead scoring: the cold-start scorecard, training, no leakage, events, rollback."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.errors import Conflict, PermissionDenied, ValidationFailed
from nexa.models import LeadScoreChange
from nexa.scoring import service as scoring
from tests.factories.call import make_call
from tests.factories.lead import make_lead
from tests.factories.user import make_user
from tests.scoring.factories import closed_history, described_history, source_only_history


def test_new_lead_is_scored_by_the_scorecard_with_factors(db: Any) -> None:
    lead = make_lead(db, source="referral", company_size="1001-5000")
    db.refresh(lead)
    assert lead.score_model_version == "scorecard-v1"
    # base 20 + referral 15 + size 14
    assert lead.score == 49
    labels = {f["label"]: f["points"] for f in lead.score_factors}
    assert labels["Referral source"] == 15
    assert labels["Company size 1001-5000"] == 14
    assert lead.scored_at is not None and lead.score_factors_at is not None
    version = lead.version
    scoring.update_scorecard(db, SYSTEM, {"base": 25})
    db.refresh(lead)
    assert lead.score == 54
    assert lead.version == version  # a score is not an edit: the ETag does not move
    changes = db.scalars(
        select(LeadScoreChange)
        .where(LeadScoreChange.lead_id == lead.id)
        .order_by(LeadScoreChange.scored_at)
    ).all()
    assert [(c.reason, c.previous_score, c.score) for c in changes] == [
        ("created", None, 49),
        ("scorecard changed", 49, 54),
    ]


def test_weak_lead_scores_low_and_factors_are_negative(db: Any) -> None:
    lead = make_lead(db, source="cold_call", email="someone@mailinator.com")
    lead.email_kind = "disposable"
    db.flush()
    scoring.score_leads(db, [lead.id], reason="test")
    db.refresh(lead)
    assert lead.score == 7  # 20 + 2 - 15
    assert lead.score_factors[-1]["points"] == -15


def test_engagement_event_raises_the_score(db: Any) -> None:
    lead = make_lead(db, source="website")
    before = lead.score
    make_call(db, SYSTEM, related_type="lead", related_id=lead.id, subject="Intro call")
    db.refresh(lead)
    assert lead.score == before + 4
    reasons = set(db.scalars(select(LeadScoreChange.reason)))
    assert "created" in reasons


def test_admin_tunes_the_scorecard_and_leads_are_rescored(db: Any) -> None:
    lead = make_lead(db, source="referral")
    admin = make_user(db, "admin").actor
    card = scoring.update_scorecard(db, admin, {"fit": {"source": {"referral": 30}}})
    assert card["weights"]["fit"]["source"]["referral"] == 30
    assert card["weights"]["fit"]["source"]["website"] == 8  # the rest is kept
    db.refresh(lead)
    assert lead.score == 50 and lead.score_model_version == "scorecard-v2"


def test_scorecard_validation_names_the_field(db: Any) -> None:
    admin = make_user(db, "admin").actor
    with pytest.raises(ValidationFailed) as err:
        scoring.update_scorecard(db, admin, {"fit": {"source": {"referral": "lots"}}})
    assert err.value.errors[0]["field"] == "weights.fit.source.referral"
    with pytest.raises(ValidationFailed):
        scoring.update_scorecard(db, admin, {"base": 500})


def test_only_admins_change_scoring(db: Any) -> None:
    rep = make_user(db, "sales_rep").actor
    with pytest.raises(PermissionDenied):
        scoring.update_scorecard(db, rep, {"base": 10})
    with pytest.raises(PermissionDenied):
        scoring.train_lead_model(db, rep)
    with pytest.raises(PermissionDenied):
        scoring.list_models(db, rep)


def test_training_refuses_gracefully_with_too_little_history(db: Any) -> None:
    closed_history(db, n=40)
    with pytest.raises(Conflict) as err:
        scoring.train_lead_model(db, SYSTEM)
    assert "40 closed leads" in str(err.value) and "160 to go" in str(err.value)
    status = scoring.training_status(db, SYSTEM)
    assert status["closed"] == 40 and status["ready"] is False


def test_training_builds_a_calibrated_explained_model_and_rollback(db: Any) -> None:
    history = closed_history(db, n=400)
    open_lead = make_lead(db, source="referral", custom_fields={"budget": 90})
    row = scoring.train_lead_model(db, SYSTEM)
    assert row.status == "active" and row.version == 1
    assert row.auc is not None and row.auc > 0.6
    card = row.card
    assert card["data"]["held_out_leads"] == 80
    assert {f["name"] for f in card["features"]} >= {"source", "custom.budget"}
    assert len(card["metrics"]["reliability"]) == 10
    assert card["top_features"][0]["share"] > 0
    # every lead is rescored by the new model, with its version
    db.refresh(open_lead)
    assert open_lead.score_model_version == "lead_score-v1"
    assert 0 <= open_lead.score <= 100
    assert open_lead.score_probability is not None
    shown = scoring.explanation(db, SYSTEM, open_lead.id)
    assert shown["learned"] and shown["factors"]
    assert all({"feature", "label", "points"} <= set(f) for f in shown["factors"])
    assert any(
        "budget" in f["label"].lower() or "source" in f["label"].lower() for f in shown["factors"]
    )
    # a second version, then a rollback to the first
    second = scoring.train_lead_model(db, SYSTEM)
    assert second.version == 2 and second.status == "active"
    db.refresh(row)
    assert row.status == "retired"
    scoring.activate_model(db, SYSTEM, 1)
    db.refresh(row)
    db.refresh(second)
    assert row.status == "active" and second.status == "retired"
    db.refresh(open_lead)
    assert open_lead.score_model_version == "lead_score-v1"
    assert len(history) == 400


def test_words_in_the_description_score_and_explain_a_lead(db: Any) -> None:
    described_history(db, n=300)
    row = scoring.train_lead_model(db, SYSTEM)
    assert row.auc is not None and row.auc > 0.65, row.card["metrics"]
    assert row.card["text"]["label"] == "words in the description"
    assert row.algorithm == row.card["algorithm"] == row.card["selection"]["chosen"]
    keen = make_lead(db, source="website", description="Demo please: budget approved")
    idle = make_lead(db, source="website", description="Demo please, just browsing")
    assert keen.score is not None and idle.score is not None
    assert keen.score > idle.score + 25, (keen.score, idle.score)
    for lead, sign in ((keen, 1), (idle, -1)):
        shown = scoring.explanation(db, SYSTEM, lead.id)
        assert shown["model_version"] == "lead_score-v1"
        words = [f for f in shown["factors"] if f["label"] == "words in the description"]
        assert words and words[0]["points"] * sign > 0, (shown, row.card["calibration"])
    # the nightly batch reads the descriptions too: nothing moves
    assert scoring.score_leads(db, None, reason="nightly")["moved"] == 0


def test_a_field_written_after_the_outcome_is_never_used(db: Any) -> None:
    closed_history(db, n=240, leak=True)
    row = scoring.train_lead_model(db, SYSTEM)
    names = {f["name"] for f in row.card["features"]}
    assert "custom.won" not in names  # it was empty at every snapshot
    assert "custom.budget" in names
    assert row.auc is not None and row.auc < 0.95  # a leak would make it ~1.0


def test_use_scorecard_again(db: Any) -> None:
    closed_history(db, n=220)
    scoring.train_lead_model(db, SYSTEM)
    lead = make_lead(db, source="referral")
    scoring.use_scorecard(db, SYSTEM)
    db.refresh(lead)
    assert lead.score_model_version == "scorecard-v1"


def test_a_large_batch_is_written_through_the_driver_like_a_small_one(db: Any) -> None:
    leads = [make_lead(db, source="referral") for _ in range(210)]
    versions = {lead.id: lead.version for lead in leads}
    scoring.update_scorecard(db, SYSTEM, {"base": 30})  # every lead: 35 -> 45
    for lead in leads:
        db.refresh(lead)
        assert (lead.score, lead.score_model_version) == (45, "scorecard-v2")
        assert lead.scored_at is not None and lead.version == versions[lead.id]
    moved = db.scalars(
        select(LeadScoreChange).where(LeadScoreChange.reason == "scorecard changed")
    ).all()
    assert len(moved) == len(leads)
    assert {(c.previous_score, c.score, c.model_version) for c in moved} == {
        (35, 45, "scorecard-v2")
    }


def test_a_model_that_does_not_outrank_the_scorecard_leaves_it_scoring(db: Any) -> None:
    """Issue 16: "never worse than the simple thing". Conversion here depends on the source
    alone, which the scorecard already ranks in the right order: the model can only tie it,
    so it is stored retired with a note, the card states the baseline, and the scorecard
    keeps scoring leads."""
    source_only_history(db)
    row = scoring.train_lead_model(db, SYSTEM)
    baseline = row.card["baseline"]
    assert baseline["name"] == "scorecard" and baseline["held_out_leads"] == row.n_test
    assert row.auc is not None and baseline["auc"] is not None
    assert row.auc <= baseline["auc"] and row.card["beats_baseline"] is False
    assert row.status == "retired"
    assert any("the scorecard keeps scoring leads" in n for n in row.card["notes"])
    assert scoring.current_scorer(db).model is None  # the scorecard scores

    # where the model learns what the scorecard cannot see, it replaces it
    closed_history(db, n=260)
    better = scoring.train_lead_model(db, SYSTEM)
    assert better.card["beats_baseline"] is True and better.status == "active"
    assert better.auc is not None and better.auc > better.card["baseline"]["auc"]
