"""Global search (results as you type, and a full results page) and the lookups that fill
reference inputs (owner, account, contact …)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from nexa.core.filtering import ListQuery
from nexa.core.text import text_key
from nexa.product.service import product_prices
from nexa.search import service as search_service
from nexa.web.choices import user_choices
from nexa.web.objects import OBJECTS
from nexa.web.pages import WebActor, WebSession, render
from nexa.web.references import PATHS

router = APIRouter()

Q = Annotated[str, Query(max_length=200)]


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, session: WebSession, actor: WebActor, q: Q = "") -> HTMLResponse:
    hits = search_service.search(session, actor, q, limit=50) if q.strip() else []
    return render(request, "search/results.html", actor, session, q=q, hits=hits, paths=PATHS)


@router.get("/search/suggest", response_class=HTMLResponse)
def suggest(request: Request, session: WebSession, actor: WebActor, q: Q = "") -> HTMLResponse:
    hits = search_service.search(session, actor, q, limit=8) if len(q.strip()) >= 2 else []
    return render(request, "search/_suggest.html", actor, session, q=q, hits=hits, paths=PATHS)


@router.get("/lookup/{target}", response_class=HTMLResponse)
def lookup(
    request: Request, target: str, session: WebSession, actor: WebActor, q: Q = ""
) -> HTMLResponse:
    """Options for a reference input: users by name, or records the actor can read."""
    text = q.strip()
    options: list[tuple[str, str]] = []
    fills: dict[str, dict[str, str]] = {}
    if target == "users":
        wanted = text_key(text) or ""
        options = [
            (uid, name)
            for uid, name in user_choices(session, actor)
            if wanted in (text_key(name) or "")
        ][:10]
    elif target == "records":
        if len(text) >= 2:
            options = [
                (str(h.id), f"{h.title} ({h.record_type})")
                for h in search_service.search(session, actor, text, limit=10)
            ]
    elif target in ("leads", "contacts", "accounts", "deals") and len(text) >= 2:
        name = OBJECTS[target].name
        options = [
            (str(h.id), h.title + (f" · {h.subtitle}" if h.subtitle else ""))
            for h in search_service.search(session, actor, text, types=name, limit=10)
        ]
    elif target in OBJECTS:
        obj = OBJECTS[target]
        svc = obj.service(session, actor)
        fields = svc.repo.fields()
        key = (
            "name"
            if "name" in fields
            else ("last_name" if "last_name" in fields else obj.title_field)
        )
        filters = [f"{key}:contains:{text}"] if text and key in fields else []
        if target in ("contacts", "leads") and text and "email" in fields and "@" in text:
            filters = [f"email:contains:{text}"]
        records, _ = svc.list(ListQuery(filters=filters, limit=10))
        options = [(str(r["id"]), obj.title(r)) for r in obj.list_rows(session, records)]
        currency = request.query_params.get("currency", "").strip().upper()
        if target == "products" and records and re.fullmatch(r"[A-Z]{3}", currency):
            # a line's unit price, filled in when the product is picked (quote, deal lines)
            prices = product_prices(session, [r.id for r in records], currency)
            fills = {str(k): {"unit_price": f"{v:.2f}"} for k, v in prices.items()}
    return render(
        request, "search/_lookup.html", actor, session, options=options, target=target, fills=fills
    )
