"""Line items recompute the deal; the pipeline report; account roll-ups of deals."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from nexa.models import Product, ProductPrice
from tests.factories.account import make_account
from tests.factories.deal import make_deal, set_rate

API = "/api/v1/deals"


def _product(db: Any, *, price: str | None = "100.00", billing: str = "one_time") -> Product:
    product = Product(
        id=uuid.uuid4(),
        name="Seat licence",
        sku=f"SKU-{uuid.uuid4().hex[:8]}",
        billing_period=billing,
    )
    db.add(product)
    db.flush()
    if price is not None:
        db.add(
            ProductPrice(
                id=uuid.uuid4(), product_id=product.id, currency="USD", unit_price=Decimal(price)
            )
        )
    db.flush()
    return product


def test_line_items_recompute_amount(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    product = _product(db)
    monthly = _product(db, price="50.00", billing="monthly")
    no_price = _product(db, price=None)
    deal = make_deal(db, users.rep.actor, amount=Decimal("1"), stage="proposal")
    db.commit()
    base = f"{API}/{deal.id}/line-items"
    r = client.post(
        base,
        headers=h,
        json={"product_id": str(product.id), "quantity": "3", "discount_percent": "10"},
    )
    assert r.status_code == 201, r.text
    line = r.json()
    assert line["name"] == "Seat licence" and line["unit_price"] == "100.00"
    assert line["total"] == "270.00"
    r = client.post(base, headers=h, json={"product_id": str(monthly.id), "quantity": "2"})
    assert r.status_code == 201 and r.json()["is_recurring"] is True and r.json()["mrr"] == "100.00"
    recurring = r.json()["id"]
    # the monthly value follows a change of quantity unless it is given
    r = client.patch(f"{base}/{recurring}", headers=h, json={"quantity": "4"})
    assert r.status_code == 200 and r.json()["mrr"] == "200.00"
    assert client.get(f"{API}/{deal.id}", headers=h).json()["total_mrr"] == "200.00"
    r = client.patch(f"{base}/{recurring}", headers=h, json={"quantity": "2", "mrr": "100.00"})
    assert r.status_code == 200 and r.json()["mrr"] == "100.00"
    got = client.get(f"{API}/{deal.id}", headers=h).json()
    assert got["amount"] == "370.00" and got["total_mrr"] == "100.00"
    assert got["weighted_value"] == "185.00"
    # a product without a price in the deal's currency needs one given
    r = client.post(base, headers=h, json={"product_id": str(no_price.id)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "unit_price"
    r = client.post(base, headers=h, json={"product_id": str(no_price.id), "unit_price": "5"})
    assert r.status_code == 201
    for bad, field in (
        ({"name": "x", "unit_price": "1", "quantity": "0"}, "quantity"),
        ({"name": "x", "unit_price": "1", "discount_percent": "101"}, "discount_percent"),
    ):
        r = client.post(base, headers=h, json=bad)
        assert r.status_code == 422 and field in str(r.json()["errors"])
    r = client.patch(f"{base}/{line['id']}", headers=h, json={"quantity": "1"})
    assert r.status_code == 200 and r.json()["total"] == "90.00"
    assert client.get(f"{API}/{deal.id}", headers=h).json()["amount"] == "195.00"
    assert client.delete(f"{base}/{line['id']}", headers=h).status_code == 204
    items = client.get(base, headers=users.manager.headers).json()
    assert len(items) == 2
    assert client.get(f"{API}/{deal.id}", headers=h).json()["amount"] == "105.00"
    # the amount follows the lines
    r = client.patch(f"{API}/{deal.id}", headers=h, json={"amount": "9"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
    # reading is not enough to change lines
    r = client.post(base, headers=users.support.headers, json={"name": "x", "unit_price": "1"})
    assert r.status_code == 403


def test_pipeline_report(client: Any, db: Any, users: Any) -> None:
    set_rate(db, "EUR", "2")
    a = users.rep.actor
    make_deal(db, a, amount=Decimal("50000"), stage="qualification")
    make_deal(db, a, amount=Decimal("1000"), currency="EUR", stage="qualification")
    make_deal(db, a, amount=Decimal("10000"), stage="proposal")
    make_deal(db, a, amount=Decimal("7000"), stage="closed_won")
    make_deal(db, users.other_rep.actor, amount=Decimal("99999"), stage="proposal")
    db.commit()
    r = client.get(f"{API}/pipeline", headers=users.rep.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    by_stage = {s["stage"]: s for s in report["stages"]}
    assert next(s["stage"] for s in report["stages"]) == "prospecting"
    assert by_stage["qualification"]["count"] == 2
    assert by_stage["qualification"]["amount"] == "52000.00"
    assert by_stage["qualification"]["weighted"] == "13000.00"
    assert by_stage["proposal"]["amount"] == "10000.00"  # the other rep's deal is not readable
    assert report["count"] == 4 and report["amount"] == "69000.00"
    assert report["open_amount"] == "62000.00"
    assert report["weighted"] == "18000.00"  # 13,000 + 5,000; won deals are not weighted
    admin = client.get(
        f"{API}/pipeline", headers=users.admin.headers, params={"owner_id": str(users.other_rep.id)}
    ).json()
    assert admin["count"] == 1
    bad = client.get(
        f"{API}/pipeline",
        headers=users.rep.headers,
        params={"close_from": "2030-01-02", "close_to": "2030-01-01"},
    )
    assert bad.status_code == 422


def test_account_rollup_includes_deals(client: Any, db: Any, users: Any) -> None:
    admin = users.admin.actor
    parent = make_account(db, admin, name=f"Acme {uuid.uuid4().hex[:6]}")
    child = make_account(db, admin, name=f"Acme UK {uuid.uuid4().hex[:6]}", parent_id=parent.id)
    grandchild = make_account(db, admin, name=f"Acme N {uuid.uuid4().hex[:6]}", parent_id=child.id)
    make_deal(db, admin, amount=Decimal("1000"), account_id=parent.id, stage="proposal")
    make_deal(db, admin, amount=Decimal("2000"), account_id=child.id, stage="closed_won")
    make_deal(db, admin, amount=Decimal("4000"), account_id=grandchild.id, stage="qualification")
    make_deal(
        db,
        admin,
        amount=Decimal("8000"),
        account_id=grandchild.id,
        stage="closed_lost",
        lost_reason="Price",
    )
    db.commit()
    r = client.get(f"/api/v1/accounts/{parent.id}/rollup", headers=users.admin.headers)
    assert r.status_code == 200, r.text
    roll = r.json()
    assert roll["deal_currency"] == "USD"
    assert roll["deals_total"] == "1000.00" and roll["open_pipeline"] == "1000.00"
    assert roll["open_weighted"] == "500.00" and roll["closed_won_total"] == "0.00"
    assert roll["deals_total_rolled_up"] == "15000.00"
    assert roll["closed_won_total_rolled_up"] == "2000.00"
    assert roll["open_pipeline_rolled_up"] == "5000.00"
    assert roll["open_weighted_rolled_up"] == "1500.00"
    child_roll = client.get(
        f"/api/v1/accounts/{child.id}/rollup", headers=users.admin.headers
    ).json()
    assert child_roll["deals_total_rolled_up"] == "14000.00"
