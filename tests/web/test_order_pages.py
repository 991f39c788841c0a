"""The order page: line items and totals, links to where it came from (quote, deal,
account), the status moves of the order service, team privacy and the query count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nexa.models import Order
from nexa.order.flows import accept_quote
from nexa.order.service import create_order_from_deal
from nexa.quote.service import QuoteService
from tests.factories.account import make_account
from tests.factories.order import insert_deal, make_order
from tests.factories.quote import make_quote
from tests.web.conftest import count_queries, form_post, sign_in


def reload(db: Any, order_id: Any) -> Order:
    order = db.get(Order, order_id)
    db.refresh(order)
    return order


def order_of_quote(db: Any, users: Any) -> Order:
    rep = users.rep.actor
    account = make_account(db, rep, name="Acme Ltd")
    deal = insert_deal(db, owner_id=users.rep.id, name="Acme renewal", account_id=account.id)
    quote = make_quote(
        db,
        rep,
        name="Acme quote",
        deal_id=deal.id,
        account_id=account.id,
        lines=[
            {"name": "Seats", "quantity": Decimal("3"), "unit_price": Decimal("200")},
            {"name": "Hosting", "unit_price": Decimal("50"), "is_recurring": True},
        ],
    )
    service = QuoteService(db, rep)
    service.send(quote.id)
    _, order = accept_quote(db, rep, quote.id)
    return order


def test_the_page_shows_lines_totals_origin_and_actions(client: Any, db: Any, users: Any) -> None:
    order = order_of_quote(db, users)
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/orders/{order.id}")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert "Seats" in html and "Hosting" in html
    assert 'data-testid="grand-total">$650.00<' in html
    assert 'data-testid="mrr">$50.00/month<' in html
    assert f'href="/quotes/{order.quote_id}">Acme quote</a>' in html
    assert f'href="/deals/{order.deal_id}">Acme renewal</a>' in html
    assert f'href="/accounts/{order.account_id}">Acme Ltd</a>' in html
    # made confirmed: it can be fulfilled or cancelled, not confirmed again
    assert 'value="fulfilled"' in html and 'value="cancelled"' in html
    assert 'value="confirmed"' not in html


def test_fulfil_then_a_refused_move(client: Any, db: Any, users: Any) -> None:
    order = make_order(db, users.rep.actor, owner_id=users.rep.id)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(
        client,
        f"/orders/{order.id}/status",
        csrf,
        {"status": "fulfilled", "version": str(order.version)},
    )
    assert r.status_code == 303, r.text[:500]
    assert reload(db, order.id).status == "fulfilled"
    page = client.get(f"/orders/{order.id}").text
    assert f"Order {order.number} is fulfilled" in page
    assert 'name="status"' not in page  # nothing follows fulfilled

    r = form_post(client, f"/orders/{order.id}/status", csrf, {"status": "cancelled"})
    assert r.status_code == 409
    assert 'data-testid="action-error">an order cannot go from fulfilled to cancelled<' in r.text
    assert reload(db, order.id).status == "fulfilled"
    r = form_post(client, f"/orders/{order.id}/status", csrf, {"status": "shipped"})
    assert r.status_code == 422 and 'data-testid="action-error">' in r.text


def test_a_stale_page_is_refused(client: Any, db: Any, users: Any) -> None:
    order = make_order(db, users.rep.actor, owner_id=users.rep.id)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(
        client,
        f"/orders/{order.id}/status",
        csrf,
        {"status": "cancelled", "version": str(order.version + 5)},
    )
    assert r.status_code in (409, 412) and 'data-testid="action-error">' in r.text
    assert reload(db, order.id).status == "confirmed"


def test_a_rep_cannot_see_or_move_another_teams_order(client: Any, db: Any, users: Any) -> None:
    order = make_order(db, users.other_rep.actor, owner_id=users.other_rep.id)
    db.commit()
    csrf = sign_in(client, users.rep)
    assert client.get(f"/orders/{order.id}").status_code == 404
    r = form_post(client, f"/orders/{order.id}/status", csrf, {"status": "cancelled"})
    assert r.status_code == 404
    assert reload(db, order.id).status == "confirmed"


def test_query_count_does_not_grow_with_lines(client: Any, db: Any, users: Any) -> None:
    def order_with(lines: int) -> Order:
        deal = insert_deal(
            db,
            owner_id=users.rep.id,
            stage="closed_won",
            lines=[{"name": f"Line {i}", "unit_price": "10"} for i in range(lines)],
        )
        return create_order_from_deal(db, users.rep.actor, deal)

    one, ten = order_with(1), order_with(10)
    db.commit()
    sign_in(client, users.rep)

    def counted(order: Order) -> int:
        db.info.pop("web_choices", None)
        client.get(f"/orders/{order.id}")
        with count_queries() as statements:
            assert client.get(f"/orders/{order.id}").status_code == 200
        return len(statements)

    assert counted(one) == counted(ten)
