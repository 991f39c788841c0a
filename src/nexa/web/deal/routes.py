"""The deal pipeline: the kanban board (/deals/board), moving a deal to another stage (by
drag and drop or the no-drag form on every card) and the deal record page (stage progress,
stage history, the line items editor, a quote or the order from the deal). Routes parse,
call ``nexa.deal.service`` (and the quote and order services for those) and render."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import DomainError, ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.deal import line_items as deal_lines
from nexa.deal import reports as deal_reports
from nexa.deal import service as deals
from nexa.deal import stages as deal_stages
from nexa.deal.schemas import LineItemCreate, LineItemUpdate, StageMove
from nexa.deal.service import DealService
from nexa.forecast.service import COLD_START, STAGE
from nexa.order import service as order_service
from nexa.product.service import ProductService
from nexa.quote import service as quote_service
from nexa.web import choices, references
from nexa.web.csrf import verify_csrf
from nexa.web.forms import errors_of
from nexa.web.generic import ObjectView, detail_context, object_view
from nexa.web.objects import OBJECTS
from nexa.web.pages import PostedForm, WebActor, WebSession, is_htmx, parse_uuid, render

router = APIRouter()
DEALS = OBJECTS["deals"]

CARD_CAP = 50  # cards per column; the rest are behind a link to the filtered list
PERIODS = (
    ("", "Any close date"),
    ("this_month", "This month"),
    ("this_quarter", "This quarter"),
    ("next_quarter", "Next quarter"),
    ("custom", "Custom range"),
)
BOARD_PARAMS = ("pipeline_id", "owner", "period", "close_from", "close_to")


# ---- filters -------------------------------------------------------------------------------


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def period_bounds(period: str, today: date) -> tuple[date | None, date | None]:
    """First and last day of a named close period (None, None for any other name)."""
    if period == "this_month":
        start = today.replace(day=1)
        return start, _add_months(start, 1) - timedelta(days=1)
    if period == "this_quarter":
        start = _quarter_start(today)
        return start, _add_months(start, 3) - timedelta(days=1)
    if period == "next_quarter":
        start = _add_months(_quarter_start(today), 3)
        return start, _add_months(start, 3) - timedelta(days=1)
    return None, None


def _date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"'{value[:20]}' is not a date (YYYY-MM-DD)", field=field) from None


@dataclass(frozen=True)
class BoardFilters:
    pipeline_id: uuid.UUID | None = None
    owner: str = ""  # "", "me" or a user id
    owner_id: uuid.UUID | None = None
    period: str = ""
    close_from: date | None = None
    close_to: date | None = None
    raw_from: str = ""
    raw_to: str = ""

    def query_string(self) -> str:
        pairs = [
            ("pipeline_id", str(self.pipeline_id) if self.pipeline_id else ""),
            ("owner", self.owner),
            ("period", self.period),
            ("close_from", self.raw_from if self.period == "custom" else ""),
            ("close_to", self.raw_to if self.period == "custom" else ""),
        ]
        return urlencode([(k, v) for k, v in pairs if v])

    def list_filters(self) -> list[str]:
        """The same selection in the list's filter language (for the "n more" links)."""
        found = []
        if self.owner_id:
            found.append(f"owner_id:eq:{self.owner_id}")
        if self.close_from:
            found.append(f"close_date:gte:{self.close_from.isoformat()}")
        if self.close_to:
            found.append(f"close_date:lte:{self.close_to.isoformat()}")
        return found


def parse_filters(params: Mapping[str, str], actor: Actor, today: date) -> BoardFilters:
    """The board's query parameters; 422 naming the parameter when one is not valid."""
    raw_pipeline = (params.get("pipeline_id") or "").strip()
    pipeline_id = parse_uuid(raw_pipeline)
    if raw_pipeline and pipeline_id is None:
        raise ValidationFailed("not a pipeline id", field="pipeline_id")
    owner = (params.get("owner") or "").strip()
    owner_id: uuid.UUID | None = None
    if owner == "me":
        owner_id = actor.user_id
    elif owner:
        owner_id = parse_uuid(owner)
        if owner_id is None:
            raise ValidationFailed("choose an owner from the list", field="owner")
    period = (params.get("period") or "").strip()
    if period not in {p for p, _ in PERIODS}:
        raise ValidationFailed("choose a close period from the list", field="period")
    raw_from = (params.get("close_from") or "").strip()[:20]
    raw_to = (params.get("close_to") or "").strip()[:20]
    if period == "custom":
        close_from, close_to = _date(raw_from, "close_from"), _date(raw_to, "close_to")
        if close_from and close_to and close_from > close_to:
            raise ValidationFailed("the 'from' date is after the 'to' date", field="close_from")
    else:
        close_from, close_to = period_bounds(period, today)
    return BoardFilters(
        pipeline_id=pipeline_id,
        owner=owner,
        owner_id=owner_id,
        period=period,
        close_from=close_from,
        close_to=close_to,
        raw_from=raw_from,
        raw_to=raw_to,
    )


