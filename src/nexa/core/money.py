"""Money as people read it and as reports round it (amounts are Decimal; the currency
travels beside them), and the bounds every money field and computed total keeps: the
shared field types (``CurrencyCode`` against the ISO 4217 list, ``Amount``, ``Quantity``,
``Percent``) and ``check_total`` for what the services compute."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from nexa.core.errors import ValidationFailed

CENT = Decimal("0.01")


# The common currencies' symbols; a code without one is written before the amount ("CHF 10")
SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "MXN": "MX$",
    "BRL": "R$",
    "KRW": "₩",
    "ILS": "₪",
    "TRY": "₺",
}


def money(value: Any, currency: str | None = None, *, places: int = 0, missing: str = "—") -> str:
    """``1234.5, "USD"`` → ``"$1,235"`` (``places`` decimals, thousands separated, the
    currency's symbol before, or its code: ``"CHF 1,235"``); ``missing`` for None; a value
    that is not a number is shown as it is."""
    if value is None:
        return missing
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{abs(amount):,.{places}f}"
    sign = "-" if amount < 0 and text.strip("0.,") else ""
    if not currency:
        return f"{sign}{text}"
    code = str(currency).upper()
    return f"{sign}{SYMBOLS.get(code, code + ' ')}{text}"


def to_cents(value: float | Decimal) -> Decimal:
    """Rounded half up to the cent."""
    return Decimal(str(round(value, 2))).quantize(CENT, rounding=ROUND_HALF_UP)


# -- bounds: every money column is NUMERIC(18, 2) (at most 10^16 − 0.01) -----------------
COLUMN_MAX = Decimal("9999999999999999.99")
# the largest total Nexa stores (a line, a document, a deal in the organization's currency):
# ten times under the columns, so that sums and conversions are checked, never overflowed
MAX_TOTAL = Decimal("1e15")
# the largest amount or unit price a person or an import gives
MAX_AMOUNT = Decimal("1e13")
MAX_QUANTITY = Decimal("1e9")  # quantities are NUMERIC(14, 4)

# ISO 4217 list one (current codes, 2025), without XTS (testing) and XXX (no currency).
# A public standard's list of codes, kept as data (published by SIX, the ISO 4217
# maintenance agency).
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW
    ZWG
    """.split()  # noqa: SIM905 (a list of codes reads best as one)
)


def _iso_4217(code: str) -> str:
    if code not in ISO_4217:
        raise ValueError(f"{code} is not an ISO 4217 currency code")
    return code


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


# The shared field types: every schema with a currency, an amount, a price or a quantity
# uses these, so each is refused with a 422 naming its field before any arithmetic.
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_iso_4217),
    Field(description="ISO 4217 code, 3 upper-case letters"),
]
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2), AfterValidator(_finite)]
Quantity = Annotated[
    Decimal, Field(gt=0, le=MAX_QUANTITY, decimal_places=4), AfterValidator(_finite)
]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=3), AfterValidator(_finite)]


def check_total(value: Decimal, field: str, what: str) -> Decimal:
    """A computed total (a line, a document, a conversion) within ``MAX_TOTAL``, or a 422
    naming ``field``: sums of valid lines never reach the column's limit."""
    if abs(value) > MAX_TOTAL:
        raise ValidationFailed(
            f"{what} would be {value:,.2f}, more than the largest amount Nexa stores "
            f"({MAX_TOTAL:,.0f})",
            field=field,
        )
    return value


def check_line_product(quantity: Decimal | None, unit_price: Decimal | None) -> None:
    """For a line schema's ``unit_price`` validator: quantity × unit price within bounds."""
    if quantity is not None and unit_price is not None and quantity * unit_price > MAX_TOTAL:
        raise ValueError(
            f"quantity × unit price would be {quantity * unit_price:,.2f}, more than the "
            f"largest line total ({MAX_TOTAL:,.0f})"
        )
