"""The insight panels on record pages: "What we know" and "Next best action" with its
one-click "Create task" (htmx POST with the CSRF token)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nexa.core.repository import unscoped
from nexa.models import Task
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in

HTMX = {"HX-Request": "true"}


def test_record_pages_register_the_panels(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor)
    deal = make_deal(db, users.rep.actor)
    contact = make_contact(db, users.rep.actor)
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/leads/{lead.id}").text
    assert f'hx-get="/leads/{lead.id}/enrichment"' in page
    assert f'hx-get="/leads/{lead.id}/next-best-action"' in page
    assert f'hx-get="/deals/{deal.id}/next-best-action"' in client.get(f"/deals/{deal.id}").text
    contact_page = client.get(f"/contacts/{contact.id}").text
    assert f'hx-get="/contacts/{contact.id}/next-best-action"' in contact_page


def test_what_we_know(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor, name="Umbrella", website="umbrella.example")
    lead = make_lead(
        db,
        users.rep.actor,
        email="alice@umbrella.example",
        phone="+44 20 7946 0958",
        title="Head of Marketing",
    )
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/leads/{lead.id}/enrichment", headers=HTMX)
    assert r.status_code == 200, r.text
    html = r.text
    assert "Business address" in html and "umbrella.example" in html
    assert "GB · fixed line" in html
    assert ">Director<" in html and ">Marketing<" in html
    assert f'<a href="/accounts/{account.id}">Umbrella</a>' in html
    assert "<html" not in html  # a fragment


def test_enrich_again_from_the_panel(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, email="bo@hooli.example")
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/leads/{lead.id}/enrichment", csrf, {}, headers=HTMX)
    assert r.status_code == 200, r.text
    assert "Nothing new to fill." in r.text
    refused = client.post(f"/leads/{lead.id}/enrichment", headers=HTMX)
    assert refused.status_code == 403


def test_next_best_action_and_create_task(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, status="qualified")
    db.commit()
    csrf = sign_in(client, users.rep)
    r = client.get(f"/leads/{lead.id}/next-best-action", headers=HTMX)
    assert r.status_code == 200, r.text
    assert 'data-action-key="schedule_demo"' in r.text
    assert "Qualified and no meeting booked yet" in r.text
    assert f'hx-post="/leads/{lead.id}/next-best-action/schedule_demo/task"' in r.text
    # the htmx click sends the token in the X-CSRF-Token header (set on <body>)
    created = client.post(
        f"/leads/{lead.id}/next-best-action/schedule_demo/task",
        headers={**HTMX, "X-CSRF-Token": csrf},
    )
    assert created.status_code == 200, created.text
    task = db.scalars(unscoped(select(Task).where(Task.related_id == lead.id))).one()
    assert f'href="/tasks/{task.id}"' in created.text and "Task created" in created.text
    again = client.get(f"/leads/{lead.id}/next-best-action", headers=HTMX)
    assert f'<a href="/tasks/{task.id}">Task open</a>' in again.text
    # without a token nothing is created
    refused = client.post(f"/leads/{lead.id}/next-best-action/bring_in_executive/task")
    assert refused.status_code == 403
    # a plain form post (no htmx) goes back to the lead
    deal = make_deal(db, users.rep.actor)
    db.commit()
    plain = form_post(client, f"/deals/{deal.id}/next-best-action/schedule_demo/task", csrf, {})
    assert plain.status_code == 303 and plain.headers["location"] == f"/deals/{deal.id}"


def test_panels_of_records_one_cannot_read(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.other_rep.actor, status="qualified")
    db.commit()
    csrf = sign_in(client, users.rep)
    assert client.get(f"/leads/{lead.id}/next-best-action", headers=HTMX).status_code == 404
    assert client.get(f"/leads/{lead.id}/enrichment", headers=HTMX).status_code == 404
    r = form_post(
        client, f"/leads/{lead.id}/next-best-action/schedule_demo/task", csrf, {}, headers=HTMX
    )
    assert r.status_code == 404
    assert db.scalars(unscoped(select(Task).where(Task.related_id == lead.id))).all() == []


def test_read_only_users_see_actions_without_the_button(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.admin.actor, status="qualified", owner_id=users.read_only.id)
    db.commit()
    sign_in(client, users.read_only)
    r = client.get(f"/leads/{lead.id}/next-best-action", headers=HTMX)
    assert r.status_code == 200 and "Schedule a demo" in r.text
    assert "Create task" not in r.text
