"""The price book over HTTP: prices per currency, uniqueness, validation, one query a page."""

from __future__ import annotations

from typing import Any

from tests.core.test_query_counts import count_queries
from tests.factories.product import make_product


def test_create_with_prices_and_read_price_per_currency(client: Any, users: Any) -> None:
    body = {
        "name": "Enterprise seat",
        "sku": "ENT-1",
        "billing_period": "monthly",
        "tax_rate": "20",
        "prices": [
            {"currency": "USD", "unit_price": "49.00"},
            {"currency": "EUR", "unit_price": "45.50"},
        ],
    }
    r = client.post("/api/v1/products", json=body, headers=users.manager.headers)
    assert r.status_code == 201, r.text
    product = r.json()
    assert {(p["currency"], p["unit_price"]) for p in product["prices"]} == {
        ("EUR", "45.50"),
        ("USD", "49.00"),
    }
    r = client.get(
        f"/api/v1/products/{product['id']}/price",
        params={"currency": "EUR"},
        headers=users.rep.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["unit_price"] == "45.50"
    r = client.get(
        f"/api/v1/products/{product['id']}/price",
        params={"currency": "GBP"},
        headers=users.rep.headers,
    )
    assert r.status_code == 404
    r = client.get(
        f"/api/v1/products/{product['id']}/price",
        params={"currency": "eur"},
        headers=users.rep.headers,
    )
    assert r.status_code == 422


def test_update_replaces_the_price_set(client: Any, db: Any, users: Any) -> None:
    product = make_product(db, prices={"USD": "10.00", "EUR": "9.00"})
    db.commit()
    r = client.patch(
        f"/api/v1/products/{product.id}",
        json={"prices": [{"currency": "GBP", "unit_price": "8.00"}]},
        headers=users.admin.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["prices"] == [{"currency": "GBP", "unit_price": "8.00"}]
    assert r.json()["version"] == product.version
    assert r.headers["etag"]
    r = client.get(f"/api/v1/products/{product.id}", headers=users.rep.headers)
    assert r.json()["prices"] == [{"currency": "GBP", "unit_price": "8.00"}]


def test_sku_is_unique_among_live_products(client: Any, db: Any, users: Any) -> None:
    make_product(db, sku="DUP-1")
    db.commit()
    r = client.post(
        "/api/v1/products", json={"name": "Twin", "sku": "dup-1"}, headers=users.admin.headers
    )
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "sku"


def test_bad_input_names_the_field(client: Any, users: Any) -> None:
    cases = [
        ({"name": "A", "sku": "A1", "billing_period": "weekly"}, "billing_period"),
        ({"name": "A", "sku": "A1", "tax_rate": "101"}, "tax_rate"),
        ({"name": "A", "sku": "A1", "prices": [{"currency": "usd", "unit_price": "1"}]}, "prices"),
        ({"name": "A", "sku": "A1", "prices": [{"currency": "USD", "unit_price": "-1"}]}, "prices"),
        (
            {"name": "A", "sku": "A1", "prices": [{"currency": "USD", "unit_price": "1e20"}]},
            "prices",
        ),
        (
            {"name": "A", "sku": "A1", "prices": [{"currency": "USD", "unit_price": "NaN"}]},
            "prices",
        ),
        (
            {
                "name": "A",
                "sku": "A1",
                "prices": [
                    {"currency": "USD", "unit_price": "1"},
                    {"currency": "USD", "unit_price": "2"},
                ],
            },
            "prices",
        ),
        ({"name": "", "sku": "A1"}, "name"),
        ({"name": "A", "sku": "A1", "owner_id": None}, "owner_id"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/products", json=body, headers=users.admin.headers)
        assert r.status_code == 422, (body, r.text)
        assert any(e["field"].startswith(field) for e in r.json()["errors"]), (body, r.json())


def test_rep_reads_but_cannot_change_products(client: Any, db: Any, users: Any) -> None:
    product = make_product(db)
    db.commit()
    assert client.get("/api/v1/products", headers=users.read_only.headers).status_code == 200
    r = client.patch(
        f"/api/v1/products/{product.id}", json={"name": "X"}, headers=users.rep.headers
    )
    assert r.status_code == 403
    r = client.post("/api/v1/products", json={"name": "X", "sku": "X"}, headers=users.rep.headers)
    assert r.status_code == 403


def test_custom_fields_on_products(client: Any, users: Any) -> None:
    r = client.post(
        "/api/v1/custom-fields",
        json={"object_type": "product", "key": "warranty", "label": "W", "field_type": "text"},
        headers=users.admin.headers,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/products",
        json={"name": "W", "sku": "W-1", "custom_fields": {"warranty": "2 years"}},
        headers=users.admin.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["custom_fields"] == {"warranty": "2 years"}


def test_list_page_of_50_costs_what_a_page_of_1_costs(client: Any, db: Any, users: Any) -> None:
    for i in range(50):
        make_product(db, prices={"USD": f"{i}.00", "EUR": f"{i}.50"})
    db.commit()
    # warm the per-process actor cache first (nexa.auth.service): the first request
    # resolves the API key; then a page of 1 and a page of 50 are compared
    assert client.get("/api/v1/products", headers=users.rep.headers).status_code == 200
    counts = {}
    for limit in (1, 50):
        with count_queries() as statements:
            r = client.get("/api/v1/products", headers=users.rep.headers, params={"limit": limit})
        assert r.status_code == 200
        items = r.json()["items"]
        assert len(items) == limit
        assert all(len(item["prices"]) == 2 for item in items)
        counts[limit] = len(statements)
    assert counts[1] == counts[50], counts
