"""/api/v1/booking-pages: one's own page and a team's; the settings' rules; the merge fields
``{{ owner.booking_link }}`` and ``{{ booking_link }}``."""

from __future__ import annotations

from typing import Any

from nexa.email import service as email_service
from nexa.email.schemas import PreviewIn
from tests.factories.lead import make_lead

BODY = {"slug": "anna-smith", "title": "Meet Anna", "duration_minutes": 45}


def test_own_page_is_made_read_and_changed(client: Any, users: Any) -> None:
    h = users.rep.headers
    assert client.get("/api/v1/booking-pages/me", headers=h).status_code == 404
    r = client.put("/api/v1/booking-pages/me", headers=h, json=BODY)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["url"].endswith("/book/anna-smith") and page["user_id"] == str(users.rep.id)
    assert page["working_hours"]["mon"] == [["09:00", "17:00"]]
    assert "sat" not in page["working_hours"]
    assert page["duration_minutes"] == 45 and page["enabled"] is True
    changed = client.put(
        "/api/v1/booking-pages/me",
        headers={**h, "If-Match": r.headers["ETag"]},
        json={**BODY, "working_hours": {"tue": [["13:00", "15:00"], ["08:00", "10:00"]]}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["working_hours"] == {"tue": [["08:00", "10:00"], ["13:00", "15:00"]]}
    assert changed.json()["id"] == page["id"]
    assert [p["slug"] for p in client.get("/api/v1/booking-pages", headers=h).json()] == [
        "anna-smith"
    ]


def test_settings_are_checked_naming_the_field(client: Any, users: Any) -> None:
    h = users.rep.headers

    def field_of(**change: Any) -> tuple[int, str]:
        r = client.put("/api/v1/booking-pages/me", headers=h, json={**BODY, **change})
        return r.status_code, r.json()["errors"][0]["field"]

    assert field_of(duration_minutes=10) == (422, "duration_minutes")
    assert field_of(duration_minutes=241) == (422, "duration_minutes")
    assert field_of(slug="Anna Smith!") == (422, "slug")
    assert field_of(working_hours={"mon": [["17:00", "09:00"]]})[1].startswith("working_hours")
    assert field_of(working_hours={"mon": [["9am", "5pm"]]})[1].startswith("working_hours")
    assert field_of(working_hours={"funday": [["09:00", "10:00"]]})[1].startswith("working_hours")
    overlapping = {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}
    assert field_of(working_hours=overlapping)[1].startswith("working_hours")
    # a slug is unique across users and teams
    assert client.put("/api/v1/booking-pages/me", headers=h, json=BODY).status_code == 200
    taken = client.put("/api/v1/booking-pages/me", headers=users.teammate.headers, json=BODY)
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "slug"
    assert "taken" in taken.json()["detail"]


def test_team_pages_are_for_admins_and_the_teams_managers(client: Any, users: Any) -> None:
    team_id = users.rep.user.team_id
    path = f"/api/v1/booking-pages/teams/{team_id}"
    body = {**BODY, "slug": "east-sales", "title": "Talk to sales"}
    assert client.put(path, headers=users.rep.headers, json=body).status_code in (403, 404)
    assert client.put(path, headers=users.other_manager.headers, json=body).status_code == 404
    r = client.put(path, headers=users.manager.headers, json=body)
    assert r.status_code == 200 and r.json()["team_id"] == str(team_id)
    assert client.get(path, headers=users.admin.headers).json()["slug"] == "east-sales"
    listed = client.get("/api/v1/booking-pages", headers=users.manager.headers).json()
    assert "east-sales" in [p["slug"] for p in listed]


def test_booking_links_are_merge_fields(client: Any, db: Any, users: Any) -> None:
    assert client.put("/api/v1/booking-pages/me", headers=users.rep.headers, json=BODY).is_success
    lead = make_lead(db, users.rep.actor, email="zoe@lead.example")
    other = make_lead(db, users.other_rep.actor, email="yan@lead.example")
    db.commit()
    template = "Book: {{ owner.booking_link }} | {{ booking_link }}"
    mine = email_service.preview(
        db,
        users.rep.actor,
        PreviewIn(record_type="lead", record_id=lead.id, subject="Hi", text=template),
    )
    assert mine.text == "Book: http://127.0.0.1:8000/book/anna-smith | " + (
        "http://127.0.0.1:8000/book/anna-smith"
    )
    # the owner (other_rep) has no page: owner.booking_link is empty, booking_link is the
    # sender's (an admin, who reads every lead) — and empty when the sender has none either
    none = email_service.preview(
        db,
        users.admin.actor,
        PreviewIn(record_type="lead", record_id=other.id, subject="Hi", text=template),
    )
    assert none.text == "Book:  | "
    admin_page = {**BODY, "slug": "the-admin"}
    assert client.put("/api/v1/booking-pages/me", headers=users.admin.headers, json=admin_page)
    theirs = email_service.preview(
        db,
        users.admin.actor,
        PreviewIn(record_type="lead", record_id=other.id, subject="Hi", text=template),
    )
    assert theirs.text == "Book:  | http://127.0.0.1:8000/book/the-admin"
