"""Issue 16 (PRODUCT.md "Probabilities"): one win probability and one predicted close date
for a deal — the deal page (its figures and the win prediction panel), the deal record and
its prediction in the API, and the forecast (API and page) show the same figures: the
model's when a model is active and beat the stage probability on held-out deals, else the
stage probability, named as such, and the deal's own close date."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.forecast import service
from nexa.intelligence import deal_model
from tests.factories.deal import make_deal
from tests.forecast.history import make_history_deal, synthetic_history
from tests.web.conftest import sign_in

API = "/api/v1"


def _quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _shown(client: Any, users: Any, deal_id: Any, close: date) -> dict[str, Any]:
    """Every place that shows the deal's win probability (percent) and predicted close."""
    headers = users.admin.headers
    record = client.get(f"{API}/deals/{deal_id}", headers=headers).json()
    prediction = client.get(f"{API}/deals/{deal_id}/prediction", headers=headers).json()
    forecast = client.get(
        f"{API}/forecast", headers=headers, params={"period": _quarter_of(close)}
    ).json()
    [in_forecast] = [p for p in forecast["predictions"] if p["deal_id"] == str(deal_id)]
    page = client.get(f"/deals/{deal_id}").text
    panel = client.get(f"/deals/{deal_id}/prediction", headers={"HX-Request": "true"}).text
    figure = re.search(r'data-testid="deal-win-probability">(\d+) %', page)
    subtitle = re.search(r"· (\d+) % win probability", page)
    in_panel = re.search(r'data-testid="win-probability">(\d+) %', panel)
    panel_close = re.search(r'data-testid="predicted-close">([\d-]+)<', panel)
    profile = page.split('id="profile-h"')[1].split("</section>")[0]
    return {
        "percent": {
            "record": round(record["win_probability"] * 100),
            "prediction": round(prediction["win_probability"] * 100),
            "forecast": round(in_forecast["win_probability"] * 100),
            "page": int(figure.group(1)) if figure else None,
            "subtitle": int(subtitle.group(1)) if subtitle else None,
            "panel": int(in_panel.group(1)) if in_panel else None,
        },
        "close": {
            "record": record["predicted_close_date"],
            "prediction": prediction["predicted_close_date"],
            "forecast": in_forecast["predicted_close"],
            "panel": panel_close.group(1) if panel_close else None,
        },
        # no second, raw figure (0.10) or second date in the profile
        "profile_clean": "Win probability" not in profile and "Predicted close" not in profile,
        "version": record["win_model_version"],
        "page": page,
        "panel": panel,
    }


def _one(values: dict[str, Any]) -> Any:
    assert len(set(values.values())) == 1, values
    return next(iter(values.values()))


def test_without_a_model_every_page_shows_the_stage_probability_and_the_close_date(
    client: Any, db: Any, users: Any
) -> None:
    """A history whose won deals left proposal quickly (so the cold start, shown before,
    marked every deal stalled and lowered it), no model: the stage probability — 50 % for
    proposal, or the owner's — and the deal's own close date, everywhere."""
    now = utcnow()
    for i in range(4):
        start = now - timedelta(days=40 + i)
        make_history_deal(
            db,
            path=[
                ("proposal", start),
                ("negotiation", start + timedelta(seconds=2 + i)),
                ("closed_won", start + timedelta(days=3)),
            ],
        )
    close = now.date() + timedelta(days=3)
    deal = make_deal(
        db, users.rep.actor, amount=Decimal("4000"), stage="proposal", close_date=close
    )
    own = make_deal(
        db,
        users.rep.actor,
        amount=Decimal("4000"),
        stage="proposal",
        close_date=close,
        probability=35,
    )
    db.commit()
    sign_in(client, users.admin)
    shown = _shown(client, users, deal.id, close)
    assert _one(shown["percent"]) == 50
    assert _one(shown["close"]) == close.isoformat()
    assert shown["profile_clean"]
    assert shown["version"] == service.STAGE
    assert "the stage probability" in shown["page"] and "the stage probability" in shown["panel"]
    shown = _shown(client, users, own.id, close)
    assert _one(shown["percent"]) == 35
    assert _one(shown["close"]) == close.isoformat()


def test_the_forecast_page_shows_the_deal_pages_figure(client: Any, db: Any, users: Any) -> None:
    """An at-risk deal (silent for three weeks): the forecast page's figure is the deal's."""
    now = utcnow()
    close = now.date() + timedelta(days=2)
    quiet = make_history_deal(db, path=[("proposal", now - timedelta(days=21))], close_date=close)
    service.refresh_deal(db, quiet.id)
    db.commit()
    sign_in(client, users.admin)
    shown = _shown(client, users, quiet.id, close)
    page = client.get("/forecast", params={"period": _quarter_of(close)}).text
    figure = re.search(rf'data-testid="fc-win-{quiet.id}">(\d+) %', page)
    assert figure, page
    assert _one({**shown["percent"], "forecast page": int(figure.group(1))}) == 50


def test_a_model_that_beat_the_stage_probability_is_the_figure_everywhere(
    client: Any, db: Any, users: Any
) -> None:
    synthetic_history(db, 80)
    report = service.train_deal_model(db, SYSTEM)
    assert report["trained"], report["message"]
    row = deal_model.active_model_row(db)
    assert row is not None
    row.card = {**row.card, "beats_stage": True}  # whatever this history gave
    db.flush()
    close = utcnow().date() + timedelta(days=20)
    deal = make_deal(
        db, users.rep.actor, amount=Decimal("4000"), stage="proposal", close_date=close
    )
    db.commit()
    sign_in(client, users.admin)
    shown = _shown(client, users, deal.id, close)
    percent = _one(shown["percent"])
    assert shown["version"] == row.label and f"model {row.label}" in shown["page"]
    stored = db.get(type(deal), deal.id)
    db.refresh(stored)
    assert percent == round(stored.win_probability * 100)
    # the model's close date (from the history), one date everywhere
    assert _one(shown["close"]) == stored.predicted_close_date.isoformat()
    assert shown["profile_clean"]


def test_a_model_that_did_not_beat_the_stage_probability_is_not_shown(
    client: Any, db: Any, users: Any
) -> None:
    synthetic_history(db, 80)
    service.train_deal_model(db, SYSTEM)
    row = deal_model.active_model_row(db)
    assert row is not None and "stage_brier" in row.card["metrics"]
    row.card = {**row.card, "beats_stage": False}
    db.flush()
    service.rescore_open_deals(db)
    close = utcnow().date() + timedelta(days=20)
    deal = make_deal(
        db, users.rep.actor, amount=Decimal("4000"), stage="negotiation", close_date=close
    )
    db.commit()
    sign_in(client, users.admin)
    shown = _shown(client, users, deal.id, close)
    assert _one(shown["percent"]) == 75  # negotiation's default
    assert shown["version"] == service.STAGE
    assert "did not beat it" in shown["panel"]
    # a model is active: its predicted close date, the same everywhere
    assert _one(shown["close"]) is not None
    assert shown["profile_clean"]
