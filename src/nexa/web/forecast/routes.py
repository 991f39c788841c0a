"""The forecast page (a period, the figures, P10/P50/P90 and the at-risk deals) and the win
prediction panel of deal pages. Routes parse, call the forecast service and render."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.forecast import service
from nexa.intelligence.forecast import add_months, parse_period, period_label
from nexa.web.generic import InsightPanel, add_insight_panel
from nexa.web.pages import WebActor, WebSession, render

router = APIRouter()
add_insight_panel("deal", InsightPanel("Win prediction", "/deals/{id}/prediction", "deal:read"))


def period_choices(today: date) -> list[tuple[str, str]]:
    """The previous, current and next three quarters, then this month and the next two."""
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    out = []
    for i in range(-1, 4):
        start = add_months(quarter, 3 * i)
        label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        out.append((label, label + (" (this quarter)" if i == 0 else "")))
    month = today.replace(day=1)
    for i in range(3):
        start = add_months(month, i)
        label = f"{start.year}-{start.month:02d}"
        out.append((label, label + (" (this month)" if i == 0 else "")))
    return out


@router.get("/forecast", response_class=HTMLResponse)
def forecast_page(
    request: Request, session: WebSession, actor: WebActor, period: str | None = None
) -> HTMLResponse:
    today = utcnow().date()
    choices = period_choices(today)
    chosen = period or choices[1][0]
    bounds = parse_period(chosen)
    error = None
    result: dict[str, Any] | None = None
    if bounds is None:
        error = "A period is a quarter (2026-Q4), a month (2026-11) or a year (2026)."
    else:
        try:
            result = service.predict_pipeline(session, actor, bounds[0], bounds[1])
        except ValidationFailed as exc:
            error = exc.detail
    if chosen not in {value for value, _ in choices} and bounds is not None:
        choices.append((period_label(*bounds), period_label(*bounds)))
    return render(
        request,
        "forecast/page.html",
        actor,
        session,
        status_code=422 if error else 200,
        period=chosen,
        choices=choices,
        result=result,
        error=error,
    )


@router.get("/deals/{deal_id}/prediction", response_class=HTMLResponse)
def deal_prediction_panel(
    request: Request, deal_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    prediction = service.deal_prediction(session, actor, deal_id)
    return render(request, "forecast/_prediction.html", actor, session, p=prediction)
