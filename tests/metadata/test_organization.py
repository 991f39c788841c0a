"""The organization's profile and logo (issue 18 point 11): the seller block, validity date,
default terms, signature line and logo of quote PDFs; what a bad logo is told."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

from tests.factories.quote import make_quote
from tests.permissions.subjects.platform import png
from tests.quote.test_api import _pdf_text

API = "/api/v1/settings/organization"


def test_the_quote_pdf_carries_the_seller_validity_terms_and_signature_line(
    client: Any, db: Any, users: Any
) -> None:
    h = users.admin.headers
    profile = {
        "name": "Northwind Traders",
        "address": "12 Harbour Road\n  Portsmouth PO1 2AB \n\nUnited Kingdom",
        "email": "sales@northwind.example",
        "phone": "+44 23 9200 0000",
        "tax_id": "GB123456789",
        "quote_terms": "Payment within 30 days of invoice.",
        "quote_valid_days": 45,
    }
    r = client.put(API, headers=h, json=profile)
    assert r.status_code == 200, r.text
    assert r.json()["address"].startswith("12 Harbour Road") and not r.json()["has_logo"]
    quote = make_quote(db, owner_id=users.rep.id, lines=[{"name": "Widget", "unit_price": "10"}])
    db.commit()
    pdf = client.get(f"/api/v1/quotes/{quote.id}/pdf", headers=users.rep.headers)
    assert pdf.status_code == 200, pdf.text
    text = _pdf_text(pdf.content)
    for part in (b"Northwind Traders", b"12 Harbour Road", b"Portsmouth PO1 2AB",
                 b"United Kingdom", b"GB123456789", b"Payment within 30 days of invoice.",
                 b"Signature: ____", b"Acceptance"):  # fmt: skip
        assert part in text, part
    valid = (quote.created_at.date() + timedelta(days=45)).isoformat()
    assert f"Valid until: {valid}".encode() in text
    assert b"/Subtype /Image" not in pdf.content  # no logo yet

    logo = base64.b64encode(png(120, 40)).decode()
    r = client.put(f"{API}/logo", headers=h, json={"content_base64": logo})
    assert r.status_code == 200 and r.json()["has_logo"], r.text
    got = client.get(f"{API}/logo", headers=h)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    pdf = client.get(f"/api/v1/quotes/{quote.id}/pdf", headers=users.rep.headers).content
    assert b"/Subtype /Image" in pdf
    assert client.delete(f"{API}/logo", headers=h).json()["has_logo"] is False
    assert client.get(f"{API}/logo", headers=h).status_code == 404


def test_a_quotes_own_date_and_terms_win(client: Any, db: Any, users: Any) -> None:
    client.put(API, headers=users.admin.headers, json={"name": "Seller", "quote_terms": "Ours"})
    until = date.today() + timedelta(days=7)
    quote = make_quote(db, owner_id=users.rep.id, valid_until=until, terms="Theirs only",
                       lines=[{"name": "Thing", "unit_price": "5"}])  # fmt: skip
    db.commit()
    text = _pdf_text(
        client.get(f"/api/v1/quotes/{quote.id}/pdf", headers=users.rep.headers).content
    )
    assert f"Valid until: {until.isoformat()}".encode() in text
    assert b"Theirs only" in text and b"Ours" not in text


def test_a_bad_logo_or_profile_is_a_422_naming_the_field(client: Any, users: Any) -> None:
    h = users.admin.headers

    def upload(data: bytes) -> Any:
        return client.put(
            f"{API}/logo", headers=h, json={"content_base64": base64.b64encode(data).decode()}
        )

    for data, words in (
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "PNG or JPEG"),
        (b"GIF89a" + b"\x00" * 40, "PNG or JPEG"),
        (png(3000, 10), "at most 2000"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 300_000, "at most 256 KB"),
        (b"", "choose an image"),
    ):
        r = upload(data)
        assert r.status_code == 422, (words, r.text)
        assert "logo" in r.text and words in r.text, r.text
    r = client.put(f"{API}/logo", headers=h, json={"content_base64": "not base64!"})
    assert r.status_code == 422 and "content_base64" in r.text
    r = client.put(API, headers=h, json={"name": "", "quote_valid_days": 0})
    assert r.status_code == 422 and "name" in r.text and "quote_valid_days" in r.text


def test_the_members_time_zone_default(client: Any, db: Any, users: Any) -> None:
    """Issue 19: the organization's zone for members whose own is not known; an unknown zone
    is a 422 naming ``time_zone``; best_hours reads members' opens in it."""
    from datetime import UTC, datetime

    from nexa.intelligence.send_time import best_hours
    from nexa.metadata.organization import organization_zone
    from tests.factories.email import make_email_event, make_sent_email
    from tests.factories.lead import make_lead

    h = users.admin.headers
    assert str(organization_zone(db)) == "UTC"
    bad = client.put(API, headers=h, json={"name": "Northwind", "time_zone": "Moon/Base"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "time_zone"
    r = client.put(API, headers=h, json={"name": "Northwind", "time_zone": "Asia/Tokyo"})
    assert r.status_code == 200 and r.json()["time_zone"] == "Asia/Tokyo"
    assert str(organization_zone(db)) == "Asia/Tokyo"
    lead = make_lead(db)  # no zone, no country, no phone: the organization's
    at = datetime(2026, 11, 24, 0, tzinfo=UTC)  # Tuesday 09:00 in Tokyo
    for week in range(6):
        moment = at - timedelta(weeks=week)
        make_email_event(db, make_sent_email(db, "lead", lead.id, moment), "open", moment)
    db.flush()
    choice = best_hours(db, [("lead", lead.id)])[("lead", lead.id)]
    assert (choice.source, choice.hour_of_week) == ("own", 24 + 9)  # Tuesday 09:00 in Tokyo
