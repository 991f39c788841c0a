"""The public booking page over HTTP: a visitor picks a slot, the meeting is made on a
contact or a (new) lead, the invitation reaches a real SMTP server with a parseable .ics;
taken slots, bad input, disabled pages and round robin on a team page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
from sqlalchemy import select

from nexa.booking import service
from nexa.booking.schemas import BookingPageIn
from nexa.core.actor import SYSTEM
from nexa.core.repository import unscoped
from nexa.models import Activity, Booking, Lead, Meeting, MeetingAttendee, OutboxMessage
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.contact import make_contact
from tests.factories.meeting import make_meeting
from tests.factories.user import Person

EVERY_DAY = {d: [["00:00", "23:30"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
JSON = {"Accept": "application/json"}


def make_page(db: Any, person: Person, **fields: Any) -> Any:
    body: dict[str, Any] = {
        "slug": f"meet-{uuid.uuid4().hex[:8]}",
        "title": "Intro call",
        "duration_minutes": 30,
        "notice_hours": 1,
        "days_ahead": 7,
        "working_hours": EVERY_DAY,
    }
    body.update(fields)
    page = service.put_own_page(db, person.actor, BookingPageIn(**body))
    db.commit()
    return page


def offered(client: Any, slug: str, tz: str = "UTC") -> tuple[list[str], str]:
    r = client.get(f"/book/{slug}", params={"tz": tz})
    assert r.status_code == 200, r.text[:300]
    slots = re.findall(r'name="starts_at" value="([^"]+)"', r.text)
    token = re.search(r'name="token" value="([^"]+)"', r.text)
    assert token is not None
    return slots, token.group(1)


def book(client: Any, slug: str, token: str, start: str, **fields: str) -> Any:
    data = {"token": token, "starts_at": start, "name": "Ada Lovelace"}
    data["email"] = "ada@visitor.example"
    data.update(fields)
    return client.post(f"/book/{slug}", data=data)


def scalars(db: Any, stmt: Any) -> Any:
    return db.scalars(unscoped(stmt))


def outbox(db: Any, event: str) -> list[OutboxMessage]:
    return list(scalars(db, select(OutboxMessage).where(OutboxMessage.event == event)))


def test_a_visitor_books_a_new_lead_and_receives_the_invitation(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    page = make_page(db, users.rep)
    slots, token = offered(client, page.slug, "Europe/Paris")
    assert slots, "an every-day page offers slots"
    # the page shows the times in the visitor's zone (Paris is UTC+1 in winter, +2 in summer)
    first = datetime.fromisoformat(slots[0].replace("Z", "+00:00"))
    r = book(client, page.slug, token, slots[0], note="About the pilot", tz="Europe/Paris")
    assert r.status_code == 201, r.text[:500]
    assert "An invitation is on its way to ada@visitor.example" in r.text
    assert "(Europe/Paris)" in r.text

    lead = scalars(db, select(Lead).where(Lead.email == "ada@visitor.example")).one()
    assert (lead.source, lead.owner_id, lead.last_name) == (
        "booking_page",
        users.rep.id,
        "Lovelace",
    )
    meeting = scalars(db, select(Meeting).where(Meeting.related_id == lead.id)).one()
    assert meeting.owner_id == users.rep.id and meeting.related_type == "lead"
    assert meeting.starts_at == first and meeting.ends_at == first + timedelta(minutes=30)
    assert meeting.description == "About the pilot"
    [attendee] = scalars(
        db, select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)
    )
    assert attendee.email == "ada@visitor.example"
    [booked] = outbox(db, "meeting.booked")
    assert booked.payload["meeting_id"] == str(meeting.id)
    assert booked.payload["host_id"] == str(users.rep.id)
    assert (booked.payload["related_type"], booked.payload["related_id"]) == ("lead", str(lead.id))
    assert booked.payload["booking_page_id"] == str(page.id)
    assert outbox(db, "meeting.created")
    # on the lead's timeline (the meeting domain's entry)
    timeline = scalars(
        db, select(Activity).where(Activity.record_type == "lead", Activity.record_id == lead.id)
    ).all()
    assert "meeting.created" in {a.event for a in timeline}

    assert pump() == {"sent": 1}
    message = smtp_server.received[0].message
    assert message["To"].addresses[0].addr_spec == "ada@visitor.example"
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    raw = part.get_payload(decode=True)
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == meeting.ics_uid
    assert str(event["ORGANIZER"]).lower() == f"mailto:{users.rep.user.email}".lower()
    assert event.decoded("DTSTART") == first and event.decoded("DTSTART").tzinfo is not None
    assert b"DTSTART:" + first.strftime("%Y%m%dT%H%M%SZ").encode() in raw  # written in UTC
    assert "mailto:ada@visitor.example" in [str(a).lower() for a in event.get("ATTENDEE", [])] + [
        str(event.get("ATTENDEE", "")).lower()
    ]


def test_a_known_contact_is_matched_and_without_smtp_the_page_says_no_invitation(
    client: Any, db: Any, users: Any
) -> None:
    contact = make_contact(db, users.rep.actor, email="grace@buyer.example", last_name="Hopper")
    db.commit()
    page = make_page(db, users.rep)
    slots, token = offered(client, page.slug)
    r = book(client, page.slug, token, slots[0], email="Grace@Buyer.example", name="Grace H")
    assert r.status_code == 201, r.text[:500]
    assert "no invitation was sent" in r.text
    meeting = scalars(db, select(Meeting).where(Meeting.related_id == contact.id)).one()
    assert meeting.related_type == "contact"
    [attendee] = scalars(
        db, select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)
    )
    assert attendee.contact_id == contact.id
    assert scalars(db, select(Lead).where(Lead.email == "grace@buyer.example")).first() is None


def test_the_same_slot_cannot_be_booked_twice(client: Any, db: Any, users: Any) -> None:
    page = make_page(db, users.rep)
    slots, token_a = offered(client, page.slug)
    _, token_b = offered(client, page.slug)  # a second visitor sees the same page
    assert book(client, page.slug, token_a, slots[0]).status_code == 201
    second = book(client, page.slug, token_b, slots[0], email="bob@visitor.example")
    assert second.status_code == 409
    assert "that time was booked a moment ago" in second.text
    again = client.post(
        f"/book/{page.slug}",
        data={"token": token_b, "starts_at": slots[0], "name": "Bob", "email": "b@x.example"},
        headers=JSON,
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "starts_at"
    assert scalars(db, select(Booking).where(Booking.page_id == page.id)).all().__len__() == 1
    assert slots[0] not in offered(client, page.slug)[0]


def test_a_host_meeting_or_attendance_takes_the_slot_away(client: Any, db: Any, users: Any) -> None:
    page = make_page(db, users.rep, buffer_after_minutes=30)
    slots, _ = offered(client, page.slug)
    start = datetime.fromisoformat(slots[4].replace("Z", "+00:00"))
    # the teammate organizes a meeting the rep attends: it blocks the rep too
    make_meeting(
        db,
        users.teammate.actor,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        attendees=[{"user_id": users.rep.id}],
    )
    db.commit()
    now_offered, _ = offered(client, page.slug)
    assert slots[4] not in now_offered
    assert slots[3] not in now_offered  # its 30-minute buffer after reaches into the meeting
    assert slots[5] in now_offered  # a buffer after the new meeting, not before it


def test_bad_input_is_refused_naming_the_field(client: Any, db: Any, users: Any) -> None:
    page = make_page(db, users.rep)
    slots, token = offered(client, page.slug)

    def refused(**fields: str) -> tuple[int, str]:
        data = {"token": token, "starts_at": slots[0], "name": "Ada", "email": "ada@v.example"}
        data.update(fields)
        r = client.post(f"/book/{page.slug}", data=data, headers=JSON)
        return r.status_code, r.json()["errors"][0]["field"]

    past = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert refused(starts_at=past) == (422, "starts_at")
    odd = datetime.fromisoformat(slots[0].replace("Z", "+00:00")) + timedelta(minutes=7)
    assert refused(starts_at=odd.isoformat()) == (422, "starts_at")
    far = datetime.fromisoformat(slots[-1].replace("Z", "+00:00")) + timedelta(days=2)
    assert refused(starts_at=far.isoformat()) == (422, "starts_at")
    assert refused(starts_at="tomorrow at ten") == (422, "starts_at")
    assert refused(email="not an address") == (422, "email")
    assert refused(name="") == (422, "name")
    assert refused(token="") == (403, "token")
    assert refused(token="1." + "0" * 64) == (403, "token")
    # the HTML form shows the error next to the field, with a 4xx
    r = client.post(
        f"/book/{page.slug}",
        data={"token": token, "starts_at": slots[0], "name": "Ada", "email": "nope"},
    )
    assert r.status_code == 422 and "not a valid email address" in r.text
    assert scalars(db, select(Booking).where(Booking.page_id == page.id)).first() is None


def test_outside_working_hours_is_refused(client: Any, db: Any, users: Any) -> None:
    """A page open on no day offers nothing, and a slot sent anyway is refused."""
    page = make_page(db, users.rep, working_hours={})
    slots, token = offered(client, page.slug)
    assert slots == []
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    r = client.post(
        f"/book/{page.slug}",
        data={"token": token, "starts_at": start.isoformat(), "name": "A", "email": "a@v.example"},
        headers=JSON,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "starts_at"


def test_a_disabled_page_is_not_found(client: Any, db: Any, users: Any) -> None:
    page = make_page(db, users.rep)
    slots, token = offered(client, page.slug)
    page.enabled = False
    db.commit()
    assert client.get(f"/book/{page.slug}").status_code == 404
    assert book(client, page.slug, token, slots[0]).status_code == 404
    assert client.get("/book/no-such-page").status_code == 404


def test_a_team_page_books_round_robin(client: Any, db: Any, users: Any) -> None:
    team_id = users.rep.user.team_id
    page = service.put_team_page(
        db,
        users.manager.actor,
        team_id,
        BookingPageIn(
            slug=f"team-{uuid.uuid4().hex[:8]}",
            title="Talk to sales",
            notice_hours=1,
            working_hours=EVERY_DAY,
        ),
    )
    db.commit()
    members = {users.manager.id, users.rep.id, users.teammate.id}
    hosts = []
    for i in range(3):
        slots, token = offered(client, page.slug)
        r = client.post(
            f"/book/{page.slug}",
            data={
                "token": token,
                "starts_at": slots[i * 3],
                "name": f"Visitor {i}",
                "email": f"visitor{i}@v.example",
            },
            headers=JSON,
        )
        assert r.status_code == 201, r.text
        meeting = scalars(
            db, select(Meeting).where(Meeting.starts_at == datetime.fromisoformat(slots[i * 3]))
        ).one()
        hosts.append(meeting.owner_id)
    assert set(hosts) == members  # each member once before anyone twice

    # the least recently booked member is busy at the next slot: the next one in line gets it
    slots, token = offered(client, page.slug)
    start = datetime.fromisoformat(slots[-1].replace("Z", "+00:00"))
    make_meeting(
        db, SYSTEM, owner_id=hosts[0], starts_at=start, ends_at=start + timedelta(minutes=30)
    )
    db.commit()
    slots_now, token = offered(client, page.slug)
    assert slots[-1] in slots_now  # two members are still free then
    r = client.post(
        f"/book/{page.slug}",
        data={"token": token, "starts_at": slots[-1], "name": "V", "email": "v9@v.example"},
        headers=JSON,
    )
    assert r.status_code == 201, r.text
    booked = scalars(
        db,
        select(Meeting).where(Meeting.starts_at == start, Meeting.title.contains("Talk to sales")),
    ).one()
    assert booked.owner_id == hosts[1]


def test_the_host_sees_what_the_meeting_is_on_when_it_can(client: Any, db: Any, users: Any) -> None:
    """A contact of another team's rep and a lead of the host's own share the address: the
    meeting goes on the lead the host can see. With only the other's contact, it goes on that
    contact (its owner sees the meeting on its timeline) — no twin lead is made."""
    from tests.factories.lead import make_lead

    hidden = make_contact(db, users.other_rep.actor, email="kim@buyer.example")
    mine = make_lead(db, users.rep.actor, email="kim@buyer.example")
    only_hidden = make_contact(db, users.other_rep.actor, email="lee@buyer.example")
    db.commit()
    page = make_page(db, users.rep)
    slots, token = offered(client, page.slug)
    assert book(client, page.slug, token, slots[0], email="kim@buyer.example").status_code == 201
    assert book(client, page.slug, token, slots[1], email="lee@buyer.example").status_code == 201
    on = {
        m.related_id: m.related_type
        for m in scalars(db, select(Meeting).where(Meeting.owner_id == users.rep.id)).all()
    }
    assert on.get(mine.id) == "lead" and hidden.id not in on
    assert on.get(only_hidden.id) == "contact"
    assert scalars(db, select(Lead).where(Lead.email == "lee@buyer.example")).first() is None


def test_bookings_from_one_address_are_rate_limited(
    client: Any, db: Any, users: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(service, "RATE_PER_HOUR", 2)
    page = make_page(db, users.rep)
    slots, token = offered(client, page.slug)
    for i in range(2):
        r = book(client, page.slug, token, slots[i], email=f"n{i}@v.example")
        assert r.status_code == 201
    limited = book(client, page.slug, token, slots[3], email="n3@v.example")
    assert limited.status_code == 429 and "too many bookings" in limited.text


def test_what_the_records_refuse_is_named_as_the_visitors_field(
    client: Any, db: Any, users: Any
) -> None:
    page = make_page(db, users.rep)
    slots, token = offered(client, page.slug)

    def refused(**fields: str) -> tuple[int, str]:
        data = {"token": token, "starts_at": slots[0], "name": "Ada", "email": "ada@v.example"}
        r = client.post(f"/book/{page.slug}", data=data | fields, headers=JSON)
        assert "errors" in r.json(), r.text
        return r.status_code, r.json()["errors"][0]["field"]

    assert refused(note="hello\x07there") == (422, "note")
    assert scalars(db, select(Booking).where(Booking.page_id == page.id)).first() is None


def test_a_switched_off_lead_source_does_not_stop_a_booking(
    client: Any, db: Any, users: Any
) -> None:
    from nexa.models import LeadSource

    db.get(LeadSource, "booking_page").active = False
    db.commit()
    page = make_page(db, users.rep)
    slots, token = offered(client, page.slug)
    assert book(client, page.slug, token, slots[0], email="src@v.example").status_code == 201
    lead = scalars(db, select(Lead).where(Lead.email == "src@v.example")).one()
    assert lead.source is None and lead.owner_id == users.rep.id
