"""Money stays inside its columns (issue 15): every amount, price, quantity and computed
total is bounded (a 422 naming the field), currencies are ISO 4217 codes, revenue and
prices are never negative. Run on SQLite and PostgreSQL (NEXA_TEST_DB=postgresql): on
PostgreSQL an overflow of NUMERIC(18, 2) was a 500, on SQLite a 23-digit total stored."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from nexa.core.errors import ValidationFailed
from nexa.core.money import (
    ISO_4217,
    MAX_TOTAL,
    Amount,
    CurrencyCode,
    Quantity,
    check_total,
)
from nexa.models import Deal, Quote
from tests.factories.deal import make_deal, set_rate
from tests.factories.imports import csv_text
from tests.factories.product import make_product

ALL = {"nexa_scoped": True}  # the test reads the whole table on purpose
HUGE_LINE = {"name": "Everything", "quantity": "1000000000", "unit_price": "10000000000000"}


def _errors(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["message"] for e in r.json()["errors"]}


# -- the shared types ---------------------------------------------------------------------
class _Sample(BaseModel):
    currency: CurrencyCode
    amount: Amount
    quantity: Quantity


def test_shared_types_refuse_unknown_currencies_negatives_and_huge_values() -> None:
    assert {"USD", "EUR", "GBP", "JPY", "CHF", "XCG"} <= ISO_4217
    assert not {"ZZZ", "XXX", "XTS", "ABC"} & ISO_4217
    ok = _Sample(currency="EUR", amount=Decimal("1e13"), quantity=Decimal("1e9"))
    assert ok.currency == "EUR"
    for bad, field in (
        ({"currency": "ZZZ"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"amount": "-0.01"}, "amount"),
        ({"amount": "10000000000000.01"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "1000000001"}, "quantity"),
    ):
        data = {"currency": "EUR", "amount": "1", "quantity": "1", **bad}
        with pytest.raises(ValidationError) as caught:
            _Sample.model_validate(data)
        assert [e["loc"] for e in caught.value.errors()] == [(field,)], bad
    assert check_total(MAX_TOTAL, "total", "x") == MAX_TOTAL
    with pytest.raises(ValidationFailed) as refused:
        check_total(MAX_TOTAL + Decimal("0.01"), "total", "the quote's total")
    assert refused.value.field == "total" and "the quote's total" in refused.value.detail


# -- quotes -------------------------------------------------------------------------------
def test_quote_line_past_the_bounds_is_refused_naming_the_field(
    client: Any, db: Any, users: Any
) -> None:
    h = users.rep.headers
    r = client.post("/api/v1/quotes", json={"name": "Q", "line_items": [HUGE_LINE]}, headers=h)
    errors = _errors(r)
    assert "line_items.0.unit_price" in errors
    assert "quantity × unit price" in errors["line_items.0.unit_price"]
    # the price taken from the price book is checked by the service
    product = make_product(db, prices={"USD": "10000000000000"})
    db.commit()
    line = {"product_id": str(product.id), "quantity": "1000000000"}
    r = client.post("/api/v1/quotes", json={"name": "Q", "line_items": [line]}, headers=h)
    assert "line_items[0].total" in _errors(r)
    assert db.scalar(select(Quote.id).where(Quote.name == "Q").execution_options(**ALL)) is None


def test_many_valid_quote_lines_summing_past_the_limit_are_refused(client: Any, users: Any) -> None:
    h = users.rep.headers
    line = {"name": "Big", "quantity": "100", "unit_price": "10000000000000"}  # 10^15 each
    r = client.post("/api/v1/quotes", json={"name": "One", "line_items": [line]}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["total"] == "1000000000000000.00"
    r = client.post("/api/v1/quotes", json={"name": "Two", "line_items": [line] * 2}, headers=h)
    errors = _errors(r)
    assert "the document's subtotal would be 2,000,000,000,000,000.00" in errors["line_items"]
    # tax on one valid line pushes its total past the limit
    taxed = {**line, "tax_rate": "20"}
    r = client.post("/api/v1/quotes", json={"name": "Tax", "line_items": [taxed]}, headers=h)
    assert "line_items[0].total" in _errors(r)


def test_quote_currency_must_be_iso_4217(client: Any, users: Any) -> None:
    r = client.post(
        "/api/v1/quotes", json={"name": "Q", "currency": "ZZZ"}, headers=users.rep.headers
    )
    assert "ZZZ is not an ISO 4217 currency code" in _errors(r)["currency"]


# -- deals --------------------------------------------------------------------------------
def test_deal_line_item_past_the_bounds_is_refused_naming_the_field(
    client: Any, db: Any, users: Any
) -> None:
    h = users.rep.headers
    deal = make_deal(db, users.rep.actor, amount=Decimal("1"), stage="proposal")
    db.commit()
    base = f"/api/v1/deals/{deal.id}/line-items"
    assert "unit_price" in _errors(client.post(base, headers=h, json=HUGE_LINE))
    big = {"name": "Big", "quantity": "100", "unit_price": "10000000000000"}  # 10^15
    r = client.post(base, headers=h, json=big)
    assert r.status_code == 201, r.text
    # a second valid line would take the deal's amount past the limit
    errors = _errors(client.post(base, headers=h, json=big))
    assert "the deal's amount (the sum of its line items)" in errors["amount"]
    # raising the quantity of the stored line past the bounds: the service refuses
    line_id = r.json()["id"]
    errors = _errors(client.patch(f"{base}/{line_id}", headers=h, json={"quantity": "1000"}))
    assert "unit_price" in errors
    amount = client.get(f"/api/v1/deals/{deal.id}", headers=h).json()["amount"]
    assert Decimal(amount) == MAX_TOTAL


def test_deal_amount_and_currency_are_bounded(client: Any, db: Any, users: Any) -> None:
    h = users.rep.headers
    for body, field in (
        ({"name": "D", "amount": "-1"}, "amount"),
        ({"name": "D", "amount": "1e14"}, "amount"),
        ({"name": "D", "amount": "1", "currency": "ZZZ"}, "currency"),
    ):
        assert field in _errors(client.post("/api/v1/deals", json=body, headers=h)), body
    # a rate that would revalue an open deal past the limit is refused, naming the rate
    set_rate(db, "EUR", "1.1")
    deal = make_deal(db, users.rep.actor, amount=Decimal("1e13"), currency="EUR")
    db.commit()
    a = users.admin.headers
    r = client.put("/api/v1/exchange-rates/EUR", json={"rate": "1000000"}, headers=a)
    assert "an open deal's amount" in _errors(r)["rate"]
    r = client.put("/api/v1/exchange-rates/ZZZ", json={"rate": "1"}, headers=a)
    assert "currency" in _errors(r)
    db.expire_all()
    stored = select(Deal.amount_org).where(Deal.id == deal.id).execution_options(**ALL)
    assert db.scalar(stored) == Decimal("1.1e13")


# -- accounts and products ----------------------------------------------------------------
def test_account_revenue_is_not_negative_and_in_an_iso_currency(client: Any, users: Any) -> None:
    h = users.rep.headers
    for revenue, field in (
        ({"amount": "-5", "currency": "USD"}, "annual_revenue.amount"),
        ({"amount": "1e16", "currency": "USD"}, "annual_revenue.amount"),
        ({"amount": "5", "currency": "ZZZ"}, "annual_revenue.currency"),
    ):
        body = {"name": f"Acme {field} {revenue['amount']}", "annual_revenue": revenue}
        assert field in _errors(client.post("/api/v1/accounts", json=body, headers=h)), revenue
    body = {"name": "Acme fine", "annual_revenue": {"amount": "5000000", "currency": "EUR"}}
    r = client.post("/api/v1/accounts", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert Decimal(r.json()["annual_revenue"]["amount"]) == Decimal("5000000")


def test_product_prices_are_not_negative_and_in_an_iso_currency(client: Any, users: Any) -> None:
    h = users.admin.headers
    for price, field in (
        ({"currency": "USD", "unit_price": "-1"}, "prices.0.unit_price"),
        ({"currency": "ZZZ", "unit_price": "1"}, "prices.0.currency"),
    ):
        body = {"name": "P", "sku": "P-1", "prices": [price]}
        assert field in _errors(client.post("/api/v1/products", json=body, headers=h)), price


# -- imports ------------------------------------------------------------------------------
def test_import_rows_with_bad_money_are_refused_with_the_reason(client: Any, users: Any) -> None:
    text = csv_text(
        ["Name", "Amount", "Currency"],
        [
            ["Fine", "100", "USD"],
            ["Negative", "-5", "USD"],
            ["Huge", "100000000000000000000", "USD"],
            ["Unknown currency", "5", "ZZZ"],
        ],
    )
    r = client.post(
        "/api/v1/imports",
        headers=users.admin.headers,
        files={"file": ("deals.csv", text.encode())},
        data={"object_type": "deal", "dry_run": "true"},
    )
    assert r.status_code == 201, r.text
    invalid = {i["row_number"]: i for i in r.json()["issues"] if i["kind"] == "invalid"}
    assert set(invalid) == {2, 3, 4}, r.json()["issues"]
    assert invalid[2]["field"] == "amount" and invalid[3]["field"] == "amount"
    assert invalid[4]["field"] == "currency" and "ISO 4217" in invalid[4]["message"]


def test_the_organizations_currency_setting_is_an_iso_code() -> None:
    from nexa.config import Settings

    assert Settings(org_currency="EUR").org_currency == "EUR"
    with pytest.raises(ValidationError, match="ZZZ is not an ISO 4217 currency code"):
        Settings(org_currency="ZZZ")


def test_account_import_rows_with_bad_revenue_are_refused(client: Any, users: Any) -> None:
    text = csv_text(
        ["Name", "Revenue", "Revenue currency"],
        [["Fine Ltd", "5000", "EUR"], ["Minus Ltd", "-5", "EUR"], ["Zed Ltd", "5", "ZZZ"]],
    )
    mapping = {"Revenue": "annual_revenue.amount", "Revenue currency": "annual_revenue.currency"}
    r = client.post(
        "/api/v1/imports",
        headers=users.admin.headers,
        files={"file": ("accounts.csv", text.encode())},
        data={"object_type": "account", "dry_run": "true", "mapping": json.dumps(mapping)},
    )
    assert r.status_code == 201, r.text
    invalid = {i["row_number"]: i for i in r.json()["issues"] if i["kind"] == "invalid"}
    assert set(invalid) == {2, 3}, r.json()["issues"]
    assert invalid[2]["field"].startswith("annual_revenue")
    assert "ISO 4217" in invalid[3]["message"]
