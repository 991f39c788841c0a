"""The meeting page: attendees with responses, adding and removing them, outcome notes, the
.ics download, and a constant number of SQL statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nexa.core.repository import unscoped
from nexa.models import MeetingAttendee
from tests.factories.contact import make_contact
from tests.factories.meeting import make_meeting
from tests.web.conftest import count_queries, form_post, sign_in

HTMX = {"HX-Request": "true"}


def attendees_of(db: Any, meeting_id: Any) -> list[MeetingAttendee]:
    db.expire_all()
    return list(
        db.scalars(
            unscoped(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id))
        )
    )


def test_the_page_shows_attendees_responses_outcome_and_the_invite_link(
    client: Any, db: Any, users: Any
) -> None:
    contact = make_contact(db, users.rep.actor, first_name="Linus", last_name="Pauling")
    meeting = make_meeting(
        db,
        users.rep.actor,
        title="Kick-off",
        outcome="Agreed on a pilot.\nNext: <b>pricing</b>",
        attendees=[
            {"contact_id": contact.id},
            {"user_id": users.teammate.id},
            {"email": "guest@example.com", "name": "Guest Person"},
        ],
    )
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/meetings/{meeting.id}")
    assert r.status_code == 200, r.text[:500]
    page = r.text
    assert f'href="/contacts/{contact.id}">Linus Pauling</a>' in page
    assert users.teammate.user.full_name in page and "Guest Person" in page
    assert page.count('class="pill pill-needs_action"') == 3
    assert "Agreed on a pilot." in page and "&lt;b&gt;pricing&lt;/b&gt;" in page
    assert f'href="/meetings/{meeting.id}/invite.ics"' in page
    assert "Download invite (.ics)" in page


def test_the_ics_download_is_the_apis_invitation(client: Any, db: Any, users: Any) -> None:
    meeting = make_meeting(db, users.rep.actor, title="Quarterly review")
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/meetings/{meeting.id}/invite.ics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="meeting.ics"'
    assert f"UID:{meeting.ics_uid}\r\n" in r.text
    assert r.text.startswith("BEGIN:VCALENDAR\r\n") and "SUMMARY:Quarterly review" in r.text
    api = client.get(f"/api/v1/meetings/{meeting.id}/ics", headers=users.rep.headers)
    assert api.text == r.text


def test_another_teams_meeting_is_404_page_and_ics(client: Any, db: Any, users: Any) -> None:
    meeting = make_meeting(db, users.other_rep.actor, title="Private planning")
    db.commit()
    sign_in(client, users.rep)
    for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/invite.ics"):
        r = client.get(url)
        assert r.status_code == 404 and "Private planning" not in r.text


def test_add_and_remove_attendees_keeps_the_others_responses(
    client: Any, db: Any, users: Any
) -> None:
    contact = make_contact(db, users.rep.actor, first_name="Rosalind", last_name="Franklin")
    meeting = make_meeting(db, users.rep.actor, attendees=[{"contact_id": contact.id}])
    first = attendees_of(db, meeting.id)[0]
    first.response = "accepted"
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(
        client,
        f"/meetings/{meeting.id}/attendees",
        csrf,
        {"email": "visitor@example.com", "name": "Visitor", "version": str(meeting.version)},
    )
    assert r.status_code == 303, r.text[:800]
    r = form_post(
        client, f"/meetings/{meeting.id}/attendees", csrf, {"user_id": str(users.teammate.id)}
    )
    assert r.status_code == 303, r.text[:800]
    rows = attendees_of(db, meeting.id)
    assert {(a.contact_id, a.user_id, a.email) for a in rows} == {
        (contact.id, None, contact.email),
        (None, users.teammate.id, users.teammate.user.email),
        (None, None, "visitor@example.com"),
    }
    assert next(a for a in rows if a.contact_id).response == "accepted"
    guest = next(a for a in rows if a.email == "visitor@example.com")
    r = form_post(
        client, f"/meetings/{meeting.id}/attendees/{guest.id}/remove", csrf, {}, headers=HTMX
    )
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"/meetings/{meeting.id}"
    rows = attendees_of(db, meeting.id)
    assert len(rows) == 2 and next(a for a in rows if a.contact_id).response == "accepted"
    assert "Visitor" not in client.get(f"/meetings/{meeting.id}").text


def test_a_bad_attendee_shows_the_error_in_place(client: Any, db: Any, users: Any) -> None:
    hidden = make_contact(db, users.other_rep.actor, last_name="Invisible")
    meeting = make_meeting(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    empty = form_post(client, f"/meetings/{meeting.id}/attendees", csrf, {}, headers=HTMX)
    assert empty.status_code == 422 and 'id="attendees"' in empty.text
    assert "choose a contact, a user or an email address" in empty.text
    bad = form_post(client, f"/meetings/{meeting.id}/attendees", csrf, {"email": "nope"})
    assert bad.status_code == 422 and "<html" in bad.text and 'id="attendee-error"' in bad.text
    unseen = form_post(
        client, f"/meetings/{meeting.id}/attendees", csrf, {"contact_id": str(hidden.id)}
    )
    assert unseen.status_code == 422 and "Invisible" not in unseen.text
    stale = form_post(
        client,
        f"/meetings/{meeting.id}/attendees",
        csrf,
        {"email": "a@example.com", "version": "0"},
    )
    assert stale.status_code == 412
    assert attendees_of(db, meeting.id) == []


def _statements(client: Any, url: str) -> int:
    with count_queries() as statements:
        r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    return len(statements)


def test_the_meeting_page_issues_the_same_statements_for_1_or_20_attendees(
    client: Any, db: Any, users: Any
) -> None:
    urls = []
    for n in (1, 20):
        contacts = [make_contact(db, users.rep.actor) for _ in range(n)]
        meeting = make_meeting(
            db, users.rep.actor, attendees=[{"contact_id": c.id} for c in contacts]
        )
        urls.append(f"/meetings/{meeting.id}")
    db.commit()
    sign_in(client, users.rep)
    _statements(client, urls[0])  # warm the per-process caches
    assert _statements(client, urls[0]) == _statements(client, urls[1])
