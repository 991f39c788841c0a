"""The pipeline board (/deals/board), stage moves from the board and the deal page, and the
deal record page (stage progress, history, line items)."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.repository import unscoped
from nexa.deal import line_items as deal_lines
from nexa.deal import stages as deal_stages
from nexa.deal.schemas import LineItemCreate
from nexa.models import Deal, Order, Quote
from nexa.web.deal import routes as deal_routes
from tests.factories.account import make_account
from tests.factories.deal import make_deal
from tests.factories.order import insert_deal
from tests.factories.product import make_product
from tests.web.conftest import count_queries, form_post, sign_in

STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost")


def column(html: str, key: str) -> str:
    """The HTML of one stage column."""
    match = re.search(
        rf'<section class="stage-column[^"]*" data-stage="{key}".*?</section>', html, re.S
    )
    assert match, f"no column {key}"
    return match.group(0)


def stage_of(db: Any, deal_id: uuid.UUID) -> Deal:
    deal = db.get(Deal, deal_id)
    db.refresh(deal)
    return deal


def test_board_has_a_column_per_stage_with_count_total_and_weighted(
    client: Any, db: Any, users: Any
) -> None:
    rep = users.rep.actor
    make_deal(db, rep, name="Alpha", amount=Decimal("1000"))
    make_deal(db, rep, name="Beta", amount=Decimal("3000"))
    moved = make_deal(db, rep, name="Gamma", amount=Decimal("2000"))
    deal_stages.move_deal_stage(db, rep, moved.id, "proposal")
    db.commit()
    sign_in(client, users.rep)
    r = client.get("/deals/board")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    positions = [html.index(f'data-stage="{key}"') for key in STAGES]
    assert positions == sorted(positions)  # columns in stage order
    prospecting = column(html, "prospecting")
    assert 'data-testid="stage-count">2<' in prospecting
    assert "$4,000" in prospecting and "$400" in prospecting  # total, weighted 10 %
    assert "Alpha" in prospecting and "Beta" in prospecting and "Gamma" not in prospecting
    proposal = column(html, "proposal")
    assert 'data-testid="stage-count">1<' in proposal and "$1,000" in proposal  # 50 %
    # the weighted pipeline over the open stages: 400 + 1,000
    assert re.search(r'data-testid="weighted-total">\$1,400<', html)
    # every card: link, amount, owner, days in stage, draggable, and the no-drag fallback
    card = re.search(
        rf'<article class="deal-card[^"]*" data-deal-id="{moved.id}".*?</article>', html, re.S
    )
    assert card
    text = card.group(0)
    assert f'href="/deals/{moved.id}"' in text and 'draggable="true"' in text
    assert "$2,000" in text and users.rep.user.full_name in text and "0 days" in text
    assert 'name="stage" aria-label="Move to stage"' in text and ">Move</button>" in text
    assert 'src="/static/js/board.js"' in html and "<script>" not in html


def test_move_with_the_fallback_form_changes_the_stage_and_writes_history(
    client: Any, db: Any, users: Any
) -> None:
    deal = make_deal(db, users.rep.actor, name="Move me", amount=Decimal("5000"))
    db.commit()
    csrf = sign_in(client, users.rep)
    board = f"pipeline_id={deal.pipeline_id}&owner=me"
    r = form_post(client, f"/deals/{deal.id}/stage", csrf, {"stage": "negotiation", "board": board})
    assert r.status_code == 303, r.text[:500]
    assert r.headers["location"] == f"/deals/board?{board}"
    after = stage_of(db, deal.id)
    assert after.stage == "negotiation" and after.probability == 75
    assert after.weighted_value == Decimal("3750.00")
    history = deal_stages.stage_history(db, users.rep.actor, deal.id)
    assert [(h.from_stage, h.to_stage) for h in history] == [
        (None, "prospecting"),
        ("prospecting", "negotiation"),
    ]
    page = client.get(r.headers["location"])
    assert "Move me moved to Negotiation" in page.text  # the flash
    assert "Move me" in column(page.text, "negotiation")


def test_move_from_the_script_answers_with_the_new_board(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor, name="Dragged", amount=Decimal("1000"))
    db.commit()
    csrf = sign_in(client, users.rep)
    r = client.post(
        f"/deals/{deal.id}/stage",
        data={"stage": "qualification", "board": f"pipeline_id={deal.pipeline_id}"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert r.status_code == 200, r.text[:500]
    assert "<html" not in r.text  # the board alone
    assert "Dragged" in column(r.text, "qualification")
    assert "Dragged" not in column(r.text, "prospecting")
    assert "Dragged moved to Qualification" in r.text
    assert 'data-testid="weighted-total">$250<' in r.text


def test_closed_lost_needs_a_reason(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor, name="Risky", amount=Decimal("1000"))
    db.commit()
    csrf = sign_in(client, users.rep)
    url = f"/deals/{deal.id}/stage"
    board = f"pipeline_id={deal.pipeline_id}"
    # from a plain form: 422, the service's message, and the form again with the reason input
    r = form_post(client, url, csrf, {"stage": "closed_lost", "board": board})
    assert r.status_code == 422
    assert "say why the deal was lost" in r.text
    assert 'name="lost_reason"' in r.text and ">Mark lost</button>" in r.text
    # from the board's script: 422 and the message alone
    r = client.post(
        url,
        data={"stage": "closed_lost", "lost_reason": "  ", "board": board},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert r.status_code == 422
    assert 'data-field="lost_reason"' in r.text and "say why the deal was lost" in r.text
    assert stage_of(db, deal.id).stage == "prospecting"
    # with the reason it closes
    r = form_post(
        client,
        url,
        csrf,
        {"stage": "closed_lost", "lost_reason": "Went with a rival", "board": board},
    )
    assert r.status_code == 303, r.text[:500]
    after = stage_of(db, deal.id)
    assert after.stage_kind == "lost" and after.lost_reason == "Went with a rival"
    assert after.closed_at is not None


def test_closing_won_from_the_board(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor, name="Winner", amount=Decimal("8000"))
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/deals/{deal.id}/stage", csrf, {"stage": "closed_won", "board": ""})
    assert r.status_code == 303
    assert r.headers["location"] == f"/deals/{deal.id}"  # not from the board: the deal page
    after = stage_of(db, deal.id)
    assert after.stage_kind == "won" and after.probability == 100


def test_unknown_stage_and_bad_csrf_are_refused(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/deals/{deal.id}/stage", csrf, {"stage": "nowhere"})
    assert r.status_code == 422 and "has no stage" in r.text
    r = client.post(f"/deals/{deal.id}/stage", data={"stage": "proposal", "csrf_token": "forged"})
    assert r.status_code == 403
    assert stage_of(db, deal.id).stage == "prospecting"


def test_a_rep_sees_only_deals_they_may_read(client: Any, db: Any, users: Any) -> None:
    mine = make_deal(db, users.rep.actor, name="Mine deal")
    teammate = make_deal(db, users.teammate.actor, name="Teammate deal")
    other = make_deal(db, users.other_rep.actor, name="Other team deal")
    db.commit()
    csrf = sign_in(client, users.rep)
    html = client.get("/deals/board").text
    assert "Mine deal" in html
    assert "Teammate deal" not in html and "Other team deal" not in html
    assert 'data-testid="stage-count">1<' in column(html, "prospecting")
    # nor can they move one they cannot see
    r = form_post(client, f"/deals/{other.id}/stage", csrf, {"stage": "proposal"})
    assert r.status_code == 404
    # a manager sees the team's deals, not the other team's
    sign_in(client, users.manager)
    html = client.get("/deals/board").text
    assert "Mine deal" in html and "Teammate deal" in html and "Other team deal" not in html
    # owner filter: one person's deals
    html = client.get(f"/deals/board?owner={users.teammate.id}").text
    assert "Teammate deal" in html and "Mine deal" not in html
    assert mine.id and teammate.id


def test_owner_and_close_period_filters(client: Any, db: Any, users: Any) -> None:
    today = utcnow().date()
    make_deal(db, users.rep.actor, name="Closing soon", close_date=today)
    make_deal(db, users.rep.actor, name="Closing later", close_date=today + timedelta(days=400))
    make_deal(db, users.teammate.actor, name="Teammate close", close_date=today)
    db.commit()
    sign_in(client, users.manager)
    html = client.get("/deals/board?period=this_month").text
    assert "Closing soon" in html and "Teammate close" in html and "Closing later" not in html
    html = client.get("/deals/board?period=this_quarter&owner=me").text
    assert "Closing soon" not in html  # the manager owns none
    sign_in(client, users.rep)
    html = client.get("/deals/board?owner=me&period=this_quarter").text
    assert "Closing soon" in html and "Closing later" not in html
    later = (today + timedelta(days=400)).isoformat()
    html = client.get(f"/deals/board?period=custom&close_from={later}&close_to={later}").text
    assert "Closing later" in html and "Closing soon" not in html
    # next quarter starts after this one ends
    start, end = deal_routes.period_bounds("next_quarter", date(2026, 11, 15))
    assert (start, end) == (date(2027, 1, 1), date(2027, 3, 31))
    assert deal_routes.period_bounds("this_month", date(2024, 2, 10)) == (
        date(2024, 2, 1),
        date(2024, 2, 29),
    )


def test_a_bad_filter_is_shown_not_a_crash(client: Any, users: Any) -> None:
    sign_in(client, users.rep)
    r = client.get("/deals/board?period=custom&close_from=2026-05-01&close_to=2026-04-01")
    assert r.status_code == 422
    assert "is after" in r.text and 'data-stage="prospecting"' in r.text
    r = client.get("/deals/board?period=custom&close_from=someday")
    assert r.status_code == 422 and "is not a date" in r.text
    r = client.get("/deals/board?pipeline_id=not-an-id")
    assert r.status_code == 422


def test_a_full_column_links_to_the_rest(
    client: Any, db: Any, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deal_routes, "CARD_CAP", 2)
    first = make_deal(db, users.rep.actor, name="Many 0")
    for i in range(1, 3):
        make_deal(db, users.rep.actor, name=f"Many {i}")
    db.commit()
    csrf = sign_in(client, users.rep)
    html = column(client.get("/deals/board").text, "prospecting")
    assert html.count('class="deal-card') == 2
    assert 'data-testid="stage-count">3<' in html
    assert ">1 more</a>" in html and "/deals?f=pipeline_id%3Aeq%3A" in html
    # newest arrivals first: a card moved into a full column is on the board
    assert "Many 0" not in html
    board = f"pipeline_id={first.pipeline_id}"
    form_post(client, f"/deals/{first.id}/stage", csrf, {"stage": "proposal", "board": board})
    r = client.post(
        f"/deals/{first.id}/stage",
        data={"stage": "prospecting", "board": board},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    html = column(r.text, "prospecting")
    assert "Many 0" in html and html.count('class="deal-card') == 2


def test_read_only_users_see_the_board_without_move_forms(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, owner_id=users.read_only.id)
    db.commit()
    csrf = sign_in(client, users.read_only)
    html = client.get("/deals/board").text
    assert str(deal.id) in html
    assert "move-form" not in html and 'draggable="true"' not in html
    r = form_post(client, f"/deals/{deal.id}/stage", csrf, {"stage": "proposal"})
    assert r.status_code == 403


def test_the_deal_page_shows_progress_history_and_line_items(
    client: Any, db: Any, users: Any
) -> None:
    rep = users.rep.actor
    deal = make_deal(db, rep, name="Detailed", amount=Decimal("1000"))
    deal_lines.add_line_item(
        db,
        rep,
        deal.id,
        LineItemCreate(name="Seats", quantity=Decimal("4"), unit_price=Decimal("500")),
    )
    deal_stages.move_deal_stage(db, rep, deal.id, "proposal")
    db.commit()
    csrf = sign_in(client, users.rep)
    r = client.get(f"/deals/{deal.id}")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert "Stage history" in html and "Prospecting → <strong>Proposal</strong>" in html
    assert "Line items" in html and "Seats" in html and "$2,000" in html
    assert re.search(r'class="step current[^"]*" aria-current="step"', html)
    assert 'data-testid="deal-weighted">$1,000<' in html  # 2,000 at 50 %
    assert 'data-testid="days-in-stage">0<' in html and 'data-testid="sales-cycle"' in html
    assert ">Mark lost</button>" in html
    # the progress bar's buttons move the deal, back to the deal page
    r = form_post(client, f"/deals/{deal.id}/stage", csrf, {"stage": "negotiation"})
    assert r.status_code == 303 and r.headers["location"] == f"/deals/{deal.id}"
    html = client.get(f"/deals/{deal.id}").text
    assert "Proposal → <strong>Negotiation</strong>" in html
    assert "moved to Negotiation" in html


def test_board_query_count_does_not_grow_with_deals(client: Any, db: Any, users: Any) -> None:
    make_deal(db, users.rep.actor, account_id=None)
    db.commit()
    sign_in(client, users.rep)
    client.get("/deals/board")

    def counted() -> int:
        db.info.pop("web_choices", None)  # per-request caches start cold, as in production
        with count_queries() as statements:
            assert client.get("/deals/board").status_code == 200
        return len(statements)

    one = counted()
    for i in range(19):
        deal = make_deal(db, users.rep.actor, name=f"Bulk {i}")
        if i % 3 == 0:
            deal_stages.move_deal_stage(db, users.rep.actor, deal.id, "proposal")
    db.commit()
    twenty = counted()
    assert one == twenty, (one, twenty)


def test_deal_page_query_count_does_not_grow_with_history(client: Any, db: Any, users: Any) -> None:
    rep = users.rep.actor
    deal = make_deal(db, rep)
    db.commit()
    sign_in(client, users.rep)
    client.get(f"/deals/{deal.id}")

    def counted() -> int:
        db.info.pop("web_choices", None)
        with count_queries() as statements:
            assert client.get(f"/deals/{deal.id}").status_code == 200
        return len(statements)

    one = counted()
    for stage in ("qualification", "proposal", "negotiation", "proposal", "qualification"):
        deal_stages.move_deal_stage(db, rep, deal.id, stage)
    for i in range(4):
        deal_lines.add_line_item(
            db, rep, deal.id, LineItemCreate(name=f"Line {i}", unit_price=Decimal("10"))
        )
    db.commit()
    assert counted() == one


# ---- the line items editor, quote and order from the deal ------------------------------------


def lines_of(db: Any, deal_id: uuid.UUID) -> list[Any]:
    return deal_lines.list_line_items(db, SYSTEM, deal_id)


def test_add_a_price_book_line_and_the_amount_follows(client: Any, db: Any, users: Any) -> None:
    product = make_product(db, name="Seat licence", prices={"USD": "120.00", "EUR": "110.00"})
    make_product(db, name="Old thing", active=False)
    deal = make_deal(db, users.rep.actor, name="Seats deal", amount=Decimal("1"))
    db.commit()
    csrf = sign_in(client, users.rep)
    page = client.get(f"/deals/{deal.id}").text
    assert f'<option value="{product.id}"' in page and 'data-price="120.00"' in page
    assert "Old thing" not in page  # inactive products are not offered
    assert 'src="/static/js/commerce.js"' in page

    r = form_post(
        client,
        f"/deals/{deal.id}/line-items",
        csrf,
        {"product_id": str(product.id), "quantity": "5", "discount_percent": "10"},
    )
    assert r.status_code == 303, r.text[:500]
    (line,) = lines_of(db, deal.id)
    assert line.name == "Seat licence" and line.unit_price == Decimal("120.00")
    assert line.total == Decimal("540.00")
    page = client.get(f"/deals/{deal.id}").text
    assert "Line added: Seat licence" in page
    assert 'data-testid="deal-amount">$540<' in page  # recomputed by the service


def test_a_refused_line_is_shown_with_what_was_typed(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor, amount=Decimal("1000"))
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/deals/{deal.id}/line-items", csrf, {"name": "Consulting days"})
    assert r.status_code == 422
    assert 'data-testid="line-error">give a unit price<' in r.text
    assert 'value="Consulting days"' in r.text  # the add form keeps the input
    r = form_post(client, f"/deals/{deal.id}/line-items", csrf, {"name": "X", "unit_price": "-5"})
    assert r.status_code == 422 and 'data-testid="line-error">Unit price: ' in r.text
    assert lines_of(db, deal.id) == []


def test_edit_and_remove_a_line(client: Any, db: Any, users: Any) -> None:
    rep = users.rep.actor
    deal = make_deal(db, rep, amount=Decimal("1"))
    first = deal_lines.add_line_item(
        db, rep, deal.id, LineItemCreate(name="Setup", unit_price=Decimal("300"))
    )
    second = deal_lines.add_line_item(
        db, rep, deal.id, LineItemCreate(name="Training", unit_price=Decimal("200"))
    )
    db.commit()
    csrf = sign_in(client, users.rep)
    url = f"/deals/{deal.id}/line-items/{first.id}"
    edit = {"name": "Setup (on site)", "quantity": "2", "unit_price": "300", "discount_percent": ""}
    r = form_post(client, url, csrf, edit | {"is_recurring": "true", "term_months": "12"})
    assert r.status_code == 303, r.text[:500]
    changed = next(li for li in lines_of(db, deal.id) if li.id == first.id)
    assert changed.name == "Setup (on site)" and changed.total == Decimal("600.00")
    assert changed.is_recurring and changed.term_months == 12
    page = client.get(f"/deals/{deal.id}").text
    assert 'data-testid="deal-amount">$800<' in page

    r = form_post(client, url, csrf, edit | {"quantity": "0"})
    assert r.status_code == 422 and 'data-testid="line-error">Quantity: ' in r.text
    assert f'id="line-{first.id}"' in r.text

    r = form_post(client, f"/deals/{deal.id}/line-items/{second.id}/delete", csrf, {})
    assert r.status_code == 303, r.text[:500]
    assert [li.id for li in lines_of(db, deal.id)] == [first.id]
    page = client.get(f"/deals/{deal.id}").text
    assert "Line removed" in page and 'data-testid="deal-amount">$600<' in page
    r = form_post(client, f"/deals/{deal.id}/line-items/{second.id}/delete", csrf, {})
    assert r.status_code == 404 and 'data-testid="line-error">' in r.text


def test_quote_from_the_deal(client: Any, db: Any, users: Any) -> None:
    rep = users.rep.actor
    account = make_account(db, rep, name="Quoted Inc")
    deal = make_deal(db, rep, name="Quote me", account_id=account.id)
    deal_lines.add_line_item(
        db, rep, deal.id, LineItemCreate(name="Widgets", unit_price=Decimal("75"))
    )
    db.commit()
    csrf = sign_in(client, users.rep)
    page = client.get(f"/deals/{deal.id}").text
    link = f'href="/quotes/new?deal_id={deal.id}&amp;account_id={account.id}"'
    assert link in page and "Create quote from this deal" in page
    form = client.get(f"/quotes/new?deal_id={deal.id}&account_id={account.id}")
    assert form.status_code == 200 and str(deal.id) in form.text and "Quoted Inc" in form.text

    r = form_post(client, f"/deals/{deal.id}/quote", csrf, {})
    assert r.status_code == 303, r.text[:500]
    quote = db.scalars(unscoped(select(Quote).where(Quote.deal_id == deal.id))).one()
    assert r.headers["location"] == f"/quotes/{quote.id}"
    page = client.get(r.headers["location"]).text
    assert "Widgets" in page and 'data-testid="grand-total">$75.00<' in page


def test_make_order_for_a_won_deal_only(client: Any, db: Any, users: Any) -> None:
    won = insert_deal(db, owner_id=users.rep.id, stage="closed_won", name="Won one")
    open_deal = insert_deal(db, owner_id=users.rep.id, stage="proposal")
    db.commit()
    csrf = sign_in(client, users.rep)
    assert f'action="/deals/{won.id}/order"' in client.get(f"/deals/{won.id}").text
    assert f'action="/deals/{open_deal.id}/order"' not in client.get(f"/deals/{open_deal.id}").text

    r = form_post(client, f"/deals/{won.id}/order", csrf, {})
    assert r.status_code == 303, r.text[:500]
    order = db.scalars(unscoped(select(Order).where(Order.deal_id == won.id))).one()
    assert r.headers["location"] == f"/orders/{order.id}"
    assert f"Order {order.number} made" in client.get(r.headers["location"]).text
    page = client.get(f"/deals/{won.id}").text  # now a link to it, not the button
    assert f'href="/orders/{order.id}" data-action="open-order"' in page
    assert f'action="/deals/{won.id}/order"' not in page

    r = form_post(client, f"/deals/{open_deal.id}/order", csrf, {})
    assert r.status_code == 409
    assert 'data-testid="action-error">only a won deal becomes an order<' in r.text


def test_a_rep_cannot_change_another_teams_deal(client: Any, db: Any, users: Any) -> None:
    other = users.other_rep.actor
    deal = make_deal(db, other, amount=Decimal("1000"))
    line = deal_lines.add_line_item(
        db, other, deal.id, LineItemCreate(name="Theirs", unit_price=Decimal("10"))
    )
    won = insert_deal(db, owner_id=users.other_rep.id, stage="closed_won")
    db.commit()
    csrf = sign_in(client, users.rep)
    base = f"/deals/{deal.id}/line-items"
    attempts = [
        (base, {"name": "Mine", "unit_price": "1"}),
        (f"{base}/{line.id}", {"name": "Mine", "quantity": "1", "unit_price": "1"}),
        (f"{base}/{line.id}/delete", {}),
        (f"/deals/{deal.id}/quote", {}),
        (f"/deals/{won.id}/order", {}),
    ]
    for url, data in attempts:
        r = form_post(client, url, csrf, data)
        assert r.status_code == 404, (url, r.status_code)
    assert [li.name for li in lines_of(db, deal.id)] == ["Theirs"]


def test_deal_page_query_count_does_not_grow_with_line_items(
    client: Any, db: Any, users: Any
) -> None:
    rep = users.rep.actor
    products = [make_product(db, name=f"Product {i}") for i in range(3)]

    def deal_with(count: int) -> Deal:
        deal = make_deal(db, rep)
        for i in range(count):
            deal_lines.add_line_item(
                db, rep, deal.id, LineItemCreate(product_id=products[i % 3].id)
            )
        return deal

    one, ten = deal_with(1), deal_with(10)
    db.commit()
    sign_in(client, users.rep)

    def counted(deal: Deal) -> int:
        db.info.pop("web_choices", None)
        client.get(f"/deals/{deal.id}")
        with count_queries() as statements:
            assert client.get(f"/deals/{deal.id}").status_code == 200
        return len(statements)

    assert counted(one) == counted(ten)
