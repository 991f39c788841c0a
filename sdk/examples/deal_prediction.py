"""Deal prediction: how healthy is one deal, and what should the rep do next?"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from nexa_sdk import Client


def get_deal_health(crm: Client, deal_id: UUID) -> dict[str, Any]:
    deal = crm.deals.get(deal_id)
    prediction = crm.deals.predict(deal_id=deal_id)
    actions = crm.deals.next_best_action(deal_id)
    win = prediction.win_probability
    return {
        "deal": deal.name,
        "stage": deal.stage_name or deal.stage,
        "win_probability": win,
        "stage_probability": deal.probability / 100,
        "model": prediction.win_model_version,
        "why": [f["label"] for f in prediction.win_factors if "label" in f][:3],
        "risks": [
            r.get("message") or r.get("label") or r.get("rule") for r in prediction.risk_factors
        ],
        "predicted_close": prediction.predicted_close_date,
        "health": "at risk" if win is not None and win < 0.3 else "healthy",
        "recommended_actions": [a.title for a in actions.items],
    }
