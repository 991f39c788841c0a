"""The quote page: line items and totals, the status actions (send, accept → order, decline
with a reason, revise), the PDF, team privacy and the page's query count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from nexa.core.repository import unscoped
from nexa.models import Order, Quote
from nexa.quote.service import QuoteService
from tests.factories.quote import make_quote
from tests.web.conftest import count_queries, form_post, sign_in

LINES = [
    {
        "name": "Seats",
        "quantity": Decimal("4"),
        "unit_price": Decimal("250"),
        "discount_percent": Decimal("10"),
        "tax_rate": Decimal("20"),
    },
    {"name": "Support plan", "unit_price": Decimal("100"), "is_recurring": True},
]


def reload(db: Any, quote_id: Any) -> Quote:
    quote = db.get(Quote, quote_id)
    db.refresh(quote)
    return quote


def test_the_page_shows_lines_totals_and_the_draft_actions(
    client: Any, db: Any, users: Any
) -> None:
    quote = make_quote(db, users.rep.actor, name="Big proposal", lines=LINES)
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/quotes/{quote.id}")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert "Seats" in html and "Support plan" in html
    # 4 × 250 = 1,000 less 10 % = 900, tax 20 % = 180; plus 100 recurring
    assert 'data-testid="subtotal">$1,100.00<' in html
    assert 'data-testid="discount">$100.00<' in html
    assert 'data-testid="tax">$180.00<' in html
    assert 'data-testid="grand-total">$1,180.00<' in html
    assert 'data-testid="mrr">$100.00/month<' in html
    assert f'href="/quotes/{quote.id}/quote.pdf"' in html and "Download PDF" in html
    assert f'action="/quotes/{quote.id}/send"' in html
    assert f'action="/quotes/{quote.id}/accept"' not in html  # a draft is not accepted
    assert 'href="/static/css/commerce.css"' in html
    assert "<script>" not in html


def test_send_then_accept_makes_the_order_and_links_it(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, users.rep.actor, lines=LINES)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/quotes/{quote.id}/send", csrf, {})
    assert r.status_code == 303, r.text[:500]
    assert reload(db, quote.id).status == "sent"
    page = client.get(r.headers["location"]).text
    assert f"Quote {quote.number} sent" in page
    assert f'action="/quotes/{quote.id}/accept"' in page
    assert f'action="/quotes/{quote.id}/decline"' in page

    r = form_post(client, f"/quotes/{quote.id}/accept", csrf, {})
    assert r.status_code == 303, r.text[:500]
    assert reload(db, quote.id).status == "accepted"
    order = db.scalars(unscoped(select(Order).where(Order.quote_id == quote.id))).one()
    page = client.get(f"/quotes/{quote.id}").text
    assert f"order {order.number} made" in page  # the flash
    link = f'<a href="/orders/{order.id}" data-testid="order-link">{order.number}</a>'
    assert link in page
    assert f'action="/quotes/{quote.id}/revise"' in page


def test_accepting_a_draft_is_refused_on_the_page(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/quotes/{quote.id}/accept", csrf, {})
    assert r.status_code == 409
    assert 'data-testid="action-error">a draft quote cannot be accepted<' in r.text
    assert "<h1>" in r.text and quote.name in r.text  # the quote page, not a bare error
    assert reload(db, quote.id).status == "draft"
    assert db.scalars(unscoped(select(Order).where(Order.quote_id == quote.id))).first() is None


def test_sending_a_quote_without_lines_is_refused(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, users.rep.actor, lines=[])
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/quotes/{quote.id}/send", csrf, {})
    assert r.status_code == 409
    assert "add at least one line item before sending" in r.text
    assert reload(db, quote.id).status == "draft"


def test_decline_with_a_reason(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, users.rep.actor)
    QuoteService(db, users.rep.actor).send(quote.id)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/quotes/{quote.id}/decline", csrf, {"reason": "x" * 501})
    assert r.status_code == 422
    assert 'data-testid="action-error">' in r.text and "500 characters" in r.text
    assert reload(db, quote.id).status == "sent"

    r = form_post(client, f"/quotes/{quote.id}/decline", csrf, {"reason": "Went with <Acme>"})
    assert r.status_code == 303, r.text[:500]
    after = reload(db, quote.id)
    assert after.status == "declined" and after.decline_reason == "Went with <Acme>"
    page = client.get(f"/quotes/{quote.id}").text
    assert "Declined" in page and "Went with &lt;Acme&gt;" in page


def test_revise_makes_a_new_draft_linked_both_ways(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, users.rep.actor, lines=LINES)
    QuoteService(db, users.rep.actor).send(quote.id)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/quotes/{quote.id}/revise", csrf, {})
    assert r.status_code == 303, r.text[:500]
    new = db.scalars(unscoped(select(Quote).where(Quote.previous_id == quote.id))).one()
    assert r.headers["location"] == f"/quotes/{new.id}"
    assert new.revision == 2 and new.status == "draft"
    page = client.get(f"/quotes/{new.id}").text
    assert f"Revision 2 of {quote.number} is a new draft" in page
    assert f'<a href="/quotes/{quote.id}">Revision 1</a>' in page
    assert "Seats" in page  # the lines were copied
    old = client.get(f"/quotes/{quote.id}").text
    assert "Superseded" in old
    assert f'<a href="/quotes/{new.id}" data-testid="newer-revision">revision 2</a>' in old
    # a superseded quote cannot be revised again
    r = form_post(client, f"/quotes/{quote.id}/revise", csrf, {})
    assert r.status_code == 409 and "a superseded quote cannot be revised" in r.text


def test_the_pdf(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, users.rep.actor, lines=LINES)
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/quotes/{quote.id}/quote.pdf")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert f'filename="{quote.number}-r1.pdf"' in r.headers["content-disposition"]


def test_a_rep_cannot_see_or_act_on_another_teams_quote(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, users.other_rep.actor, lines=LINES)
    db.commit()
    csrf = sign_in(client, users.rep)
    assert client.get(f"/quotes/{quote.id}").status_code == 404
    assert client.get(f"/quotes/{quote.id}/quote.pdf").status_code == 404
    for action in ("send", "accept", "decline", "revise"):
        r = form_post(client, f"/quotes/{quote.id}/{action}", csrf, {})
        assert r.status_code == 404, (action, r.status_code)
    assert reload(db, quote.id).status == "draft"


def test_reading_is_not_writing(client: Any, db: Any, users: Any) -> None:
    """Support reads every quote but may not send one: the page says so (403)."""
    quote = make_quote(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.support)
    page = client.get(f"/quotes/{quote.id}").text
    assert f'action="/quotes/{quote.id}/send"' not in page
    r = form_post(client, f"/quotes/{quote.id}/send", csrf, {})
    assert r.status_code == 403 and 'data-testid="action-error">you may not write' in r.text
    assert reload(db, quote.id).status == "draft"


def test_query_count_does_not_grow_with_lines(client: Any, db: Any, users: Any) -> None:
    one = make_quote(db, users.rep.actor, lines=LINES[:1])
    ten = make_quote(
        db,
        users.rep.actor,
        lines=[{"name": f"Line {i}", "unit_price": Decimal(i + 1)} for i in range(10)],
    )
    for quote in (one, ten):
        QuoteService(db, users.rep.actor).send(quote.id)
        QuoteService(db, users.rep.actor).revise(quote.id)
    db.commit()
    sign_in(client, users.rep)

    def counted(quote: Quote) -> int:
        db.info.pop("web_choices", None)
        client.get(f"/quotes/{quote.id}")
        with count_queries() as statements:
            assert client.get(f"/quotes/{quote.id}").status_code == 200
        return len(statements)

    assert counted(one) == counted(ten)


def test_picking_a_product_brings_its_price_in_the_quotes_currency(
    client: Any, db: Any, users: Any
) -> None:
    """Issue 18 point 9: the product look-up of a line carries the product's unit price in
    the form's currency, which the page fills into the empty unit-price input."""
    from tests.factories.product import make_product

    product = make_product(db, name="Fill Widget", prices={"USD": "120.00", "EUR": "99.50"})
    db.commit()
    sign_in(client, users.rep)
    usd = client.get("/lookup/products", params={"q": "Fill Widget", "currency": "usd"}).text
    assert f'data-value="{product.id}"' in usd and 'data-fill=\'{"unit_price": "120.00"}\'' in usd
    eur = client.get("/lookup/products", params={"q": "Fill Widget", "currency": "EUR"}).text
    assert '"99.50"' in eur
    plain = client.get("/lookup/products", params={"q": "Fill Widget"}).text
    assert "data-fill" not in plain
    assert (
        "data-price-target" in client.get("/quotes/new").text
        or 'data-lookup-url="/lookup/products"' in client.get("/quotes/new").text
    )