# ---- the board -----------------------------------------------------------------------------


def _pipeline_of(
    found: list[tuple[Any, list[Any]]], pipeline_id: uuid.UUID | None
) -> tuple[Any, list[Any]]:
    if pipeline_id is not None:
        for pipeline, stages in found:
            if pipeline.id == pipeline_id:
                return pipeline, stages
        raise ValidationFailed("no pipeline with this id", field="pipeline_id")
    active = [(p, s) for p, s in found if p.active]
    for pipeline, stages in active:
        if pipeline.is_default:
            return pipeline, stages
    if not active:
        raise ValidationFailed(
            "there is no active pipeline; an admin adds one", field="pipeline_id"
        )
    return active[0]


def card_rows(records: list[Any], now: datetime) -> list[dict[str, Any]]:
    """What a card shows, read straight from the deals (no per-card query)."""
    return [
        {
            "id": r.id,
            "name": r.name,
            "account_id": r.account_id,
            "owner_id": r.owner_id,
            "amount": r.amount,
            "currency": r.currency,
            "close_date": r.close_date,
            "stage": r.stage,
            "days_in_stage": deals.days_between(r.stage_entered_at, now),
            "stalled": stall_label(r.risk_factors) is not None,
        }
        for r in records
    ]


def stall_label(risk_factors: Any) -> str | None:
    """The deal's "stalled" risk factor in words (the forecast's one stall rule: no deal is
    stalled before max(7 days, the 75th percentile of won deals' time in its stage))."""
    for risk in risk_factors or ():
        if isinstance(risk, dict) and risk.get("rule") == "stalled":
            return str(risk.get("label") or "Stalled")
    return None


def board_context(session: Session, actor: Actor, filters: BoardFilters) -> dict[str, Any]:
    """Columns of the chosen pipeline: the report's totals per stage and up to CARD_CAP cards
    each. Queries: the pipelines, the report, one page per stage, then names in batches —
    the same number whatever the number of deals."""
    found = choices.pipelines(session, actor)
    pipeline, stages = _pipeline_of(found, filters.pipeline_id)
    report = deal_reports.pipeline_report(
        session,
        actor,
        pipeline_id=pipeline.id,
        owner_id=filters.owner_id,
        close_from=filters.close_from,
        close_to=filters.close_to,
    )
    totals = {s["stage_id"]: s for s in report["stages"]}
    service = DealService(session, actor)
    base = [f"pipeline_id:eq:{pipeline.id}", *filters.list_filters()]
    pages: list[tuple[Any, list[Any]]] = []
    for stage in stages:
        # newest arrivals first: a card just moved or created is always on the board
        records, _ = service.list(
            ListQuery(
                filters=[*base, f"stage:eq:{stage.key}"], sort="-stage_entered_at", limit=CARD_CAP
            )
        )
        pages.append((stage, records))
    rows = card_rows([r for _, records in pages for r in records], utcnow())
    by_id = {row["id"]: row for row in rows}
    names = references.resolve(session, actor, rows, ["account_id", "owner_id"])
    columns = []
    for stage, records in pages:
        total = totals.get(
            stage.id, {"count": 0, "amount": 0, "weighted": 0, "probability": stage.probability}
        )
        cards = [by_id[r.id] for r in records]
        more = max(0, int(total["count"]) - len(cards))
        more_query = urlencode([("f", f) for f in [*base, f"stage:eq:{stage.key}"]])
        columns.append(
            {
                "stage": stage,
                "totals": total,
                "cards": cards,
                "more": more,
                "more_url": f"/deals?{more_query}",
                "stalled": {row["id"] for row in cards if stage.kind == "open" and row["stalled"]},
            }
        )
    return {
        "pipelines": [p for p, _ in found if p.active or p.id == pipeline.id],
        "pipeline": pipeline,
        "stages": stages,
        "columns": columns,
        "report": report,
        "names": names,
        "filters": filters,
        "periods": PERIODS,
        "users": choices.user_choices(session, actor),
        "board_query": filters.query_string() or f"pipeline_id={pipeline.id}",
        "can_move": actor.can("deal:write"),
        "can_create": actor.can("deal:create"),
    }


