"""Line items (deal, quote, order): the money maths, shared by every document that sells.

Per line: ``gross = quantity × unit_price``, ``discount = gross × discount_percent / 100``,
``net = gross − discount`` (the line's ``total``), ``tax = net × tax_rate / 100``; each is
rounded to cents (half up) so the document totals are exact sums of what the lines show.
A recurring line without an explicit MRR is worth its net per month.

Every amount computed here is checked against ``MAX_TOTAL`` (nexa.core.money) before it is
written: a line or a sum of many valid lines past it is a 422 naming the line's field, not
an overflow of the NUMERIC(18, 2) columns (a 500 on PostgreSQL, a 23-digit total on SQLite).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from nexa.core.money import check_total
from nexa.models.product import LineItemMixin

CENT = Decimal("0.01")
ZERO = Decimal("0")
LINE_COLUMNS = (
    "product_id",
    "name",
    "description",
    "position",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "is_recurring",
    "mrr",
    "term_months",
    "total",
)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class LineMoney:
    gross: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    mrr: Decimal | None


def line_money(
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal | None,
    tax_rate: Decimal | None,
    *,
    is_recurring: bool = False,
    mrr: Decimal | None = None,
    field: str = "total",
) -> LineMoney:
    """A line's money; a 422 naming ``field`` when its gross or net with tax is past
    ``MAX_TOTAL``."""
    gross = check_total(cents(Decimal(quantity) * Decimal(unit_price)), field, "the line's total")
    discount = cents(gross * Decimal(discount_percent or 0) / 100)
    net = gross - discount
    tax = cents(net * Decimal(tax_rate or 0) / 100)
    check_total(net + tax, field, "the line's total with tax")
    line_mrr = (mrr if mrr is not None else net) if is_recurring else None
    return LineMoney(gross, discount, net, tax, line_mrr)


@dataclass
class Totals:
    subtotal: Decimal = ZERO
    discount_total: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO
    total_mrr: Decimal | None = None
    lines: list[LineMoney] = field(default_factory=list)

    def as_columns(self) -> dict[str, Any]:
        return {
            "subtotal": self.subtotal,
            "discount_total": self.discount_total,
            "tax_total": self.tax_total,
            "total": self.total,
            "total_mrr": self.total_mrr,
        }


def totals_of(lines: list[Any], field: str = "line_items") -> Totals:
    """Document totals of line rows (anything with the LineItemMixin columns); a 422 naming
    ``field`` (``line_items[i].total`` for one line) when a total is past ``MAX_TOTAL``."""
    result = Totals()
    for i, line in enumerate(lines):
        money = line_money(
            line.quantity,
            line.unit_price,
            line.discount_percent,
            line.tax_rate,
            is_recurring=line.is_recurring,
            mrr=line.mrr,
            field=f"{field}[{i}].total",
        )
        result.lines.append(money)
        result.subtotal += money.gross
        result.discount_total += money.discount
        result.tax_total += money.tax
        if money.mrr is not None:
            result.total_mrr = (result.total_mrr or ZERO) + money.mrr
    result.total = result.subtotal - result.discount_total + result.tax_total
    for name in ("subtotal", "tax_total", "total"):
        check_total(getattr(result, name), field, f"the document's {name.replace('_', ' ')}")
    if result.total_mrr is not None:
        check_total(result.total_mrr, field, "the document's monthly recurring total")
    return result


def copy_lines(
    source: list[Any],
    target: type[LineItemMixin],
    tax_rates: dict[uuid.UUID, Decimal | None] | None = None,
    **parent: Any,
) -> list[Any]:
    """New ``target`` rows copying ``source`` lines (their money recomputed), under ``parent``;
    a line without a tax rate takes its product's (``tax_rates`` by product id)."""
    copies = []
    for position, line in enumerate(source):
        values: dict[str, Any] = {name: getattr(line, name, None) for name in LINE_COLUMNS}
        if values["tax_rate"] is None and values["product_id"] in (tax_rates or {}):
            values["tax_rate"] = (tax_rates or {})[values["product_id"]]
        values["position"] = position
        values["discount_percent"] = values["discount_percent"] or ZERO
        values["is_recurring"] = bool(values["is_recurring"])
        values["total"] = line_money(
            Decimal(values["quantity"]),
            Decimal(values["unit_price"]),
            values["discount_percent"],
            None,
        ).net
        copies.append(target(id=uuid.uuid4(), **values, **parent))  # type: ignore[call-arg]
    return copies
