"""The cold-start score: a transparent scorecard of fit, intent and engagement.

Used until the organization has enough closed leads for a learned model (and whenever no model
is active). Every point comes from a visible weight an admin can change; the factors are the
weights that applied."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from nexa.intelligence.lead_facts import LeadFacts

DEFAULT_WEIGHTS: dict[str, Any] = {
    "base": 20,
    "fit": {
        "company_size": {
            "1-10": 0,
            "11-50": 4,
            "51-200": 8,
            "201-500": 10,
            "501-1000": 12,
            "1001-5000": 14,
            "5001+": 15,
        },
        "seniority": {
            "c_level": 15,
            "vp": 12,
            "director": 10,
            "manager": 6,
            "senior": 3,
            "entry": 0,
        },
        "source": {
            "referral": 15,
            "event": 8,
            "website": 8,
            "social_media": 4,
            "cold_call": 2,
        },
        "industry": {},  # e.g. {"Software": 5}: the admin's target industries
        "email_kind": {"business": 5, "role": -3, "free": -5, "disposable": -15},
    },
    "intent": {
        "form_submitted": 8,  # per submission of a public web form, up to 2
        "demo_form": 10,  # the form's type mentions a demo / trial / pricing
        "described_need": 3,  # the lead wrote what they need
    },
    "engagement": {
        "call": 4,
        "meeting": 10,
        "reply": 6,
        "email_open": 1,
        "cap": 30,  # engagement adds at most this much
        "stale_after_days": 10,  # no activity for this long…
        "stale": -6,  # …costs this much
    },
}
SECTIONS = ("fit", "intent", "engagement")
# the lead fields the scorecard reads (besides engagement and whether there is a description)
FIELDS = ("company_size", "seniority", "source", "industry", "email_kind", "form_type")
SOURCE_LABELS = {
    "referral": "Referral source",
    "event": "Event source",
    "website": "Website source",
    "social_media": "Social media source",
    "cold_call": "Cold call source",
}
SENIORITY_LABELS = {
    "c_level": "C-level title",
    "vp": "VP title",
    "director": "Director title",
    "manager": "Manager title",
    "senior": "Senior title",
    "entry": "Entry-level title",
}
EMAIL_LABELS = {
    "business": "Business email",
    "role": "Role address (info@, sales@…)",
    "free": "Free-mail address",
    "disposable": "Disposable email address",
}


DEMO_WORDS = ("demo", "trial", "pricing", "quote")  # a web form of this type shows intent
ENGAGEMENT_COUNTERS = ("form_submissions", "calls", "meetings", "replies", "email_opens")


def _counted(count: int, one: str, many: str | None = None) -> str:
    """``1, "call"`` → "1 call"; ``2`` → "2 calls" (never "call(s)")."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def asks_for_demo(form_type: Any) -> bool:
    text = str(form_type or "").lower()
    return any(word in text for word in DEMO_WORDS)


def merged(
    weights: Mapping[str, Any] | None, base: Mapping[str, Any] = DEFAULT_WEIGHTS
) -> dict[str, Any]:
    """``base`` (the default weights) overlaid with the admin's changes, section by section."""
    result = copy.deepcopy(dict(base))
    for key, value in (weights or {}).items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            for sub, sub_value in value.items():
                if isinstance(sub_value, Mapping) and isinstance(result[key].get(sub), dict):
                    result[key][sub] = {**result[key][sub], **sub_value}
                else:
                    result[key][sub] = sub_value
        else:
            result[key] = value
    return result


