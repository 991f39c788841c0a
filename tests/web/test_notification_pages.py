"""The notification centre (issue 18, point 5): items link to their record and are marked
read on the way, grouped by day in the user's time zone, marked read one by one or all at
once in place (htmx), and the kinds a user turned off are not listed (nor emailed)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from nexa.core.db import utcnow
from nexa.models import Notification
from nexa.notification.service import notify, unread_count, wants
from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in


def _note(db: Any, user_id: Any, title: str, *, days_ago: int = 0, **fields: Any) -> Any:
    note = notify(db, user_id=user_id, kind=fields.pop("kind", "assigned"), title=title, **fields)
    assert note is not None
    note.created_at = utcnow() - timedelta(days=days_ago)
    db.flush()
    return note


def _items(html: str) -> list[str]:
    return re.findall(r'data-testid="notification"', html)


def test_items_are_grouped_by_day_and_open_their_record_marking_it_read(
    client: Any, db: Any, users: Any
) -> None:
    rep = users.rep
    lead = make_lead(db, rep.actor, company="Initech", owner_id=rep.id)
    opened = _note(db, rep.id, "Lead Ada Byron assigned to you", record_type="lead",
                   record_id=lead.id)  # fmt: skip
    _note(db, rep.id, "Yesterday's news", days_ago=1)
    _note(db, rep.id, "Old news", days_ago=9)
    db.commit()
    csrf = sign_in(client, rep)
    page = client.get("/notifications").text
    assert page.index(">Today<") < page.index(">Yesterday<") < page.index("Old news")
    assert "3 unread notifications" in page and len(_items(page)) == 3
    assert f'action="/notifications/{opened.id}/open"' in page  # the item is a link
    r = form_post(client, f"/notifications/{opened.id}/open", csrf, {})
    assert r.status_code == 303 and r.headers["location"] == f"/leads/{lead.id}"
    db.expire_all()
    assert db.get(Notification, opened.id).read_at is not None
    assert unread_count(db, rep.actor) == 2


def test_mark_one_and_all_read_in_place(client: Any, db: Any, users: Any) -> None:
    rep = users.rep
    first = _note(db, rep.id, "First")
    _note(db, rep.id, "Second")
    db.commit()
    csrf = sign_in(client, rep)
    htmx = {"HX-Request": "true", "X-CSRF-Token": csrf}
    r = client.post(f"/notifications/{first.id}/read", headers=htmx)
    assert r.status_code == 200
    assert r.text.strip().startswith("<li") and "unread" not in r.text.split(">")[0]
    # the page's count and the header's badge follow, out of band
    assert (
        'id="notif-count" data-testid="notif-count" hx-swap-oob="true">1 unread notification.'
        in r.text
    )
    assert '<span id="unread" class="badge" hx-swap-oob="true">1</span>' in r.text
    assert unread_count(db, rep.actor) == 1
    r = client.post("/notifications/read-all", headers=htmx)
    assert r.status_code == 200 and "All caught up." in r.text and "<html" not in r.text
    assert '<span id="unread" class="badge" hx-swap-oob="true">0</span>' in r.text
    assert unread_count(db, rep.actor) == 0
    # another user's notification is not one's own to mark
    other = _note(db, users.teammate.id, "Not yours")
    db.commit()
    assert client.post(f"/notifications/{other.id}/read", headers=htmx).status_code == 404


def test_preferences_mute_a_kind_in_the_app_and_by_email(client: Any, db: Any, users: Any) -> None:
    rep = users.rep
    earlier = _note(db, rep.id, "An SLA warning from before", kind="sla.warning")
    db.commit()
    csrf = sign_in(client, rep)
    profile = client.get("/profile").text
    assert 'id="notification-preferences"' in profile and 'name="task.reminder.app"' in profile
    # everything on, but task reminders off in the app (still by email) and SLA warnings off
    chosen = [("assigned.app", "on"), ("assigned.email", "on"), ("lead.routed.app", "on"),
              ("task.reminder.email", "on")]  # fmt: skip
    r = form_post(client, "/profile/notifications", csrf, chosen)
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Notification, earlier.id).read_at is not None  # muted: no longer unread
    rep.user.notify_by_email = True
    db.flush()
    assert wants(rep.user, "task.reminder", "email") and not wants(rep.user, "task.reminder", "app")
    assert not wants(rep.user, "sla.warning", "app") and not wants(
        rep.user, "sla.breached", "email"
    )
    assert notify(db, user_id=rep.id, kind="sla.warning", title="SLA soon") is None  # not made
    reminder = notify(db, user_id=rep.id, kind="task.reminder", title="Call Ada back")
    assert reminder is not None and reminder.read_at is not None  # only emailed
    _note(db, rep.id, "Shown")
    db.commit()
    page = client.get("/notifications").text
    assert "Shown" in page and "Call Ada back" not in page and "SLA soon" not in page
    shown = client.get("/profile").text
    assert 'name="task.reminder.app" value="on"  aria-label' in shown  # unchecked now
    assert 'name="task.reminder.email" value="on" checked' in shown
    titles = set(db.scalars(select(Notification.title).where(Notification.user_id == rep.id)))
    assert titles == {"Call Ada back", "Shown", "An SLA warning from before"}


def test_a_note_created_for_someone_else_says_so_once(db: Any, users: Any) -> None:
    """'New note note assigned to you' (the record type twice when it has no label)."""
    from nexa.note.schemas import NoteCreate
    from nexa.note.service import NoteService

    lead = make_lead(db, users.admin.actor, owner_id=users.rep.id)
    NoteService(db, users.admin.actor).create(
        NoteCreate(body="Budget confirmed", related_type="lead", related_id=lead.id,
                   owner_id=users.rep.id)
    )  # fmt: skip
    db.flush()
    titles = list(
        db.scalars(select(Notification.title).where(Notification.user_id == users.rep.id))
    )
    assert titles and not any("note note" in t for t in titles), titles
