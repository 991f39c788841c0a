"""Lead scoring pages: the "Lead score" panel of lead pages and the AI models admin section
(training status, Train now, versions and rollback, model cards, the scorecard editor)."""

from __future__ import annotations

import html as html_text
import re
from typing import Any

from sqlalchemy import select

from nexa.core.actor import SYSTEM, Scope
from nexa.core.repository import unscoped
from nexa.models import Lead, MLModel, Role
from nexa.scoring import service as scoring
from tests.factories.lead import make_lead
from tests.scoring.factories import closed_history, source_only_history
from tests.web.conftest import form_post, sign_in

HTMX = {"HX-Request": "true"}
MINUS = "\u2212"


def _active_version(db: Any) -> int | None:
    db.expire_all()
    rows = db.scalars(select(MLModel).where(MLModel.kind == "lead_score")).all()
    active = [m.version for m in rows if m.status == "active"]
    return active[0] if active else None


# ---- the lead panel ------------------------------------------------------------------------


def test_the_panel_shows_score_band_and_factors(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, source="referral", email="sam@gmail.com")
    db.commit()
    sign_in(client, users.rep)
    assert f'hx-get="/leads/{lead.id}/score"' in client.get(f"/leads/{lead.id}").text

    r = client.get(f"/leads/{lead.id}/score", headers=HTMX)
    assert r.status_code == 200, r.text
    html = r.text
    assert "<html" not in html  # a fragment
    db.refresh(lead)
    score = re.search(r'data-testid="lead-score">(\d+)<', html)
    assert score is not None and int(score.group(1)) == lead.score
    band = "high" if lead.score >= 75 else "medium" if lead.score >= 50 else "low"
    assert f'data-band="{band}"' in html
    assert f"> {band.capitalize()}<" in html  # the band in words, not only a colour
    assert "Scorecard — not yet learned from your outcomes." in html
    assert "scorecard-v" in html  # the model version
    # factors with their sign in text: positives and negatives apart
    assert '<li class="factor-up"><span class="points">+15</span> Referral source</li>' in html
    assert f'<li class="factor-down"><span class="points">{MINUS}5</span> Free-mail' in html
    assert "Recent changes" in html and "<td>new</td>" not in html


def test_a_rep_cannot_open_another_reps_lead_panel(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.other_rep.actor, source="referral")
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/leads/{lead.id}/score", headers=HTMX)
    assert r.status_code == 404
    assert "<html" not in r.text and "Referral" not in r.text
    assert client.get(f"/leads/{lead.id}/score").status_code == 404


# ---- /admin/ai -----------------------------------------------------------------------------