def validate(weights: Mapping[str, Any]) -> list[dict[str, str]]:
    """Problems with admin-supplied weights, as ``{"field", "message"}`` (empty when fine)."""
    errors: list[dict[str, str]] = []

    def check_number(path: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append({"field": path, "message": "must be a number of points"})
        elif not -100 <= value <= 100:
            errors.append({"field": path, "message": "must be between -100 and 100"})

    for key, value in weights.items():
        if key == "base":
            check_number("base", value)
        elif key in SECTIONS:
            if not isinstance(value, Mapping):
                errors.append({"field": key, "message": "must be an object"})
                continue
            allowed = DEFAULT_WEIGHTS[key]
            for sub, sub_value in value.items():
                path = f"{key}.{sub}"
                if sub not in allowed:
                    errors.append({"field": path, "message": "is not a scorecard weight"})
                elif isinstance(allowed[sub], dict):
                    if not isinstance(sub_value, Mapping):
                        errors.append({"field": path, "message": "must map values to points"})
                        continue
                    for level, points in sub_value.items():
                        check_number(f"{path}.{level}", points)
                else:
                    check_number(path, sub_value)
        else:
            errors.append({"field": key, "message": "is not a scorecard section"})
    return errors


def score(facts: Mapping[str, Any], weights: Mapping[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """(score 0–100, factors best first) for a lead's facts: its fields plus engagement
    counters (``calls``, ``meetings``, ``replies``, ``email_opens``, ``form_submissions``,
    ``days_since_activity``) and ``form_type``. ``weights``: the admin's changes."""
    return score_with(facts, merged(weights))


def score_with(facts: Mapping[str, Any], w: Mapping[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """``score`` with complete weights (``merged`` once for a whole batch)."""
    factors: list[dict[str, Any]] = []

    def add(feature: str, label: str, points: float) -> None:
        if points:
            factors.append({"feature": feature, "label": label, "points": round(points)})

    fit = w["fit"]
    size = facts.get("company_size")
    if size in fit["company_size"]:
        add("company_size", f"Company size {size}", fit["company_size"][size])
    seniority = str(facts.get("seniority") or "")
    if seniority in fit["seniority"]:
        add("seniority", SENIORITY_LABELS.get(seniority, seniority), fit["seniority"][seniority])
    source = str(facts.get("source") or "")
    if source in fit["source"]:
        add("source", SOURCE_LABELS.get(source, f"Source {source}"), fit["source"][source])
    industry = facts.get("industry")
    if industry:
        points = {k.lower(): v for k, v in fit["industry"].items()}.get(str(industry).lower())
        if points:
            add("industry", f"Industry {industry}", points)
    kind = str(facts.get("email_kind") or "")
    if kind in fit["email_kind"]:
        add("email_kind", EMAIL_LABELS.get(kind, kind), fit["email_kind"][kind])

    intent = w["intent"]
    forms = min(int(facts.get("form_submissions") or 0), 2)
    if forms:
        add(
            "form_submissions",
            _counted(forms, "web form submission"),
            forms * intent["form_submitted"],
        )
    if asks_for_demo(facts.get("form_type")):
        asked = str(facts.get("form_type")).replace("_", " ").replace("-", " ").lower()
        add("form_type", f"Asked for a {asked}", intent["demo_form"])
    if facts.get("description"):
        add("description", "Described what they need", intent["described_need"])

    eng = w["engagement"]
    engaged = (
        int(facts.get("calls") or 0) * eng["call"]
        + int(facts.get("meetings") or 0) * eng["meeting"]
        + int(facts.get("replies") or 0) * eng["reply"]
        + int(facts.get("email_opens") or 0) * eng["email_open"]
    )
    if engaged:
        parts = [
            _counted(int(facts.get(k) or 0), one, many)
            for k, one, many in (
                ("meetings", "meeting", "meetings"),
                ("replies", "reply", "replies"),
                ("calls", "call", "calls"),
                ("email_opens", "email open", "email opens"),
            )
            if facts.get(k)
        ]
        add("engagement", "Engagement: " + ", ".join(parts), min(engaged, eng["cap"]))
    idle = facts.get("days_since_activity")
    if idle is not None and idle >= eng["stale_after_days"]:
        add("days_since_activity", f"No activity in {int(idle)} days", eng["stale"])

    total = w["base"] + sum(f["points"] for f in factors)
    factors.sort(key=lambda f: -abs(f["points"]))
    positives = [f for f in factors if f["points"] > 0]
    negatives = [f for f in factors if f["points"] < 0]
    return max(0, min(100, round(total))), positives + negatives


def scores(facts: LeadFacts, w: Mapping[str, Any]) -> np.ndarray:
    """``score_with``'s score for many leads at once, column by column (``w``: complete
    weights). Each factor's points are rounded as ``score_with`` rounds them before they are
    added; the factors themselves come from ``score_with`` for the leads that are explained."""
    n = len(facts)
    fit, intent, eng = w["fit"], w["intent"], w["engagement"]

    def points(values: Iterable[Any], table: Mapping[Any, Any]) -> np.ndarray:
        """The table's (rounded) points for each value, 0 for values it does not list."""
        rounded = {key: round(value) for key, value in table.items()}
        return np.fromiter((rounded.get(v, 0) for v in values), dtype=np.int64, count=n)

    def text(name: str) -> list[str]:
        return [str(v or "") for v in facts.column(name)]

    industries = {k.lower(): v for k, v in fit["industry"].items()}
    total = points(facts.column("company_size"), fit["company_size"])
    total += points(text("seniority"), fit["seniority"])
    total += points(text("source"), fit["source"])
    total += points([str(v).lower() if v else None for v in facts.column("industry")], industries)
    total += points(text("email_kind"), fit["email_kind"])

    count = {name: facts.engagement[name].astype(np.int64) for name in ENGAGEMENT_COUNTERS}
    total += _rounded(np.minimum(count["form_submissions"], 2) * intent["form_submitted"])
    form_types = facts.column("form_type")
    demo = {form_type: asks_for_demo(form_type) for form_type in set(form_types)}
    asks = np.fromiter((demo[t] for t in form_types), dtype=bool, count=n)
    total += np.where(asks, round(intent["demo_form"]), 0)
    total += np.where(facts.described, round(intent["described_need"]), 0)
    engaged = (
        count["calls"] * eng["call"]
        + count["meetings"] * eng["meeting"]
        + count["replies"] * eng["reply"]
        + count["email_opens"] * eng["email_open"]
    )
    total += np.where(engaged != 0, _rounded(np.minimum(engaged, eng["cap"])), 0)
    idle = facts.engagement["days_since_activity"]
    total += np.where(idle >= eng["stale_after_days"], round(eng["stale"]), 0)
    return np.clip(_rounded(w["base"] + total), 0, 100)


def _rounded(values: np.ndarray) -> np.ndarray:
    """Python's ``round`` (halves to even) over an array, as integers."""
    return np.rint(values).astype(np.int64)
