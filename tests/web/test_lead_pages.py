"""The lead page: status actions, duplicate warnings, the Convert dialog, visibility and a
constant number of SQL statements."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from nexa.core.repository import unscoped
from nexa.models import Account, Contact, Deal, Lead
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.factories.note import make_note
from tests.factories.task import make_task
from tests.web.conftest import count_queries, form_post, sign_in

HTMX = {"HX-Request": "true"}


def one(db: Any, model: Any, record_id: Any) -> Any:
    return db.scalars(unscoped(select(model).where(model.id == record_id))).one()


def count(db: Any, model: Any, *where: Any) -> int:
    return int(db.scalar(unscoped(select(func.count()).select_from(model).where(*where))))


def outcome(html: str, part: str) -> str:
    found = re.search(rf'data-plan="{part}" data-outcome="(\w+)"', html)
    assert found, html[:2000]
    return found.group(1)


# ---- status actions ----------------------------------------------------------------------


def test_the_page_offers_the_moves_the_status_allows(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor)
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/leads/{lead.id}")
    assert page.status_code == 200, page.text[:500]
    for label in ("Mark contacted", "Mark qualified", "Mark lost"):
        assert f">{label}</button>" in page.text
    assert 'name="lost_reason"' in page.text
    assert 'data-action="convert"' in page.text and 'id="convert-dialog"' in page.text
    assert '<script src="/static/js/record.js" defer></script>' in page.text
    assert "<script>" not in page.text


def test_a_status_action_moves_the_lead(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/leads/{lead.id}/status", csrf, {"status": "contacted"})
    assert r.status_code == 303, r.text[:500]
    assert r.headers["location"] == f"/leads/{lead.id}"
    db.refresh(lead)
    assert lead.status == "contacted" and lead.last_contacted_at is not None
    r = form_post(client, f"/leads/{lead.id}/status", csrf, {"status": "qualified"}, headers=HTMX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"/leads/{lead.id}"
    db.refresh(lead)
    assert lead.status == "qualified"


def test_lost_without_a_reason_shows_the_services_422(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    partial = form_post(
        client,
        f"/leads/{lead.id}/status",
        csrf,
        {"status": "lost", "lost_reason": ""},
        headers=HTMX,
    )
    assert partial.status_code == 422
    assert 'id="lead-status"' in partial.text and "<html" not in partial.text
    assert 'role="alert"' in partial.text and "say why the lead was lost" in partial.text
    page = form_post(client, f"/leads/{lead.id}/status", csrf, {"status": "lost"})
    assert page.status_code == 422 and "<html" in page.text
    assert "say why the lead was lost" in page.text
    db.refresh(lead)
    assert lead.status == "new"
    done = form_post(
        client, f"/leads/{lead.id}/status", csrf, {"status": "lost", "lost_reason": "No budget"}
    )
    assert done.status_code == 303
    db.refresh(lead)
    assert lead.status == "lost" and lead.lost_reason == "No budget"
    page = client.get(f"/leads/{lead.id}").text
    assert (
        "No budget" in page and ">Mark new</button>" in page and ">Mark contacted</button>" in page
    )
    assert 'data-action="convert"' not in page  # a lost lead is reopened before converting


def test_a_move_the_service_refuses_is_shown_not_applied(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/leads/{lead.id}/status", csrf, {"status": "converted"}, headers=HTMX)
    assert r.status_code == 422 and "only by converting" in r.text
    r = form_post(client, f"/leads/{lead.id}/status", csrf, {"status": "bogus"}, headers=HTMX)
    assert r.status_code == 422 and 'role="alert"' in r.text


# ---- duplicates --------------------------------------------------------------------------


def test_duplicate_banner_lists_similar_leads_and_contacts(
    client: Any, db: Any, users: Any
) -> None:
    make_contact(db, users.rep.actor, first_name="Grace", last_name="Hopper", email="gh@navy.mil")
    twin = make_lead(db, users.rep.actor, first_name="Grace", last_name="Hopper", company="Navy")
    lead = make_lead(
        db,
        users.rep.actor,
        first_name="Grace",
        last_name="Hopper",
        email="gh@navy.mil",
        company="Navy",
    )
    alone = make_lead(db, users.rep.actor, first_name="Zed", last_name="Unique", company="Nowhere")
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/leads/{lead.id}").text
    assert "Possible duplicates" in page
    assert 'data-duplicate="contact"' in page
    assert f'href="/leads/{twin.id}"' in page
    assert f'<li data-duplicate="lead"><a href="/leads/{lead.id}"' not in page  # never itself
    assert "Possible duplicates" not in client.get(f"/leads/{alone.id}").text


# ---- conversion --------------------------------------------------------------------------


def test_convert_preview_shows_what_is_created_and_what_is_linked(
    client: Any, db: Any, users: Any
) -> None:
    account = make_account(db, users.rep.actor, name="Babbage Engines")
    contact = make_contact(
        db, users.rep.actor, last_name="Byron", email="ada@example.org", account_id=account.id
    )
    known = make_lead(
        db, users.rep.actor, last_name="Byron", email="ada@example.org", company="Babbage Engines"
    )
    fresh = make_lead(db, users.rep.actor, last_name="New", company="Brand New Co")
    db.commit()
    sign_in(client, users.rep)
    dialog = client.get(f"/leads/{known.id}/convert", headers=HTMX)
    assert dialog.status_code == 200 and "<html" not in dialog.text
    assert outcome(dialog.text, "contact") == "link" and f"/contacts/{contact.id}" in dialog.text
    assert outcome(dialog.text, "account") == "link" and f"/accounts/{account.id}" in dialog.text
    assert outcome(dialog.text, "deal") == "create"
    for name in ("create_deal", "deal_name", "deal_amount", "deal_stage"):
        assert f'name="{name}"' in dialog.text
    assert 'value="proposal"' in dialog.text  # the default pipeline's stages
    assert ">Convert lead</button>" in dialog.text
    page = client.get(f"/leads/{fresh.id}/convert")  # no htmx: a page of its own
    assert page.status_code == 200 and "<html" in page.text
    for part in ("contact", "account", "deal"):
        assert outcome(page.text, part) == "create"
    assert "Brand New Co" in page.text


def test_convert_creates_contact_account_and_deal_then_opens_the_deal(
    client: Any, db: Any, users: Any
) -> None:
    lead = make_lead(
        db, users.rep.actor, first_name="Alan", last_name="Turing", company="Bletchley Ltd"
    )
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(
        client,
        f"/leads/{lead.id}/convert",
        csrf,
        {
            "create_deal": "true",
            "deal_name": "Enigma support",
            "deal_amount": "25000",
            "deal_stage": "proposal",
        },
    )
    assert r.status_code == 303, r.text[:1000]
    db.refresh(lead)
    assert lead.status == "converted"
    deal = one(db, Deal, lead.converted_deal_id)
    assert r.headers["location"] == f"/deals/{deal.id}"
    assert deal.name == "Enigma support" and deal.stage == "proposal" and deal.amount == 25000
    assert one(db, Account, lead.converted_account_id).name == "Bletchley Ltd"
    contact = one(db, Contact, lead.converted_contact_id)
    assert contact.last_name == "Turing" and deal.primary_contact_id == contact.id
    page = client.get(f"/leads/{lead.id}").text
    assert 'data-action="convert"' not in page and "Mark contacted" not in page
    assert f'href="/deals/{deal.id}"' in page and f'href="/contacts/{contact.id}"' in page
    assert f'href="/accounts/{lead.converted_account_id}"' in page


def test_convert_without_a_deal_opens_the_contact_and_htmx_gets_hx_redirect(
    client: Any, db: Any, users: Any
) -> None:
    lead = make_lead(db, users.rep.actor, last_name="Solo")
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/leads/{lead.id}/convert", csrf, {"deal_name": "ignored"}, headers=HTMX)
    assert r.status_code == 200, r.text[:1000]
    db.refresh(lead)
    assert lead.converted_deal_id is None and lead.converted_account_id is None
    assert r.headers["HX-Redirect"] == f"/contacts/{lead.converted_contact_id}"


def test_converting_twice_shows_the_conflict_in_the_dialog(
    client: Any, db: Any, users: Any
) -> None:
    lead = make_lead(db, users.rep.actor, last_name="Twice", company="Twice Inc")
    db.commit()
    csrf = sign_in(client, users.rep)
    first = form_post(client, f"/leads/{lead.id}/convert", csrf, {"create_deal": "true"})
    assert first.status_code == 303
    again = form_post(
        client, f"/leads/{lead.id}/convert", csrf, {"create_deal": "true"}, headers=HTMX
    )
    assert again.status_code == 409
    assert "already converted" in again.text and 'role="alert"' in again.text
    assert "<html" not in again.text and ">Convert lead</button>" not in again.text
    dialog = client.get(f"/leads/{lead.id}/convert", headers=HTMX)
    assert dialog.status_code == 409 and "already converted" in dialog.text
    assert count(db, Deal, Deal.lead_id == lead.id) == 1


def test_a_bad_deal_value_keeps_the_dialog_open_and_writes_nothing(
    client: Any, db: Any, users: Any
) -> None:
    lead = make_lead(db, users.rep.actor, last_name="Badvalue", company="Bad Value Co")
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(
        client,
        f"/leads/{lead.id}/convert",
        csrf,
        {"create_deal": "true", "deal_amount": "-5"},
        headers=HTMX,
    )
    assert r.status_code == 422
    assert 'id="cv-deal_amount-error"' in r.text and ">Convert lead</button>" in r.text
    bad_stage = form_post(
        client,
        f"/leads/{lead.id}/convert",
        csrf,
        {"create_deal": "true", "deal_stage": "no_such_stage"},
        headers=HTMX,
    )
    assert bad_stage.status_code == 422 and 'role="alert"' in bad_stage.text
    db.refresh(lead)
    assert lead.status == "new"
    assert count(db, Account, Account.name == "Bad Value Co") == 0


# ---- visibility --------------------------------------------------------------------------


def test_a_rep_gets_404_for_another_teams_private_lead(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.other_rep.actor, last_name="Secret", company="Hidden Co")
    db.commit()
    csrf = sign_in(client, users.rep)
    for url in (f"/leads/{lead.id}", f"/leads/{lead.id}/convert"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "Secret" not in r.text and "Hidden Co" not in r.text
    r = form_post(client, f"/leads/{lead.id}/status", csrf, {"status": "contacted"})
    assert r.status_code == 404
    r = form_post(client, f"/leads/{lead.id}/convert", csrf, {"create_deal": "true"})
    assert r.status_code == 404
    assert one(db, Lead, lead.id).status == "new"


# ---- SQL statements ----------------------------------------------------------------------


def _page_statements(client: Any, url: str) -> int:
    with count_queries() as statements:
        r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    return len(statements)


def test_the_lead_page_issues_the_same_statements_for_1_or_20_entries(
    client: Any, db: Any, users: Any
) -> None:
    small = make_lead(db, users.rep.actor, company="Small Co")
    big = make_lead(db, users.rep.actor, company="Big Co")
    for lead, n in ((small, 1), (big, 20)):
        for i in range(n):
            make_task(
                db, users.rep.actor, title=f"Call {i}", related_type="lead", related_id=lead.id
            )
            make_note(
                db, users.rep.actor, body=f"Note {i}", related_type="lead", related_id=lead.id
            )
    db.commit()
    sign_in(client, users.rep)
    _page_statements(client, f"/leads/{small.id}")  # warm the per-process caches
    assert _page_statements(client, f"/leads/{small.id}") == _page_statements(
        client, f"/leads/{big.id}"
    )


def test_the_country_is_chosen_by_name(client: Any, db: Any, users: Any) -> None:
    """Issue 18 point 9: a country select (names shown, the ISO code stored), not a box
    that refuses "Germany"."""
    import re

    from sqlalchemy import select

    from nexa.models import Lead

    csrf = sign_in(client, users.rep)
    form = client.get("/leads/new").text
    assert re.search(r'<select id="[^"]*country"[^>]*name="country"', form), "no country select"
    assert re.search(r'<option value="DE"\s*>Germany</option>', form)
    posted = {"first_name": "Land", "last_name": "Chooser", "company": "Land Co", "country": "DE"}
    r = form_post(client, "/leads/new", csrf, posted)
    assert r.status_code == 303, r.text[:500]
    lead = db.scalars(
        select(Lead).where(Lead.last_name == "Chooser").execution_options(nexa_scoped=True)
    ).one()
    assert lead.country == "DE"
