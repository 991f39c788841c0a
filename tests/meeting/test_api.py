from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.meeting import make_meeting
from tests.meeting.test_ics import parse, unescape
from tests.task.test_api import count_queries

URL = "/api/v1/meetings"


def _field(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["errors"][0]["field"]  # type: ignore[no-any-return]


def _times(hours: float = 1) -> dict[str, str]:
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


def test_create_with_attendees(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(
        db, users.rep.actor, first_name="Tom", last_name="Buyer", email="tom@buyer.example"
    )
    account = make_account(db, users.rep.actor)
    db.commit()
    r = client.post(
        URL,
        headers=users.rep.headers,
        json={
            "title": "Demo",
            **_times(),
            "timezone": "Europe/Berlin",
            "video_url": "meet.example.com/demo",
            "related_type": "account",
            "related_id": str(account.id),
            "attendees": [
                {"contact_id": str(contact.id)},
                {"user_id": str(users.teammate.id)},
                {"email": " Guest@Example.COM ", "name": "Guest"},
                {"contact_id": str(contact.id)},
            ],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["ics_uid"].endswith("@nexa")
    assert body["ics_sequence"] == 0
    assert body["timezone"] == "Europe/Berlin"
    assert body["status"] == "scheduled"
    assert body["video_url"] == "https://meet.example.com/demo"
    got = {(a["contact_id"], a["user_id"], a["email"]) for a in body["attendees"]}
    assert got == {
        (str(contact.id), None, "tom@buyer.example"),
        (None, str(users.teammate.id), users.teammate.user.email),
        (None, None, "guest@example.com"),
    }
    assert all(a["response"] == "needs_action" for a in body["attendees"])
    fetched = client.get(f"{URL}/{body['id']}", headers=users.rep.headers).json()
    assert len(fetched["attendees"]) == 3
    # the meeting shows on the linked account's and on the attendee contact's timeline
    for record_type, record_id in (("account", account.id), ("contact", contact.id)):
        t = client.get(
            "/api/v1/timeline",
            headers=users.rep.headers,
            params={"record_type": record_type, "record_id": str(record_id)},
        )
        assert t.status_code == 200, t.text
        assert "meeting.created" in [i["event"] for i in t.json()["items"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "2026-01-01T00:00:00Z"}, "ends_at"),
        ("25h", "ends_at"),
        ("same", "ends_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"video_url": "ftp://files.example.com/x"}, "video_url"),
        ({"status": "postponed"}, "status"),
        ({"title": ""}, "title"),
        ({"starts_at": None}, "starts_at"),
        ({"attendees": [{"user_id": "0" * 32}]}, "attendees.0.user_id"),
        ({"attendees": [{"email": "x@example.com"}, {"email": "nope"}]}, "attendees.1.email"),
        ({"attendees": [{"user_id": "0" * 32, "email": "x@example.com"}]}, "attendees.0"),
        ({"attendees": [{"phone": "123"}]}, "attendees.0.phone"),
        ({"related_type": "deal", "related_id": "0" * 32}, "related_id"),
    ],
)
def test_create_refuses_bad_input(client: Any, users: Any, change: Any, field: str) -> None:
    body: dict[str, Any] = {"title": "x", **_times()}
    if change == "25h":
        body.update(_times(25))
    elif change == "same":
        body["ends_at"] = body["starts_at"]
    else:
        body.update(change)
    assert _field(client.post(URL, headers=users.rep.headers, json=body)) == field


def test_attendee_contacts_must_be_readable(client: Any, db: Any, users: Any) -> None:
    hidden = make_contact(db, users.other_rep.actor)
    db.commit()
    r = client.post(
        URL,
        headers=users.rep.headers,
        json={"title": "x", **_times(), "attendees": [{"contact_id": str(hidden.id)}]},
    )
    assert _field(r) == "attendees.0.contact_id"


def test_update_checks_times_against_stored_values(client: Any, db: Any, users: Any) -> None:
    meeting = make_meeting(db, users.rep.actor)
    db.commit()
    early = (meeting.starts_at - timedelta(minutes=1)).isoformat()
    r = client.patch(f"{URL}/{meeting.id}", headers=users.rep.headers, json={"ends_at": early})
    assert _field(r) == "ends_at"


def test_sequence_grows_with_changes_attendees_hear_about(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, users.rep.actor, email="c@example.com")
    meeting = make_meeting(db, users.rep.actor, attendees=[{"contact_id": contact.id}])
    db.commit()
    h, path = users.rep.headers, f"{URL}/{meeting.id}"

    def patch(body: dict[str, Any]) -> dict[str, Any]:
        r = client.patch(path, headers=h, json=body)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    assert patch({"title": "Renamed", "outcome": "Went well"})["ics_sequence"] == 0
    assert patch({"location": "Room 1"})["ics_sequence"] == 1
    assert patch({"attendees": [{"contact_id": str(contact.id)}]})["ics_sequence"] == 1
    both = patch({"attendees": [{"contact_id": str(contact.id)}, {"email": "n@example.com"}]})
    assert both["ics_sequence"] == 2
    assert len(both["attendees"]) == 2
    new_start = meeting.starts_at + timedelta(hours=1)
    moved = patch(
        {
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=1)).isoformat(),
        }
    )
    assert moved["ics_sequence"] == 3
    cleared = patch({"attendees": []})
    assert cleared["ics_sequence"] == 4 and cleared["attendees"] == []
    assert patch({"status": "cancelled"})["ics_sequence"] == 5


def test_ics_invitation(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(
        db, users.rep.actor, first_name="Ann", last_name="Lee", email="ann@client.example"
    )
    meeting = make_meeting(
        db,
        users.rep.actor,
        title="Kick-off, phase 1; pricing",
        description="Agenda:\n1. intro\n2. next steps",
        location="HQ, Room 4",
        video_url="https://meet.example.com/k",
        attendees=[{"contact_id": contact.id}, {"email": "x@guest.example", "name": "X Guest"}],
    )
    db.commit()
    r = client.get(f"{URL}/{meeting.id}/ics", headers=users.rep.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    props = parse(r.text)
    values = {n: (p, v) for n, p, v in props if n != "ATTENDEE"}
    assert values["METHOD"][1] == "REQUEST"
    assert values["VERSION"][1] == "2.0"
    assert values["PRODID"][1]
    assert values["UID"][1] == meeting.ics_uid
    assert values["SEQUENCE"][1] == "0"
    assert values["DTSTART"][1] == meeting.starts_at.strftime("%Y%m%dT%H%M%SZ")
    assert values["DTEND"][1] == meeting.ends_at.strftime("%Y%m%dT%H%M%SZ")
    assert datetime.strptime(values["DTSTAMP"][1], "%Y%m%dT%H%M%SZ")
    assert unescape(values["SUMMARY"][1]) == "Kick-off, phase 1; pricing"
    assert unescape(values["DESCRIPTION"][1]) == "Agenda:\n1. intro\n2. next steps"
    assert unescape(values["LOCATION"][1]) == "HQ, Room 4"
    assert values["URL"][1] == "https://meet.example.com/k"
    assert values["ORGANIZER"][1] == f"mailto:{users.rep.user.email}"
    assert values["STATUS"][1] == "CONFIRMED"
    attendees = {v: p.get("CN") for n, p, v in props if n == "ATTENDEE"}
    assert attendees == {
        "mailto:ann@client.example": "Ann Lee",
        "mailto:x@guest.example": "X Guest",
    }
    cancelled = client.patch(
        f"{URL}/{meeting.id}", headers=users.rep.headers, json={"status": "cancelled"}
    )
    assert cancelled.status_code == 200
    after = {
        n: v
        for n, _, v in parse(client.get(f"{URL}/{meeting.id}/ics", headers=users.rep.headers).text)
    }
    assert after["METHOD"] == "CANCEL"
    assert after["STATUS"] == "CANCELLED"
    assert after["SEQUENCE"] == "1"
    assert client.get(f"{URL}/{meeting.id}/ics", headers=users.other_rep.headers).status_code == 404


def test_own_and_on_readable_records(client: Any, db: Any, users: Any) -> None:
    mine = make_account(db, users.rep.actor)
    theirs = make_account(db, users.teammate.actor)
    visible = make_meeting(
        db, SYSTEM, owner_id=users.teammate.id, related_type="account", related_id=mine.id
    )
    hidden = make_meeting(
        db, SYSTEM, owner_id=users.teammate.id, related_type="account", related_id=theirs.id
    )
    db.commit()
    listed = {m["id"] for m in client.get(URL, headers=users.rep.headers).json()["items"]}
    assert listed == {str(visible.id)}
    assert client.get(f"{URL}/{hidden.id}", headers=users.rep.headers).status_code == 404
    r = client.patch(f"{URL}/{visible.id}", headers=users.rep.headers, json={"title": "mine now"})
    assert r.status_code == 403


def test_list_page_of_50_costs_what_a_page_of_1_costs(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, users.rep.actor, email="p@example.com")
    for i in range(50):
        make_meeting(
            db,
            users.rep.actor,
            title=f"m{i}",
            attendees=[{"contact_id": contact.id}, {"email": f"g{i}@example.com"}],
        )
    db.commit()
    # warm the per-process actor cache first (nexa.auth.service): the first request
    # resolves the API key; then a page of 1 and a page of 50 are compared
    assert client.get(URL, headers=users.rep.headers).status_code == 200
    counts = {}
    for limit in (1, 50):
        with count_queries() as statements:
            r = client.get(URL, headers=users.rep.headers, params={"limit": limit})
        assert r.status_code == 200
        items = r.json()["items"]
        assert len(items) == limit
        assert all(len(m["attendees"]) == 2 for m in items)
        counts[limit] = len(statements)
    assert counts[1] == counts[50], counts
    r = client.get(URL, headers=users.rep.headers, params={"fields": "id,title"})
    assert r.status_code == 200, r.text
    assert set(r.json()["items"][0]) == {"id", "title"}
