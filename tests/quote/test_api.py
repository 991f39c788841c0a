"""Quotes over HTTP: pricing from the price book, totals, numbering, revisions, status rules,
the order made on acceptance, the PDF and its sandboxed template."""

from __future__ import annotations

import contextlib
import re
import time
import zlib
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.models import Activity, Order
from nexa.quote.service import expire_quotes
from tests.core.test_query_counts import count_queries
from tests.factories.order import insert_deal
from tests.factories.product import make_product
from tests.factories.quote import make_quote


def _lines(product_id: Any) -> list[dict[str, Any]]:
    return [
        {"product_id": str(product_id), "quantity": "3", "discount_percent": "10"},
        {"name": "Setup", "quantity": "1.5", "unit_price": "99.99", "tax_rate": "7.5"},
        {"name": "Support", "unit_price": "50", "is_recurring": True, "term_months": 12},
    ]


def test_totals_with_discount_tax_and_price_book(client: Any, db: Any, users: Any) -> None:
    product = make_product(db, prices={"USD": "100.00", "EUR": "90.00"}, tax_rate="20")
    db.commit()
    r = client.post(
        "/api/v1/quotes",
        json={"name": "Acme", "currency": "USD", "line_items": _lines(product.id)},
        headers=users.rep.headers,
    )
    assert r.status_code == 201, r.text
    q = r.json()
    assert re.fullmatch(r"Q-\d{6}", q["number"]) and q["revision"] == 1
    assert q["status"] == "draft"
    first = q["line_items"][0]
    assert (first["unit_price"], first["tax_rate"], first["total"]) == (
        "100.00",
        "20.000",
        "270.00",
    )
    assert first["name"] == product.name
    assert q["line_items"][1]["total"] == "149.99"
    assert (q["subtotal"], q["discount_total"], q["tax_total"]) == ("499.99", "30.00", "65.25")
    assert (q["total"], q["total_mrr"]) == ("535.24", "50.00")
    # the EUR price is taken for an EUR quote
    r = client.patch(
        f"/api/v1/quotes/{q['id']}",
        json={"currency": "EUR", "line_items": [{"product_id": str(product.id)}]},
        headers=users.rep.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["line_items"][0]["unit_price"] == "90.00"
    assert (r.json()["subtotal"], r.json()["tax_total"], r.json()["total"]) == (
        "90.00",
        "18.00",
        "108.00",
    )
    assert r.json()["total_mrr"] is None


def test_line_validation_names_the_field(client: Any, db: Any, users: Any) -> None:
    product = make_product(db, prices={"USD": "10.00"})
    db.commit()
    cases = [
        ([{"product_id": str(product.id)}], "GBP", "line_items[0].unit_price"),
        ([{"name": "x", "unit_price": "1"}, {"name": "Free"}], "USD", "line_items[1].unit_price"),
        ([{"unit_price": "1"}], "USD", "line_items[0].name"),
        (
            [{"product_id": "00000000-0000-0000-0000-000000000001"}],
            "USD",
            "line_items[0].product_id",
        ),
        ([{"name": "x", "unit_price": "1", "quantity": "0"}], "USD", "line_items.0.quantity"),
        (
            [{"name": "x", "unit_price": "1", "discount_percent": "150"}],
            "USD",
            "line_items.0.discount_percent",
        ),
        ([{"name": "x", "unit_price": "Infinity"}], "USD", "line_items.0.unit_price"),
    ]
    for lines, currency, field in cases:
        r = client.post(
            "/api/v1/quotes",
            json={"name": "Q", "currency": currency, "line_items": lines},
            headers=users.rep.headers,
        )
        assert r.status_code == 422, (lines, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], r.json()
    r = client.post(
        "/api/v1/quotes", json={"name": "Q", "currency": "usd"}, headers=users.rep.headers
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/quotes",
        json={"name": "Q", "deal_id": "00000000-0000-0000-0000-000000000001"},
        headers=users.rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "deal_id"


def test_quote_defaults_from_the_deal_and_from_deal_copies_lines(
    client: Any, db: Any, users: Any
) -> None:
    product = make_product(db, tax_rate="10")
    deal = insert_deal(
        db,
        owner_id=users.rep.id,
        currency="EUR",
        lines=[
            {
                "name": "Seats",
                "quantity": "10",
                "unit_price": "20",
                "discount_percent": "5",
                "product_id": product.id,
            },
            {"name": "Training", "unit_price": "500"},
        ],
    )
    db.commit()
    r = client.post("/api/v1/quotes", json={"deal_id": str(deal.id)}, headers=users.rep.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["currency"], r.json()["name"]) == ("EUR", deal.name)
    r = client.post(f"/api/v1/quotes/from-deal/{deal.id}", headers=users.rep.headers)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["deal_id"] == str(deal.id) and q["status"] == "draft"
    assert [li["name"] for li in q["line_items"]] == ["Seats", "Training"]
    # 200 − 5 % = 190, tax from the product: 19; training 500 untaxed
    assert (q["subtotal"], q["discount_total"], q["tax_total"], q["total"]) == (
        "700.00",
        "10.00",
        "19.00",
        "709.00",
    )
    # someone who cannot read the deal gets 404
    r = client.post(f"/api/v1/quotes/from-deal/{deal.id}", headers=users.other_rep.headers)
    assert r.status_code == 404
    # the quote's events show on the deal's timeline
    events = db.scalars(
        select(Activity.event).where(Activity.record_type == "deal", Activity.record_id == deal.id)
    ).all()
    assert "quote.created" in events


def test_status_flow_accept_makes_one_order(client: Any, db: Any, users: Any) -> None:
    deal = insert_deal(db, owner_id=users.rep.id)
    quote = make_quote(db, owner_id=users.rep.id, deal_id=deal.id)
    db.commit()
    h = users.rep.headers
    base = f"/api/v1/quotes/{quote.id}"
    assert client.post(f"{base}/accept", headers=h).status_code == 409  # still a draft
    r = client.post(f"{base}/send", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "sent" and r.json()["sent_at"]
    assert client.patch(base, json={"notes": "x"}, headers=h).status_code == 409
    assert client.post(f"{base}/send", headers=h).status_code == 409
    r = client.post(f"{base}/accept", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.json()["decided_at"]
    order = r.json()["order"]
    assert re.fullmatch(r"O-\d{6}", order["number"]) and order["total"] == "100.00"
    assert order["quote_id"] == str(quote.id) and order["deal_id"] == str(deal.id)
    assert client.post(f"{base}/accept", headers=h).status_code == 409
    assert client.post(f"{base}/decline", headers=h).status_code == 409
    orders = db.scalars(
        select(Order.id).where(Order.quote_id == quote.id).execution_options(nexa_scoped=True)
    ).all()
    assert len(orders) == 1
    # the won deal's order is the one made from the quote
    deal.stage_kind = "won"
    db.commit()
    r = client.post(f"/api/v1/orders/from-deal/{deal.id}", headers=h)
    assert r.status_code == 200 and r.json()["id"] == order["id"]


def test_decline_and_revise_keep_the_number(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, owner_id=users.rep.id)
    db.commit()
    h = users.rep.headers
    base = f"/api/v1/quotes/{quote.id}"
    assert client.post(f"{base}/revise", headers=h).status_code == 409  # drafts are edited
    client.post(f"{base}/send", headers=h)
    r = client.post(f"{base}/decline", json={"reason": "Too pricey"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "declined"
    assert r.json()["decline_reason"] == "Too pricey"
    r = client.post(f"{base}/revise", headers=h)
    assert r.status_code == 201, r.text
    new = r.json()
    assert (new["number"], new["revision"], new["status"]) == (quote.number, 2, "draft")
    assert new["previous_id"] == str(quote.id) and new["total"] == "100.00"
    assert client.get(base, headers=h).json()["status"] == "superseded"
    assert client.post(f"{base}/revise", headers=h).status_code == 409
    r = client.patch(f"/api/v1/quotes/{new['id']}", json={"notes": "better"}, headers=h)
    assert r.status_code == 200
    other = make_quote(db, owner_id=users.rep.id)
    assert other.number != quote.number


def test_expired_quotes(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(db, owner_id=users.rep.id, valid_until=utcnow().date() - timedelta(days=1))
    fresh = make_quote(db, owner_id=users.rep.id, valid_until=utcnow().date() + timedelta(days=9))
    db.commit()
    h = users.rep.headers
    for q in (quote, fresh):
        assert client.post(f"/api/v1/quotes/{q.id}/send", headers=h).status_code == 200
    assert client.get(f"/api/v1/quotes/{quote.id}", headers=h).json()["status"] == "expired"
    assert client.post(f"/api/v1/quotes/{quote.id}/accept", headers=h).status_code == 409
    assert expire_quotes(db) == 1
    db.commit()
    assert quote.status == "expired" and fresh.status == "sent"
    r = client.post(f"/api/v1/quotes/{quote.id}/revise", headers=h)
    assert r.status_code == 201 and r.json()["revision"] == 2


def _pdf_text(document: bytes) -> bytes:
    """The PDF's content streams, inflated."""
    out = [document]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", document, re.S):
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(match.group(1)))
    return b"\n".join(out)


def test_pdf_contains_number_and_total(client: Any, db: Any, users: Any) -> None:
    quote = make_quote(
        db,
        owner_id=users.rep.id,
        lines=[{"name": "Big thing <b>", "unit_price": "1234.5", "quantity": "2"}],
    )
    db.commit()
    r = client.get(f"/api/v1/quotes/{quote.id}/pdf", headers=users.rep.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = _pdf_text(r.content)
    assert quote.number.encode() in text
    assert b"2,469.00" in text
    assert (
        client.get(f"/api/v1/quotes/{quote.id}/pdf", headers=users.other_rep.headers).status_code
        == 404
    )


def test_template_is_sandboxed_and_admin_only(client: Any, db: Any, users: Any) -> None:
    r = client.get("/api/v1/quotes/template", headers=users.rep.headers)
    assert r.status_code == 200 and r.json()["is_default"] is True
    good = "<h1>Offer {{ quote.number }}</h1><p>Grand total {{ quote.total }}</p>"
    assert (
        client.put(
            "/api/v1/quotes/template", json={"html": good}, headers=users.rep.headers
        ).status_code
        == 403
    )
    for bad in (
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "{{ quote['__init__'] }}",
        "{{ cycler.__init__.__globals__ }}",
        "{% for x in %}",
        "{{ quote.total | nosuchfilter }}",
        "{{ 1 / 0 }}",
    ):
        r = client.put("/api/v1/quotes/template", json={"html": bad}, headers=users.admin.headers)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["errors"][0]["field"] == "html"
    r = client.put("/api/v1/quotes/template", json={"html": good}, headers=users.admin.headers)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/quotes/template", headers=users.rep.headers).json()["html"] == good
    quote = make_quote(db, owner_id=users.rep.id)
    db.commit()
    text = _pdf_text(
        client.get(f"/api/v1/quotes/{quote.id}/pdf", headers=users.rep.headers).content
    )
    assert b"Grand total 100.00" in text and b"Offer" in text


def test_list_page_of_50_costs_what_a_page_of_1_costs(client: Any, db: Any, users: Any) -> None:
    for _ in range(50):
        make_quote(
            db,
            owner_id=users.rep.id,
            lines=[{"name": "A", "unit_price": "1"}, {"name": "B", "unit_price": "2"}],
        )
    db.commit()
    # warm the per-process actor cache first (nexa.auth.service): the first request
    # resolves the API key; then a page of 1 and a page of 50 are compared
    assert client.get("/api/v1/quotes", headers=users.rep.headers).status_code == 200
    counts = {}
    for limit in (1, 50):
        with count_queries() as statements:
            r = client.get("/api/v1/quotes", headers=users.rep.headers, params={"limit": limit})
        assert r.status_code == 200
        items = r.json()["items"]
        assert len(items) == limit and all(len(i["line_items"]) == 2 for i in items)
        counts[limit] = len(statements)
    assert counts[1] == counts[50], counts


def test_system_actor_can_expire_without_a_request(db: Any) -> None:
    quote = make_quote(db, SYSTEM)
    assert quote.status == "draft" and expire_quotes(db) == 0


def test_template_past_the_render_limits_is_refused_at_save(client: Any, users: Any) -> None:
    """Issue 15: ``{{ 'x' * 1000000000 }}`` never answered and grew the process by GBs."""
    for hostile, reason in (
        ("{{ 'x' * 1000000000 }}", "* repetition"),
        ("{{ 'x'|center(10**9) }}", "center()"),
        ("{{ range(10**9)|list }}", "range()"),
        (
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            "loop iterations",
        ),
    ):
        started = time.monotonic()
        r = client.put(
            "/api/v1/quotes/template", json={"html": hostile}, headers=users.admin.headers
        )
        assert time.monotonic() - started < 8, hostile
        assert r.status_code == 422, (hostile, r.text)
        error = r.json()["errors"][0]
        assert error["field"] == "html"
        assert "exceeds a limit" in error["message"] and reason in error["message"], error
    assert client.get("/api/v1/quotes/template", headers=users.rep.headers).json()["is_default"]


def test_template_past_the_limits_with_real_data_fails_the_pdf_with_the_reason(
    client: Any, db: Any, users: Any
) -> None:
    # 600,000 characters per line: the one-line sample passes, a three-line quote does not
    big = "{% for l in lines %}{{ 'x' * 600000 }}{% endfor %}"
    r = client.put("/api/v1/quotes/template", json={"html": big}, headers=users.admin.headers)
    assert r.status_code == 200, r.text
    quote = make_quote(
        db,
        owner_id=users.rep.id,
        lines=[{"name": n, "unit_price": "1"} for n in ("A", "B", "C")],
    )
    db.commit()
    r = client.get(f"/api/v1/quotes/{quote.id}/pdf", headers=users.rep.headers)
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"] == "template"
    assert "organization's quote template" in error["message"]
    assert "the output would be 1,200,000 characters" in error["message"]