@router.get("/deals/board", response_class=HTMLResponse)
def board(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    params = request.query_params
    today = utcnow().date()
    error: DomainError | None = None
    try:
        filters = parse_filters(params, actor, today)
        ctx = board_context(session, actor, filters)
    except ValidationFailed as exc:
        if exc.field == "pipeline_id" and "active pipeline" in exc.detail:
            raise
        # show the message above the board of the default pipeline, unfiltered
        error = exc
        ctx = board_context(session, actor, BoardFilters())
        ctx["filters"] = _echo(params)
    template = (
        "deal/_board.html" if is_htmx(request) and params.get("partial") else "deal/board.html"
    )
    return render(
        request,
        template,
        actor,
        session,
        status_code=error.status if error else 200,
        filter_error=error,
        **ctx,
    )


def _echo(params: Mapping[str, str]) -> BoardFilters:
    """The filters as typed (to show them again next to the error)."""
    period = params.get("period") or ""
    return BoardFilters(
        owner=(params.get("owner") or "")[:40],
        period=period if period in {p for p, _ in PERIODS} else "",
        raw_from=(params.get("close_from") or "")[:20],
        raw_to=(params.get("close_to") or "")[:20],
    )


# ---- moving a deal -------------------------------------------------------------------------


def _board_filters(raw: str) -> dict[str, str]:
    return {k: v for k, v in parse_qsl(raw[:1000]) if k in BOARD_PARAMS}


@router.post("/deals/{deal_id}/stage", dependencies=[Depends(verify_csrf)])
def move_stage(
    request: Request,
    deal_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    stage: Annotated[str, Form()] = "",
    lost_reason: Annotated[str, Form()] = "",
    board: Annotated[str, Form()] = "",
) -> Response:
    """Move a deal (the service keeps the history, probability and weighted value, asks for
    the lost reason and runs the closed-won flow). From the board's script the answer is the
    re-rendered board (or the error, 4xx); from a plain form a redirect (or a page that shows
    the error and asks again)."""
    board_params = _board_filters(board)
    try:
        body = StageMove.model_validate(
            {"stage": stage.strip(), "lost_reason": lost_reason.strip() or None}
        )
        with session.begin_nested():
            deal = deal_stages.move_deal_stage(
                session, actor, deal_id, body.stage, lost_reason=body.lost_reason
            )
    except (ValidationError, DomainError) as exc:
        errors = errors_of(exc)
        field, message = next(iter(errors.items()), ("__all__", "invalid value"))
        status = exc.status if isinstance(exc, DomainError) else 422
        if is_htmx(request):
            return render(
                request,
                "deal/_move_error.html",
                actor,
                session,
                status_code=status,
                field=field,
                message=message,
            )
        return _move_page(
            request, session, actor, deal_id, stage, lost_reason, board, field, message, status
        )
    stage_name = _stage_name(session, actor, deal.pipeline_id, deal.stage) or deal.stage
    if is_htmx(request) and board:
        filters = parse_filters(board_params, actor, utcnow().date())
        ctx = board_context(session, actor, filters)
        return render(
            request,
            "deal/_board.html",
            actor,
            session,
            moved=f"{deal.name} moved to {stage_name}",
            **ctx,
        )
    request.session["flash"] = f"{deal.name} moved to {stage_name}"
    target = f"/deals/board?{urlencode(board_params)}" if board else f"/deals/{deal.id}"
    return RedirectResponse(target, status_code=303)


def _stages_of(session: Session, actor: Actor, pipeline_id: uuid.UUID) -> list[Any]:
    for pipeline, stages in choices.pipelines(session, actor):
        if pipeline.id == pipeline_id:
            return list(stages)
    return []


def _stage_name(session: Session, actor: Actor, pipeline_id: uuid.UUID, key: str) -> str | None:
    return next((s.name for s in _stages_of(session, actor, pipeline_id) if s.key == key), None)


def _move_page(
    request: Request,
    session: Session,
    actor: Actor,
    deal_id: uuid.UUID,
    stage: str,
    lost_reason: str,
    board: str,
    field: str,
    message: str,
    status: int,
) -> HTMLResponse:
    """Without the board's script: the error, and the move form again (with the reason
    input when the target stage is a lost one)."""
    deal = DealService(session, actor).get(deal_id)
    stages = _stages_of(session, actor, deal.pipeline_id)
    target = next((s for s in stages if s.key == stage), None)
    return render(
        request,
        "deal/move.html",
        actor,
        session,
        status_code=status,
        deal=deal,
        stages=stages,
        target=target,
        lost_reason=lost_reason[:500],
        board=urlencode(_board_filters(board)),
        field=field,
        message=message,
    )


# ---- the deal record page ------------------------------------------------------------------


@object_view("deal")
class DealView(ObjectView):
    template = "deal/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        """Stage progress (with the move form), stage history and line items."""
        history = deal_stages.stage_history(session, actor, record.id)
        items = deal_lines.list_line_items(session, actor, record.id)
        stages = _stages_of(session, actor, record.pipeline_id)
        names = {s.id: s.name for _, st in choices.pipelines(session, actor) for s in st}
        people = references.resolve(
            session, actor, [{"user_id": c.changed_by_id} for c in history], ["user_id"]
        )
        current = next((i for i, s in enumerate(stages) if s.id == record.stage_id), -1)
        # the one win probability (PRODUCT.md "Probabilities"): the stored prediction — the
        # model's when it beat the stage probability, else the stage probability — as the
        # API and the forecast give it; the stage probability before any prediction
        win_p = (
            record.win_probability
            if record.win_probability is not None
            else record.probability / 100
        )
        version = record.win_model_version
        if record.stage_kind != "open" or version in (None, STAGE):
            win_source = "the stage probability"
        elif version == COLD_START:  # stored before issue 16, until the nightly rescore
            win_source = "from the stage, its age and activity"
        else:
            win_source = f"model {version}"
        return {
            "history": [
                {
                    "change": c,
                    "from_name": names.get(c.from_stage_id) if c.from_stage_id else None,
                    "to_name": names.get(c.to_stage_id) or c.to_stage,
                    "by": people.get("user_id", c.changed_by_id) if c.changed_by_id else None,
                }
                for c in reversed(history)
            ],
            "line_items": items,
            "stages": stages,
            "current_position": stages[current].position if current >= 0 else -1,
            "stalled": stall_label(record.risk_factors) if record.stage_kind == "open" else None,
            "can_move": actor.can("deal:write"),
            "win_p": win_p,
            "win_source": win_source,
            **line_editor_context(session, actor, record),
        }


# ---- line items, quote and order from the deal ---------------------------------------------

PRODUCT_CAP = 200  # products offered in the line editor's select (active ones, by name)
LINE_TEXT = ("name", "description", "quantity", "unit_price", "discount_percent", "mrr")
TRUE = ("true", "on", "1")


def price_book(session: Session, actor: Actor, currency: str) -> list[dict[str, Any]]:
    """Active products with their price in the deal's currency (two queries in all)."""
    if not actor.can("product:read"):
        return []
    products, _ = ProductService(session, actor).list(
        ListQuery(filters=["active:eq:true"], sort="name", limit=PRODUCT_CAP)
    )
    offered = []
    for product in products:
        prices = {
            p.currency: p.unit_price for p in ProductService.prices_for_output(session, product)
        }
        offered.append(
            {
                "id": product.id,
                "name": product.name,
                "sku": product.sku,
                "billing_period": product.billing_period,
                "price": prices.get(currency),
            }
        )
    return offered


def line_editor_context(session: Session, actor: Actor, record: Any) -> dict[str, Any]:
    can_edit = actor.can("deal:write")
    won = record.stage_kind == "won"
    return {
        "can_edit_lines": can_edit,
        "products": price_book(session, actor, record.currency) if can_edit else [],
        "line_error": None,
        "action_error": None,
        "line_values": {},
        "editing_id": None,
        "can_quote": actor.can("quote:create"),
        "can_order": won and actor.can("order:create"),
    }


def _line_values(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The posted line as the API's body: empty inputs left out (the service's defaults)."""
    values: dict[str, Any] = {}
    for name in names:
        text = str(form.get(name) or "").strip()
        if text:
            values[name] = text
    return values


def _line_page(
    request: Request,
    session: Session,
    actor: Actor,
    deal_id: uuid.UUID,
    exc: Exception,
    *,
    values: dict[str, Any] | None = None,
    editing_id: uuid.UUID | None = None,
    key: str = "line_error",
) -> HTMLResponse:
    """The deal page again with the refusal next to the line editor (``key="action_error"``:
    above the page, for the quote and order buttons)."""
    field, message = next(iter(errors_of(exc).items()), ("__all__", "invalid value"))
    if isinstance(exc, ValidationError) and field != "__all__":
        message = f"{field.replace('_', ' ').capitalize()}: {message}"  # name the input
    ctx = detail_context(request, session, actor, DEALS, deal_id)
    ctx.update({key: message, "line_values": values or {}, "editing_id": editing_id})
    status = exc.status if isinstance(exc, DomainError) else 422
    return render(request, "deal/detail.html", actor, session, status_code=status, **ctx)


@router.post("/deals/{deal_id}/line-items", dependencies=[Depends(verify_csrf)])
def add_line(
    request: Request, form: PostedForm, deal_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    """Add a line (POST /api/v1/deals/{id}/line-items): a product of the price book (its
    price in the deal's currency unless one is typed) or a named line with its price."""
    values = _line_values(form, (*LINE_TEXT, "product_id", "term_months", "is_recurring"))
    body_values = dict(values)
    if "is_recurring" in body_values:
        body_values["is_recurring"] = body_values["is_recurring"] in TRUE
    try:
        body = LineItemCreate.model_validate(body_values)
        with session.begin_nested():
            item = deal_lines.add_line_item(session, actor, deal_id, body)
    except (ValidationError, DomainError) as exc:
        return _line_page(request, session, actor, deal_id, exc, values=values)
    request.session["flash"] = f"Line added: {item.name}"
    return RedirectResponse(f"/deals/{deal_id}#lines-h", status_code=303)


@router.post("/deals/{deal_id}/line-items/{item_id}", dependencies=[Depends(verify_csrf)])
def update_line(
    request: Request,
    form: PostedForm,
    deal_id: uuid.UUID,
    item_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
) -> Response:
    """Change a line (PATCH /api/v1/deals/{id}/line-items/{item}): the edit form posts every
    input; an empty term clears it, an empty MRR keeps the stored one."""
    values = _line_values(form, LINE_TEXT)
    values.setdefault("discount_percent", "0")
    values["is_recurring"] = str(form.get("is_recurring") or "") in TRUE
    term = str(form.get("term_months") or "").strip()
    values["term_months"] = term or None
    try:
        body = LineItemUpdate.model_validate(values)
        with session.begin_nested():
            item = deal_lines.update_line_item(session, actor, deal_id, item_id, body)
    except (ValidationError, DomainError) as exc:
        return _line_page(request, session, actor, deal_id, exc, editing_id=item_id)
    request.session["flash"] = f"Line saved: {item.name}"
    return RedirectResponse(f"/deals/{deal_id}#lines-h", status_code=303)


@router.post("/deals/{deal_id}/line-items/{item_id}/delete", dependencies=[Depends(verify_csrf)])
def delete_line(
    request: Request,
    deal_id: uuid.UUID,
    item_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
) -> Response:
    try:
        with session.begin_nested():
            deal_lines.delete_line_item(session, actor, deal_id, item_id)
    except DomainError as exc:
        return _line_page(request, session, actor, deal_id, exc)
    request.session["flash"] = "Line removed"
    return RedirectResponse(f"/deals/{deal_id}#lines-h", status_code=303)


@router.post("/deals/{deal_id}/quote", dependencies=[Depends(verify_csrf)])
def quote_from_deal(
    request: Request, deal_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    """A draft quote copying the deal's lines (POST /api/v1/quotes/from-deal/{id})."""
    try:
        with session.begin_nested():
            quote = quote_service.quote_from_deal(session, actor, deal_id)
    except DomainError as exc:
        return _line_page(request, session, actor, deal_id, exc, key="action_error")
    request.session["flash"] = f"Draft quote {quote.number} made from the deal"
    return RedirectResponse(f"/quotes/{quote.id}", status_code=303)


@router.post("/deals/{deal_id}/order", dependencies=[Depends(verify_csrf)])
def order_from_deal(
    request: Request, deal_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    """The won deal's order (POST /api/v1/orders/from-deal/{id}): the existing one if any."""
    try:
        with session.begin_nested():
            order, created = order_service.order_from_deal(session, actor, deal_id)
    except DomainError as exc:
        return _line_page(request, session, actor, deal_id, exc, key="action_error")
    request.session["flash"] = (
        f"Order {order.number} made" if created else f"This deal already has order {order.number}"
    )
    return RedirectResponse(f"/orders/{order.id}", status_code=303)
