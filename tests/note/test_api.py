from __future__ import annotations

import uuid
from typing import Any

import pytest

from nexa.core.actor import SYSTEM
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.note import make_note

URL = "/api/v1/notes"


def _field(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["errors"][0]["field"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 50_001}, "body"),
        ({"body": "x", "related_type": "planet", "related_id": "0" * 32}, "related_type"),
        ({"body": "x", "related_type": "contact", "related_id": "0" * 32}, "related_id"),
        ({"body": "x", "related_id": "0" * 32}, "related_id"),
        ({"body": "x", "owner_id": "0" * 32}, "owner_id"),
    ],
)
def test_create_refuses_bad_input(
    client: Any, users: Any, body: dict[str, Any], field: str
) -> None:
    status = 403 if field == "owner_id" else 422
    assert _field(client.post(URL, headers=users.rep.headers, json=body), status) == field


def test_body_cannot_be_emptied(client: Any, db: Any, users: Any) -> None:
    note = make_note(db, users.rep.actor)
    db.commit()
    r = client.patch(f"{URL}/{note.id}", headers=users.rep.headers, json={"body": None})
    assert _field(r) == "body"


def test_link_must_be_readable(client: Any, db: Any, users: Any) -> None:
    hidden = make_account(db, users.other_rep.actor)
    mine = make_account(db, users.rep.actor)
    db.commit()
    h = users.rep.headers
    r = client.post(
        URL,
        headers=h,
        json={"body": "x", "related_type": "account", "related_id": str(hidden.id)},
    )
    assert _field(r) == "related_id"
    ok = client.post(
        URL, headers=h, json={"body": "x", "related_type": "account", "related_id": str(mine.id)}
    )
    assert ok.status_code == 201, ok.text
    moved = client.patch(f"{URL}/{ok.json()['id']}", headers=h, json={"related_id": str(hidden.id)})
    assert _field(moved) == "related_id"


def test_note_shows_on_the_linked_records_timeline(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, users.rep.actor)
    db.commit()
    h = users.rep.headers
    r = client.post(
        URL,
        headers=h,
        json={"body": "Prefers email", "related_type": "contact", "related_id": str(contact.id)},
    )
    assert r.status_code == 201, r.text
    client.patch(f"{URL}/{r.json()['id']}", headers=h, json={"pinned": True})
    t = client.get(
        "/api/v1/timeline",
        headers=h,
        params={"record_type": "contact", "record_id": str(contact.id)},
    )
    assert t.status_code == 200, t.text
    events = [i["event"] for i in t.json()["items"]]
    assert events == ["note.updated", "note.created", "contact.created"]


@pytest.mark.parametrize("record_type", ["contact", "account", "lead"])
def test_rep_reads_colleagues_note_on_a_readable_record_but_cannot_edit_it(
    client: Any, db: Any, users: Any, record_type: str
) -> None:
    record = _record(db, record_type, users.rep)
    note = make_note(
        db,
        SYSTEM,
        body="Teammate's note",
        owner_id=users.teammate.id,
        related_type=record_type,
        related_id=record.id,
    )
    private = make_note(db, SYSTEM, body="Teammate's own", owner_id=users.teammate.id)
    db.commit()
    h = users.rep.headers
    assert client.get(f"{URL}/{note.id}", headers=h).json()["body"] == "Teammate's note"
    listed = {n["id"] for n in client.get(URL, headers=h).json()["items"]}
    assert str(note.id) in listed and str(private.id) not in listed
    assert client.get(f"{URL}/{private.id}", headers=h).status_code == 404
    assert client.patch(f"{URL}/{note.id}", headers=h, json={"body": "edited"}).status_code == 403
    assert client.delete(f"{URL}/{note.id}", headers=h).status_code == 403
    # a rep of another team reads neither
    assert client.get(f"{URL}/{note.id}", headers=users.other_rep.headers).status_code == 404


def _record(db: Any, record_type: str, owner: Any) -> Any:
    if record_type == "contact":
        return make_contact(db, owner.actor)
    if record_type == "account":
        return make_account(db, owner.actor)
    from nexa.lead.schemas import LeadCreate
    from nexa.lead.service import LeadService

    return LeadService(db, owner.actor).create(
        LeadCreate(
            first_name="Lee", last_name=f"Lead {uuid.uuid4().hex[:8]}", allow_duplicates=True
        )
    )
