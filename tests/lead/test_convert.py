"""Lead conversion edge cases (the happy path is replayed in tests/flows)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from nexa.core.repository import unscoped
from nexa.models import Account, Contact
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead


def test_bad_deal_values_are_422_and_nothing_is_written(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, owner_id=users.rep.id, company="Nowhere Ltd", email="x@nowhere.example")
    db.commit()
    contacts_before = db.scalar(unscoped(select(func.count()).select_from(Contact)))
    for body, field in (
        ({"deal_stage": "("}, "deal_stage"),
        ({"deal_amount": "374501703462738.56"}, "deal_amount"),
        ({"deal_stage": "no_such_stage"}, "stage"),
    ):
        response = client.post(
            f"/api/v1/leads/{lead.id}/convert", headers=users.rep.headers, json=body
        )
        assert response.status_code == 422, response.text
        assert field in response.text
    assert db.scalar(unscoped(select(func.count()).select_from(Contact))) == contacts_before


def test_conversion_links_to_existing_contact_and_account(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, owner_id=users.rep.id, name="Globex Corporation")
    contact = make_contact(
        db, owner_id=users.rep.id, email="hank@globex.example", account_id=account.id
    )
    lead = make_lead(
        db, owner_id=users.rep.id, email="hank@globex.example", company="Globex Corporation"
    )
    db.commit()
    preview = client.post(
        f"/api/v1/leads/{lead.id}/convert/preview", headers=users.rep.headers, json={}
    ).json()
    assert preview["contact_id"] == str(contact.id) and preview["account_id"] == str(account.id)
    assert not preview["create_contact"] and not preview["create_account"]
    result = client.post(
        f"/api/v1/leads/{lead.id}/convert", headers=users.rep.headers, json={"create_deal": False}
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["created"] == {"contact": False, "account": False, "deal": False}
    assert body["deal"] is None and body["lead"]["status"] == "converted"
    assert (
        db.scalar(
            unscoped(
                select(func.count())
                .select_from(Account)
                .where(Account.name == "Globex Corporation")
            )
        )
        == 1
    )


def test_hidden_twin_account_is_a_409_not_a_leak(client: Any, db: Any, users: Any) -> None:
    make_account(db, owner_id=users.other_rep.id, name="Initech")
    lead = make_lead(db, owner_id=users.rep.id, company="Initech", email="peter@initech.example")
    db.commit()
    response = client.post(f"/api/v1/leads/{lead.id}/convert", headers=users.rep.headers, json={})
    assert response.status_code == 409
    assert "account_id" in response.text


def test_conversion_matches_look_alike_company_and_hides_the_twin(
    client: Any, db: Any, users: Any
) -> None:
    """Issue 15, points 9 and 11: the lead's company typed fullwidth links to the rep's own
    account; a look-alike of a hidden account's name is a 409 naming neither its id nor its
    owner."""
    mine = make_account(db, owner_id=users.rep.id, name="Globex Corporation")
    lead = make_lead(db, owner_id=users.rep.id, company="ＧＬＯＢＥＸ Corporation")
    hidden = make_account(db, owner_id=users.other_rep.id, name="Initech")
    other = make_lead(db, owner_id=users.rep.id, company="Ini\u200btech")
    db.commit()
    preview = client.post(
        f"/api/v1/leads/{lead.id}/convert/preview", headers=users.rep.headers, json={}
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["account_id"] == str(mine.id)
    refused = client.post(f"/api/v1/leads/{other.id}/convert", headers=users.rep.headers, json={})
    assert refused.status_code == 409, refused.text
    assert "cannot see" in refused.text
    assert str(hidden.id) not in refused.text and str(users.other_rep.id) not in refused.text


def test_the_leads_notes_tasks_and_history_follow_it(client: Any, db: Any, users: Any) -> None:
    """Issue 18 point 7: what was on the lead is on the contact after conversion (notes,
    tasks, calls, meetings), and the lead's history shows on the contact, account and deal."""
    from nexa.models import Activity, Call, Note, Task
    from tests.factories.call import make_call
    from tests.factories.note import make_note
    from tests.factories.task import make_task

    lead = make_lead(
        db, owner_id=users.rep.id, company="Carry Over Ltd", email="ann@carry-over.example"
    )
    link = {"related_type": "lead", "related_id": lead.id}
    note = make_note(db, body="Wants a pilot in March", **link)
    task = make_task(db, title="Send the pilot plan", owner_id=users.rep.id, **link)
    call = make_call(db, subject="Discovery call", **link)
    db.commit()
    result = client.post(f"/api/v1/leads/{lead.id}/convert", headers=users.rep.headers, json={})
    assert result.status_code == 200, result.text
    body = result.json()
    contact_id = body["contact"]["id"]
    for model, row in ((Note, note), (Task, task), (Call, call)):
        moved = db.scalars(unscoped(select(model).where(model.id == row.id))).one()
        db.refresh(moved)
        assert (moved.related_type, str(moved.related_id)) == ("contact", contact_id), model

    def events(record_id: str) -> list[str]:
        stmt = select(Activity.event).where(Activity.record_id == uuid.UUID(record_id))
        return list(db.scalars(unscoped(stmt)))

    for record_id in (contact_id, body["account"]["id"], body["deal"]["id"]):
        shown = events(record_id)
        assert "lead.created" in shown and "note.created" in shown, shown
        assert shown.count("lead.converted") == 1, shown
    # the contact's own timeline lists the note once (copied, not twice)
    assert events(contact_id).count("note.created") == 1
    api = client.get(
        "/api/v1/timeline",
        params={"record_type": "contact", "record_id": contact_id},
        headers=users.rep.headers,
    )
    assert api.status_code == 200, api.text
    assert any(e["event"] == "lead.created" for e in api.json()["items"])
