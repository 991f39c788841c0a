"""The generic list, detail and form pages of every record type, as an admin."""

from __future__ import annotations

from typing import Any

import pytest

from nexa.web.objects import OBJECTS
from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in


@pytest.mark.parametrize("path", sorted(OBJECTS))
def test_every_list_and_new_form_renders(client: Any, users: Any, path: str) -> None:
    sign_in(client, users.admin)
    urls = [f"/{path}", f"/{path}/new"] if OBJECTS[path].creatable else [f"/{path}"]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert "<h1>" in r.text


def test_create_a_lead_from_the_form_then_edit_one_field_inline(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.rep)
    r = form_post(
        client,
        "/leads/new",
        csrf,
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "status": "new"},
    )
    assert r.status_code == 303, r.text[:500]
    lead_url = r.headers["location"]
    page = client.get(lead_url)
    assert "Ada Lovelace" in page.text
    bad = form_post(
        client,
        f"{lead_url}/field/email",
        csrf,
        {"email": "not an email", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text and 'aria-invalid="true"' in bad.text
    good = form_post(
        client,
        f"{lead_url}/field/company",
        csrf,
        {"company": "Analytical Engines", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert good.status_code == 200, good.text[:300]
    assert "Analytical Engines" in good.text


def test_a_form_error_is_shown_on_its_field(client: Any, users: Any) -> None:
    csrf = sign_in(client, users.rep)
    r = form_post(
        client, "/leads/new", csrf, {"first_name": "No", "last_name": "", "email": "x@example.com"}
    )
    assert r.status_code == 422
    assert 'id="f-last_name-error"' in r.text


def test_a_post_without_the_csrf_token_is_refused(client: Any, users: Any) -> None:
    sign_in(client, users.rep)
    r = client.post("/leads/new", data={"last_name": "Nope"}, follow_redirects=False)
    assert r.status_code == 403


def test_bulk_assign_changes_every_selected_lead_in_one_go(
    client: Any, db: Any, users: Any
) -> None:
    leads = [make_lead(db, users.admin.actor) for _ in range(3)]
    db.commit()
    csrf = sign_in(client, users.admin)
    body = [("action", "assign"), ("owner_id", str(users.rep.id))] + [
        ("ids", str(lead.id)) for lead in leads
    ]
    r = form_post(client, "/leads/bulk", csrf, body)
    assert r.status_code == 303, r.text[:300]
    for lead in leads:
        db.refresh(lead)
        assert lead.owner_id == users.rep.id


def test_saved_view_keeps_filters_and_columns(client: Any, db: Any, users: Any) -> None:
    make_lead(db, users.rep.actor, company="Zebra Stripes Ltd")
    make_lead(db, users.rep.actor, company="Other Co")
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(
        client,
        "/leads/views",
        csrf,
        [
            ("name", "Zebras"),
            ("f", "company:contains:zebra"),
            ("columns", "full_name"),
            ("columns", "company"),
        ],
    )
    assert r.status_code == 303, r.text[:300]
    page = client.get(r.headers["location"])
    assert "Zebra Stripes Ltd" in page.text and "Other Co" not in page.text
    assert "Zebras" in page.text


def test_a_product_gets_its_prices_from_the_rows_of_its_form(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    form = client.get("/products/new").text
    assert 'name="prices.0.currency"' in form and 'name="prices.2.unit_price"' in form
    body = {
        "name": "Widget Pro",
        "sku": "WID-PRO",
        "prices.present": "1",
        "prices.0.currency": "USD",
        "prices.0.unit_price": "99.50",
        "prices.1.currency": "EUR",
        "prices.1.unit_price": "90",
        "prices.2.currency": "",
        "prices.2.unit_price": "",
    }
    r = form_post(client, "/products/new", csrf, body)
    assert r.status_code == 303, r.text[:800]
    edit = client.get(r.headers["location"] + "/edit").text
    assert 'value="USD"' in edit and 'value="EUR"' in edit
    bad = form_post(
        client,
        "/products/new",
        csrf,
        {
            "name": "Widget Bad",
            "sku": "WID-BAD",
            "prices.0.currency": "usd",
            "prices.0.unit_price": "1",
        },
    )
    assert bad.status_code == 422
    assert "row 1, currency" in bad.text


def test_a_quote_is_made_with_line_items_from_its_form(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    body = {
        "name": "Q for Acme",
        "currency": "USD",
        "line_items.0.name": "Onboarding",
        "line_items.0.quantity": "2",
        "line_items.0.unit_price": "500",
        "line_items.1.name": "",
    }
    r = form_post(client, "/quotes/new", csrf, body)
    assert r.status_code == 303, r.text[:800]
    page = client.get(r.headers["location"]).text
    assert "1,000" in page


def test_a_deleted_lead_is_in_the_bin_and_can_be_restored(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, last_name="Binned")
    db.commit()
    csrf = sign_in(client, users.admin)
    r = form_post(client, f"/leads/{lead.id}/delete", csrf, {})
    assert r.status_code == 303
    assert "Binned" not in client.get("/leads").text
    bin_page = client.get("/leads?deleted=1").text
    assert "Binned" in bin_page and f"/leads/{lead.id}/restore" in bin_page
    r = form_post(client, f"/leads/{lead.id}/restore", csrf, {})
    assert r.status_code == 303
    assert "Binned" in client.get("/leads").text


def test_the_profile_keeps_bookkeeping_under_details(client: Any, db: Any, users: Any) -> None:
    """Issue 18 point 10: a deal's profile shows the fields people use; the amount in the
    organization's currency, the stage kind and whether the probability was overridden sit
    under a folded "Details"."""
    import re

    from tests.factories.deal import make_deal

    deal = make_deal(db, users.rep.actor, name="Profiled Deal")
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/deals/{deal.id}").text
    main, _, rest = page.partition('data-testid="profile-details"')
    folded = rest.split("</details>")[0]
    for name in ("stage_kind", "probability_overridden", "amount_org"):
        assert f'id="prop-{name}"' in folded and f'id="prop-{name}"' not in main, name
    assert re.search(r'id="prop-amount"', main) and 'id="prop-stage"' in main


def test_a_read_only_user_gets_no_create_form(client: Any, users: Any) -> None:
    """Issue 18 point 9: no create buttons or forms for a read-only user — the form of a
    record they could not save answers 403 with the error page, not a form."""
    sign_in(client, users.read_only)
    paths = ("leads", "contacts", "accounts", "deals", "tasks", "meetings", "calls", "products",
             "quotes", "lists")  # fmt: skip
    for path in paths:
        assert f'href="/{path}/new"' not in client.get(f"/{path}").text, path
        form = client.get(f"/{path}/new")
        assert form.status_code == 403, (path, form.status_code)
        assert "<form" not in form.text.split('id="main"')[-1].split("</main>")[0] or (
            'action="/' + path + '/new"' not in form.text
        ), path


def test_forms_are_in_sections(client: Any, users: Any) -> None:
    """Issue 18 point 9: a record form groups its fields (About, When, Linked to, Ownership,
    Notes) rather than one long grid; a meeting's start and end are in the same section."""
    import re

    sign_in(client, users.rep)
    page = client.get("/meetings/new").text
    legends = re.findall(r'<fieldset class="form-section"><legend>([^<]+)</legend>', page)
    assert legends[:2] == ["About", "When"] and "Notes" in legends, legends
    when = page.split("<legend>When</legend>")[1].split("</fieldset>")[0]
    assert 'name="starts_at"' in when and 'name="ends_at"' in when
    assert 'name="owner_id"' in page.split("<legend>Ownership</legend>")[1].split("</fieldset>")[0]
