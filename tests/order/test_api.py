"""Orders: made from won deals (idempotent) and accepted quotes; status transitions."""

from __future__ import annotations

import re
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.order.service import create_order_from_deal
from tests.factories.order import insert_deal, make_order


def test_from_won_deal_twice_returns_the_same_order(client: Any, db: Any, users: Any) -> None:
    deal = insert_deal(
        db,
        owner_id=users.rep.id,
        stage="closed_won",
        currency="EUR",
        lines=[{"name": "Seats", "quantity": "4", "unit_price": "25", "tax_rate": "10"}],
    )
    db.commit()
    r = client.post(f"/api/v1/orders/from-deal/{deal.id}", headers=users.rep.headers)
    assert r.status_code == 201, r.text
    order = r.json()
    assert re.fullmatch(r"O-\d{6}", order["number"]) and order["status"] == "confirmed"
    assert (order["currency"], order["subtotal"], order["tax_total"], order["total"]) == (
        "EUR",
        "100.00",
        "10.00",
        "110.00",
    )
    assert order["owner_id"] == str(users.rep.id) and order["deal_id"] == str(deal.id)
    r = client.post(f"/api/v1/orders/from-deal/{deal.id}", headers=users.rep.headers)
    assert r.status_code == 200 and r.json()["id"] == order["id"]
    assert create_order_from_deal(db, SYSTEM, deal).id.hex == order["id"].replace("-", "")


def test_deal_without_lines_makes_one_line_of_its_amount(db: Any, users: Any) -> None:
    deal = insert_deal(db, owner_id=users.rep.id, stage="closed_won", amount="4500.00")
    order = create_order_from_deal(db, SYSTEM, deal)
    assert str(order.total) == "4500.00" and order.owner_id == users.rep.id


def test_open_deal_is_409_and_unreadable_deal_404(client: Any, db: Any, users: Any) -> None:
    deal = insert_deal(db, owner_id=users.rep.id, stage="proposal")
    db.commit()
    assert (
        client.post(f"/api/v1/orders/from-deal/{deal.id}", headers=users.rep.headers).status_code
        == 409
    )
    other = insert_deal(db, owner_id=users.other_rep.id, stage="closed_won")
    db.commit()
    assert (
        client.post(f"/api/v1/orders/from-deal/{other.id}", headers=users.rep.headers).status_code
        == 404
    )


def test_no_bare_create_and_status_transitions(client: Any, db: Any, users: Any) -> None:
    order = make_order(db, owner_id=users.rep.id)
    db.commit()
    h = users.rep.headers
    assert client.post("/api/v1/orders", json={}, headers=h).status_code in (404, 405)
    base = f"/api/v1/orders/{order.id}"
    r = client.patch(base, json={"status": "draft"}, headers=h)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "status"
    assert (
        client.patch(base, json={"status": "fulfilled", "notes": "shipped"}, headers=h).status_code
        == 200
    )
    assert client.patch(base, json={"status": "cancelled"}, headers=h).status_code == 409
    assert client.patch(base, json={"status": "lost"}, headers=h).status_code == 422
    assert client.get(base, headers=users.other_rep.headers).status_code == 404
    assert client.delete(base, headers=h).status_code == 204
    assert client.post(f"{base}/restore", headers=h).status_code == 200


def test_cancelled_order_lets_the_deal_make_a_new_one(client: Any, db: Any, users: Any) -> None:
    order = make_order(db, owner_id=users.rep.id)
    db.commit()
    r = client.patch(
        f"/api/v1/orders/{order.id}", json={"status": "cancelled"}, headers=users.rep.headers
    )
    assert r.status_code == 200
    r = client.post(f"/api/v1/orders/from-deal/{order.deal_id}", headers=users.rep.headers)
    assert r.status_code == 201 and r.json()["id"] != str(order.id)
