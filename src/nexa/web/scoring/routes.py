"""Lead scoring pages: the "Lead score" panel of lead pages (/leads/{id}/score) and the admin's
AI models section (/admin/ai): training status and "Train now", the lead model versions with
rollback, a model card per version (reliability chart drawn server-side as SVG) and the
scorecard editor. Routes parse, call one scoring service and render; the rules live in
nexa.scoring.service."""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.forecast import service as forecast
from nexa.models import MLModel
from nexa.scoring import service
from nexa.web.admin.common import CSRF, Failure, attempt, done, field_errors, guard, page
from nexa.web.generic import InsightPanel, add_insight_panel
from nexa.web.pages import TEMPLATES, PostedForm, WebActor, WebSession, render

router = APIRouter()
# a model version as a path parameter: a 40-digit one is a 422, not an overflow in SQL
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
add_insight_panel("lead", InsightPanel("Lead score", "/leads/{id}/score", "lead:read"))

AiActor = Annotated[Actor, Depends(guard("ai"))]
SECTION = "ai"
HISTORY_ROWS = 5
BAND_LABELS = {"high": "High", "medium": "Medium", "low": "Low"}
BAND_MARKS = {"high": "▲", "medium": "●", "low": "▼"}  # a shape as well as a colour


def signed_points(points: Any) -> str:
    """Score points with their sign in text: "+14", "−6" (a real minus sign), "0"."""
    try:
        value = round(float(points))
    except (TypeError, ValueError):
        return str(points)
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"\u2212{-value}"
    return "0"


def percent(value: Any, digits: int = 0) -> str:
    """A 0–1 probability as a percentage ("about 23")."""
    if value is None:
        return "—"
    number = float(value) * 100
    return f"{number:.{digits}f}" if digits else str(round(number))


TEMPLATES.env.filters["score_points"] = signed_points
TEMPLATES.env.filters["score_percent"] = percent


# ---- the lead page panel -----------------------------------------------------------------