def test_models_are_listed_with_their_card_after_training(client: Any, db: Any, users: Any) -> None:
    closed_history(db, n=220)
    scoring.train_lead_model(db, SYSTEM)
    db.commit()
    sign_in(client, users.admin)

    r = client.get("/admin/ai")
    assert r.status_code == 200, r.text
    html = r.text
    assert "220 closed leads of 200 needed — ready" in html
    assert 'aria-label="Admin sections"' in html and 'href="/admin/ai"' in html
    row = re.search(r'<tr data-version="1">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Active" in row.group(1) and 'href="/admin/ai/models/1"' in row.group(1)
    assert "/admin/ai/models/1/activate" not in html  # the active version has no Activate
    assert "Use the scorecard instead" in html
    assert "<script>" not in html

    card = client.get("/admin/ai/models/1")
    assert card.status_code == 200, card.text
    text = card.text
    assert "Lead model v1" in text and "Held-out metrics" in text
    assert 'data-testid="reliability-chart"' in text and "<circle" in text
    assert 'class="diagonal"' in text and 'id="reliability-table"' in text
    assert 'id="top-features"' in text and "<rect" in text
    assert "Platt scaling" in text
    # the model chosen, beside each candidate's validation AUC (issue 16, point 4)
    algorithm = re.search(r'data-testid="algorithm">(.*?)</dd>', text, re.S)
    assert algorithm is not None and "chosen on the validation part" in algorithm.group(1)
    assert "lightgbm-platt AUC 0." in algorithm.group(1)
    assert "logistic-regression AUC 0." in algorithm.group(1)
    assert client.get("/admin/ai/models/99").status_code == 404


def test_train_now_then_roll_back_through_the_page(client: Any, db: Any, users: Any) -> None:
    closed_history(db, n=220)
    db.commit()
    csrf = sign_in(client, users.admin)
    r = form_post(client, "/admin/ai/train", csrf, {})
    assert r.status_code == 303, r.text[:500]
    assert _active_version(db) == 1
    assert "Lead model v1 trained" in client.get("/admin/ai").text  # the flash

    r = form_post(client, "/admin/ai/scorecard/activate", csrf, {})
    assert r.status_code == 303
    assert _active_version(db) is None
    page = client.get("/admin/ai").text
    assert "/admin/ai/models/1/activate" in page
    assert "220 closed leads" in page

    r = form_post(client, "/admin/ai/models/1/activate", csrf, {})
    assert r.status_code == 303
    assert _active_version(db) == 1
    lead = db.scalars(unscoped(select(Lead).where(Lead.deleted_at.is_(None)).limit(1))).one()
    assert lead.score_model_version == "lead_score-v1"  # leads were rescored by v1
    assert form_post(client, "/admin/ai/models/7/activate", csrf, {}).status_code == 404


def test_train_refused_shows_the_message(client: Any, db: Any, users: Any) -> None:
    closed_history(db, n=40)
    db.commit()
    csrf = sign_in(client, users.admin)
    page = client.get("/admin/ai").text
    assert "40 of 200 — 160 to go; the scorecard scores until then" in page
    r = form_post(client, "/admin/ai/train", csrf, {})
    assert r.status_code == 409
    message = re.search(r'data-testid="train-error">([^<]+)<', r.text)
    assert message is not None and "160 to go" in message.group(1)
    assert "No lead model trained yet" in r.text
    assert _active_version(db) is None


# ---- the scorecard -------------------------------------------------------------------------


def test_the_scorecard_form_saves_a_weight_and_shows_field_errors(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    page = client.get("/admin/ai/scorecard")
    assert page.status_code == 200, page.text
    assert re.search(r'name="fit\.source\.referral"[^>]*value="15"', page.text, re.S)
    for name in ("base", "intent.demo_form", "engagement.stale", "fit.company_size.5001+"):
        assert f'name="{name}"' in page.text

    r = form_post(
        client,
        "/admin/ai/scorecard",
        csrf,
        {"fit.source.referral": "22", "add.fit.industry.name": "Software",
         "add.fit.industry.points": "6"},
    )  # fmt: skip
    assert r.status_code == 303, r.text[:800]
    weights = scoring.get_scorecard(db, SYSTEM)["weights"]
    assert weights["fit"]["source"]["referral"] == 22
    assert weights["fit"]["industry"] == {"Software": 6}
    assert re.search(
        r'name="fit\.source\.referral"[^>]*value="22"', client.get("/admin/ai/scorecard").text
    )

    bad = form_post(
        client,
        "/admin/ai/scorecard",
        csrf,
        {"fit.source.event": "500", "engagement.call": "lots", "fit.source.referral": "30"},
    )
    assert bad.status_code == 422
    event = re.search(r'data-field="fit\.source\.event">(.*?)</div>', bad.text, re.S)
    assert event is not None and "must be between -100 and 100" in event.group(1)
    assert 'aria-invalid="true"' in event.group(1)
    call = re.search(r'data-field="engagement\.call">(.*?)</div>', bad.text, re.S)
    assert call is not None and "must be a number of points" in call.group(1)
    assert 'value="lots"' in call.group(1)  # the posted value is shown again
    weights = scoring.get_scorecard(db, SYSTEM)["weights"]
    assert weights["fit"]["source"]["referral"] == 22  # nothing saved


def test_the_scorecard_is_read_only_without_settings_write(
    client: Any, db: Any, users: Any
) -> None:
    role = db.get(Role, "marketer")
    role.grants = {**role.grants, "settings:read": Scope.ALL.value}
    db.commit()
    csrf = sign_in(client, users.marketer)
    page = client.get("/admin/ai/scorecard")
    assert page.status_code == 200
    assert "Save the scorecard" not in page.text and "readonly" in page.text
    assert "Train now" not in client.get("/admin/ai").text
    r = form_post(client, "/admin/ai/scorecard", csrf, {"fit.source.referral": "1"})
    assert r.status_code == 403
    assert form_post(client, "/admin/ai/train", csrf, {}).status_code == 403


def test_sales_reps_and_managers_are_denied(client: Any, db: Any, users: Any) -> None:
    for person in (users.rep, users.manager):
        csrf = sign_in(client, person)
        for url in ("/admin/ai", "/admin/ai/scorecard", "/admin/ai/models/1"):
            assert client.get(url).status_code == 403, url
        for url in (
            "/admin/ai/train",
            "/admin/ai/scorecard",
            "/admin/ai/scorecard/activate",
            "/admin/ai/models/1/activate",
        ):
            r = form_post(client, url, csrf, {"fit.source.referral": "1"})
            assert r.status_code == 403, url
    assert scoring.get_scorecard(db, SYSTEM)["weights"]["fit"]["source"]["referral"] == 15


def test_the_ai_page_says_what_predicts_deals_and_what_the_forecast_uses(
    client: Any, db: Any, users: Any
) -> None:
    """Issue 16: the AI admin page states the rows a deal model used, its baseline beside it,
    and, when it does not beat the baseline, that the baseline is what deals show; and which
    method the forecast uses after a backtest."""
    from datetime import date

    from nexa.forecast import backtest
    from nexa.forecast import service as forecast
    from tests.forecast.history import NOW, steady_history, synthetic_history

    sign_in(client, users.admin)
    html = client.get("/admin/ai").text
    predictor = re.search(r'data-testid="deal-predictor">(.*?)</dd>', html, re.S)
    assert predictor is not None and "no deal model yet: 0 of the 40 closed deals" in predictor[1]
    assert "no backtest recorded yet" in html

    synthetic_history(db, 80)
    report = forecast.train_deal_model(db, SYSTEM, now=NOW)
    assert report["trained"], report
    db.commit()
    row = db.scalars(select(MLModel).where(MLModel.kind == "deal_win")).one()
    html = client.get("/admin/ai").text
    rows = re.search(r'data-testid="deal-rows">(.*?)</dd>', html, re.S)
    assert rows is not None and "80 closed deals" in rows[1]
    assert f"{row.card['data']['snapshots']} stage-history snapshots" in rows[1]
    baseline = re.search(r'data-testid="deal-baseline">(.*?)</dd>', html, re.S)
    assert baseline is not None
    assert (
        f"against the stage probabilities' {row.card['metrics']['stage_brier']:.3f}"
        in (baseline[1])
    )
    predictor = re.search(r'data-testid="deal-predictor">(.*?)</dd>', html, re.S)
    assert predictor is not None
    if row.card["beats_stage"]:
        assert "Deal model v1" in predictor[1] and "In use" in predictor[1]
    # a model that did not beat the stage probabilities: the page says the baseline is used
    row.card = {**row.card, "beats_stage": False}
    db.commit()
    predictor = re.search(
        r'data-testid="deal-predictor">(.*?)</dd>', client.get("/admin/ai").text, re.S
    )
    assert predictor is not None and predictor[1].startswith("The stage probabilities")
    assert "deal model v1 did not beat them on held-out deals" in predictor[1]

    steady_history(db, [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)])
    winner = backtest.backtest(db, 3, now=NOW, record=True)["winner"]
    db.commit()
    names = {
        "model": "the deal model",
        "stage": "the stage probabilities",
        "last_period": "last period's actual",
    }
    method = re.search(
        r'data-testid="forecast-method">(.*?)</dd>', client.get("/admin/ai").text, re.S
    )
    assert method is not None
    assert html_text.unescape(method[1]).startswith(f"Uses {names[winner]}: the lowest")


def test_train_now_says_when_the_model_did_not_beat_the_scorecard(
    client: Any, db: Any, users: Any
) -> None:
    source_only_history(db)
    db.commit()
    csrf = sign_in(client, users.admin)
    r = form_post(client, "/admin/ai/train", csrf, {})
    assert r.status_code == 303, r.text
    html = client.get(r.headers["location"]).text
    assert "did not beat the scorecard" in html
    line = re.search(r'data-testid="lead-baseline">(.*?)</dd>', html, re.S)
    assert line is not None and "the scorecard scores leads" in line[1]
    scorer = re.search(r'data-testid="scorer">(.*?)</dd>', html, re.S)
    assert scorer is not None and scorer[1].startswith("The scorecard")
    card = client.get("/admin/ai/models/1").text
    assert 'data-testid="baseline-auc"' in card and "this model does not beat it" in card