@router.get("/leads/{lead_id}/score", response_class=HTMLResponse)
def lead_score_panel(
    request: Request, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    """The score, its band, what it means and why (a fragment; 404 for a lead the actor
    cannot read)."""
    view = service.explanation(session, actor, lead_id)
    factors = [f for f in view["factors"] if round(float(f.get("points") or 0))]
    return render(
        request,
        "scoring/_panel.html",
        actor,
        session,
        view=view,
        band_label=BAND_LABELS.get(view["band"] or "", ""),
        band_mark=BAND_MARKS.get(view["band"] or "", ""),
        ups=[f for f in factors if f["points"] > 0],
        downs=[f for f in factors if f["points"] < 0],
        history=view["history"][:HISTORY_ROWS],
    )


# ---- /admin/ai: status, training, versions --------------------------------------------------


def status_line(status: dict[str, Any]) -> str:
    """How far the organization is from a learned model, in one sentence."""
    closed, needed = status["closed"], status["needed"]
    if status["ready"]:
        return f"{closed} closed leads of {needed} needed — ready"
    if closed >= needed:
        return (
            f"{closed} closed leads of {needed} needed, but {status['converted']} converted and "
            f"{status['lost']} lost: too few of one outcome to learn from yet"
        )
    return f"{closed} of {needed} — {needed - closed} to go; the scorecard scores until then"


def _ai_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    train_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    status = service.training_status(session, actor)
    deals = forecast.model_status(session, actor) if actor.can("deal:read") else None
    return page(
        request,
        "scoring/admin.html",
        actor,
        session,
        SECTION,
        status_code=status_code,
        status=status,
        status_line=status_line(status),
        models=service.list_models(session, actor),
        can_write=actor.can("settings:write"),
        train_error=train_error,
        deals=deals,
        backtest=forecast.latest_backtest(session) if deals is not None else None,
    )


@router.get("/admin/ai", response_class=HTMLResponse)
def ai_page(request: Request, session: WebSession, actor: AiActor) -> HTMLResponse:
    return _ai_page(request, session, actor)


@router.post("/admin/ai/train", dependencies=CSRF)
def train_now(request: Request, session: WebSession, actor: AiActor) -> Response:
    trained = attempt(session, lambda: None, lambda _: service.train_lead_model(session, actor))
    if isinstance(trained, Failure):
        message = next(iter(trained.errors.values()), "Training was refused.")
        return _ai_page(request, session, actor, train_error=message, status_code=trained.status)
    auc = f" (held-out AUC {trained.auc:.2f})" if trained.auc is not None else ""
    if trained.status != "active":
        baseline = (trained.card or {}).get("baseline") or {}
        against = f" {baseline['auc']:.2f}" if baseline.get("auc") is not None else ""
        return done(
            request,
            f"Lead model v{trained.version} trained{auc} but it did not beat the scorecard"
            f"{against}: the scorecard keeps scoring leads.",
            "/admin/ai",
        )
    return done(
        request, f"Lead model v{trained.version} trained{auc}; it scores leads now.", "/admin/ai"
    )


@router.post("/admin/ai/models/{version}/activate", dependencies=CSRF)
def activate(request: Request, version: Version, session: WebSession, actor: AiActor) -> Response:
    row = service.activate_model(session, actor, version)
    return done(request, f"Lead model v{row.version} scores leads now.", "/admin/ai")


@router.post("/admin/ai/scorecard/activate", dependencies=CSRF)
def use_scorecard(request: Request, session: WebSession, actor: AiActor) -> Response:
    service.use_scorecard(session, actor)
    return done(request, "The scorecard scores leads now.", "/admin/ai")


# ---- the model card --------------------------------------------------------------------------

PLOT = 240  # side of the reliability plot, in SVG units
LEFT, TOP, RIGHT, BOTTOM = 44, 12, 14, 40
TICKS = (0, 25, 50, 75, 100)


def _clamp(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else max(0.0, min(100.0, number))


def reliability_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Coordinates of the reliability chart (predicted % on x, observed % on y, one point per
    bin, the diagonal of perfect calibration), for the template to draw as SVG."""

    def x(pct: float) -> float:
        return round(LEFT + pct / 100 * PLOT, 1)

    def y(pct: float) -> float:
        return round(TOP + PLOT - pct / 100 * PLOT, 1)

    points = [
        {
            "x": x(_clamp(r.get("predicted"))),
            "y": y(_clamp(r.get("observed"))),
            "bin": r.get("bin"),
            "leads": r.get("leads"),
            "predicted": r.get("predicted"),
            "observed": r.get("observed"),
        }
        for r in rows
    ]
    return {
        "width": LEFT + PLOT + RIGHT,
        "height": TOP + PLOT + BOTTOM,
        "x0": x(0),
        "x100": x(100),
        "y0": y(0),
        "y100": y(100),
        "mid_x": x(50),
        "mid_y": y(50),
        "ticks": [{"value": t, "x": x(t), "y": y(t)} for t in TICKS],
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
    }


def feature_bars(top: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The top features with their bar length (the largest share fills the bar)."""
    shares = [_clamp(f.get("share")) for f in top]
    largest = max(shares, default=0.0) or 1.0
    return [
        {**f, "share": share, "bar": round(share / largest * 100, 1)}
        for f, share in zip(top, shares, strict=True)
    ]


def card_view(row: MLModel) -> dict[str, Any]:
    """The model card's parts, each present (older cards may lack some)."""
    card = row.card if isinstance(row.card, dict) else {}
    metrics = card.get("metrics") or {}
    reliability = list(metrics.get("reliability") or [])
    return {
        "data": card.get("data") or {},
        "metrics": metrics,
        "reliability": reliability,
        "chart": reliability_chart(reliability) if reliability else None,
        "bars": feature_bars(list(card.get("top_features") or [])),
        "features": list(card.get("features") or []),
        "notes": list(card.get("notes") or []),
        "trees": card.get("trees"),
        "calibration": card.get("calibration") or {},
        "selection": card.get("selection") or {},
        "text": card.get("text") or {},
        "trained_by": card.get("trained_by"),
        "baseline": card.get("baseline"),
        "beats_baseline": card.get("beats_baseline"),
    }


@router.get("/admin/ai/models/{version}", response_class=HTMLResponse)
def model_card(
    request: Request, version: Version, session: WebSession, actor: AiActor
) -> HTMLResponse:
    row = service.get_model(session, actor, version)
    return page(
        request,
        "scoring/model.html",
        actor,
        session,
        SECTION,
        model=row,
        card=card_view(row),
        can_write=actor.can("settings:write"),
    )


# ---- the scorecard editor ------------------------------------------------------------------

SECTION_LABELS = {"fit": "Fit", "intent": "Intent", "engagement": "Engagement"}
GROUP_LABELS = {
    "company_size": "Company size (employees)",
    "seniority": "Seniority",
    "source": "Lead source",
    "industry": "Target industries",
    "email_kind": "Email address",
}
LEVEL_LABELS = {
    "seniority": {"c_level": "C-level", "vp": "VP", "entry": "Entry level"},
    "source": {"social_media": "Social media", "cold_call": "Cold call"},
    "email_kind": {
        "business": "Business address",
        "role": "Role address (info@, sales@…)",
        "free": "Free-mail address",
        "disposable": "Disposable address",
    },
}
WEIGHT_LABELS = {
    "base": "Every lead starts at",
    "intent.form_submitted": "Per web form submission (up to 2)",
    "intent.demo_form": "Asked for a demo, trial, pricing or quote",
    "intent.described_need": "Wrote what they need",
    "engagement.call": "Per call",
    "engagement.meeting": "Per meeting",
    "engagement.reply": "Per reply",
    "engagement.email_open": "Per email open",
    "engagement.cap": "Engagement adds at most",
    "engagement.stale_after_days": "Stale after (days without activity)",
    "engagement.stale": "A stale lead gets",
}
# groups where the admin may add a value, and what the added value is
ADDABLE = {"fit.industry": "Add an industry", "fit.source": "Add a source (its key)"}


def _level_label(group: str, level: str) -> str:
    found = LEVEL_LABELS.get(group, {}).get(level)
    if found:
        return found
    text = level.replace("_", " ")
    return text[:1].upper() + text[1:]


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def scorecard_form(weights: dict[str, Any]) -> list[dict[str, Any]]:
    """The editor's sections, each with groups of (input name, label) — every weight."""
    sections: list[dict[str, Any]] = [
        {"key": "base", "label": "Base", "groups": [{"key": "base", "label": None,
         "fields": [{"name": "base", "label": WEIGHT_LABELS["base"]}], "addable": False}]}
    ]  # fmt: skip
    for key, label in SECTION_LABELS.items():
        groups: list[dict[str, Any]] = []
        loose: list[dict[str, Any]] = []
        for sub, value in (weights.get(key) or {}).items():
            name = f"{key}.{sub}"
            if isinstance(value, dict):
                groups.append(
                    {
                        "key": name,
                        "label": GROUP_LABELS.get(sub, sub.replace("_", " ").capitalize()),
                        "fields": [
                            {"name": f"{name}.{level}", "label": _level_label(sub, level)}
                            for level in value
                        ],
                        "addable": name in ADDABLE,
                        "add_label": ADDABLE.get(name),
                    }
                )
            else:
                loose.append({"name": name, "label": WEIGHT_LABELS.get(name, sub)})
        if loose:
            groups.insert(0, {"key": key, "label": None, "fields": loose, "addable": False})
        sections.append({"key": key, "label": label, "groups": groups})
    n = 0
    for section in sections:
        for group in section["groups"]:
            for field in group["fields"]:
                n += 1
                field["id"] = f"w-{n}"  # level names may hold any character: ids by number
    return sections


def flat_values(weights: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{input name: shown value} of nested weights ("fit.source.referral": "15")."""
    out: dict[str, str] = {}
    for key, value in weights.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= flat_values(value, f"{name}.")
        else:
            out[name] = _shown(value)
    return out


def _number(text: str) -> Any:
    """An int or float when the text reads as one; otherwise the text (the service says
    what is wrong with it, next to the field)."""
    cleaned = text.strip().replace("\u2212", "-")
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        return float(cleaned)
    except ValueError:
        return text.strip()


def posted_weights(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """(the weights posted, nested as the service takes them; the posted texts by input name).
    Inputs are named by their path ("fit.source.referral"); ``add.<group>.name`` and
    ``add.<group>.points`` add a value to a group such as the target industries."""
    weights: dict[str, Any] = {}
    values: dict[str, str] = {}
    for name, raw in form.multi_items():
        if not isinstance(raw, str):
            continue
        head = name.split(".", 1)[0]
        if head == "base":
            values[name] = raw
            weights["base"] = _number(raw)
        elif head in SECTION_LABELS:
            parts = name.split(".", 2)
            values[name] = raw
            if len(parts) == 2:
                weights.setdefault(head, {})[parts[1]] = _number(raw)
            elif len(parts) == 3:
                weights.setdefault(head, {}).setdefault(parts[1], {})[parts[2]] = _number(raw)
    for group in ADDABLE:
        level = str(form.get(f"add.{group}.name") or "").strip()[:60]
        points = str(form.get(f"add.{group}.points") or "")
        values[f"add.{group}.name"], values[f"add.{group}.points"] = level, points
        if level and "." not in level:
            section, sub = group.split(".")
            weights.setdefault(section, {}).setdefault(sub, {})[level] = _number(points)
    return weights, values


def _checked(weights: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The weights, unless a value added to a group has a dot (input names are paths)."""
    for group in ADDABLE:
        if "." in values.get(f"add.{group}.name", ""):
            raise ValidationFailed("a value cannot contain a dot", field=f"add.{group}.name")
    return weights


def _scorecard_errors(exc: Exception) -> dict[str, str]:
    """{input name: message} of a refused scorecard ("weights.fit.source.x" → "fit.source.x")."""
    if isinstance(exc, DomainError) and exc.status == 422 and exc.errors:
        return {
            str(e.get("field") or "__all__").removeprefix("weights."): str(e.get("message"))
            for e in exc.errors
        }
    return field_errors(exc)


def _scorecard_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, str] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    card = service.get_scorecard(session, actor)
    shown = flat_values(card["weights"]) | (values or {})
    return page(
        request,
        "scoring/scorecard.html",
        actor,
        session,
        SECTION,
        failure=failure,
        card=card,
        form_sections=scorecard_form(card["weights"]),
        values=shown,
        can_write=actor.can("settings:write"),
    )


@router.get("/admin/ai/scorecard", response_class=HTMLResponse)
def scorecard_page(request: Request, session: WebSession, actor: AiActor) -> HTMLResponse:
    return _scorecard_page(request, session, actor)


@router.post("/admin/ai/scorecard", dependencies=CSRF)
def save_scorecard(
    request: Request, form: PostedForm, session: WebSession, actor: AiActor
) -> Response:
    weights, values = posted_weights(form)
    saved = attempt(
        session,
        lambda: _checked(weights, values),
        lambda body: service.update_scorecard(session, actor, body),
        errors=_scorecard_errors,
    )
    if isinstance(saved, Failure):
        return _scorecard_page(request, session, actor, values=values, failure=saved)
    rescored = "; every lead was rescored" if saved["in_use"] else ""
    return done(
        request, f"Scorecard saved (version {saved['version']}){rescored}.", "/admin/ai/scorecard"
    )
