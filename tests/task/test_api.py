from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.filtering import ListQuery
from nexa.models import Notification, Task
from nexa.task.schemas import TaskCreate
from nexa.task.service import TaskService, send_due_reminders
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.task import make_task
from tests.query_counts import count_queries

URL = "/api/v1/tasks"


def _field(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["errors"][0]["field"]  # type: ignore[no-any-return]


def _iso(value: datetime) -> str:
    return value.isoformat()


# ---- create, defaults, validation ----------------------------------------------------------


def test_create_defaults_to_an_open_task_of_the_actor(client: Any, users: Any) -> None:
    due = utcnow() + timedelta(days=3)
    r = client.post(
        URL,
        headers=users.rep.headers,
        json={"title": " Send the proposal ", "due_at": _iso(due), "priority": "high"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["title"] == "Send the proposal"
    assert body["status"] == "open"
    assert body["priority"] == "high"
    assert body["owner_id"] == str(users.rep.id)
    assert body["created_by_id"] == str(users.rep.id)
    assert body["completed_at"] is None
    assert body["origin"] is None
    assert datetime.fromisoformat(body["due_at"]) == due.replace(microsecond=due.microsecond)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "status": "finished"}, "status"),
        ({"title": "x", "priority": "asap"}, "priority"),
        ({"title": "x", "due_at": "tomorrow"}, "due_at"),
        ({"title": "x", "related_type": "planet", "related_id": "0" * 32}, "related_type"),
        ({"title": "x", "related_id": "0" * 32}, "related_id"),
        ({"title": "x", "related_type": "contact"}, "related_type"),
        ({"title": "x", "related_type": "contact", "related_id": "0" * 32}, "related_id"),
        ({"title": "x", "origin": "onboarding"}, "origin"),
        ({"title": "x", "completed_at": "2026-01-01T00:00:00Z"}, "completed_at"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    client: Any, users: Any, body: dict[str, Any], field: str
) -> None:
    assert _field(client.post(URL, headers=users.rep.headers, json=body)) == field


def test_reminder_must_come_before_due(client: Any, users: Any) -> None:
    due = utcnow() + timedelta(days=1)
    h = users.rep.headers
    r = client.post(
        URL, headers=h, json={"title": "x", "due_at": _iso(due), "reminder_at": _iso(due)}
    )
    assert _field(r) == "reminder_at"
    ok = client.post(
        URL,
        headers=h,
        json={"title": "x", "due_at": _iso(due), "reminder_at": _iso(due - timedelta(hours=1))},
    )
    assert ok.status_code == 201, ok.text
    # a partial update is checked against the stored other half
    late = client.patch(
        f"{URL}/{ok.json()['id']}", headers=h, json={"reminder_at": _iso(due + timedelta(hours=1))}
    )
    assert _field(late) == "reminder_at"
    early_due = client.patch(
        f"{URL}/{ok.json()['id']}", headers=h, json={"due_at": _iso(due - timedelta(hours=2))}
    )
    assert _field(early_due) == "reminder_at"


def test_link_must_be_readable(client: Any, db: Any, users: Any) -> None:
    theirs = make_account(db, users.other_rep.actor, name="Not yours")
    mine = make_account(db, users.rep.actor, name="Yours")
    db.commit()
    h = users.rep.headers
    link = {"related_type": "account"}
    r = client.post(URL, headers=h, json={"title": "x", **link, "related_id": str(theirs.id)})
    assert _field(r) == "related_id"
    r = client.post(URL, headers=h, json={"title": "x", **link, "related_id": str(mine.id)})
    assert r.status_code == 201, r.text
    moved = client.patch(f"{URL}/{r.json()['id']}", headers=h, json={"related_id": str(theirs.id)})
    assert _field(moved) == "related_id"


# ---- status, completion, events ------------------------------------------------------------


def test_done_sets_completed_at_and_reopening_clears_it(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, users.rep.actor)
    db.commit()
    h = users.rep.headers
    task = client.post(
        URL,
        headers=h,
        json={"title": "Call back", "related_type": "contact", "related_id": str(contact.id)},
    ).json()
    done = client.patch(f"{URL}/{task['id']}", headers=h, json={"status": "done"})
    assert done.status_code == 200, done.text
    assert done.json()["completed_at"] is not None
    again = client.patch(f"{URL}/{task['id']}", headers=h, json={"title": "Call back (done)"})
    assert again.json()["completed_at"] == done.json()["completed_at"]
    reopened = client.patch(f"{URL}/{task['id']}", headers=h, json={"status": "in_progress"})
    assert reopened.json()["completed_at"] is None
    timeline = client.get(
        "/api/v1/timeline",
        headers=h,
        params={"record_type": "contact", "record_id": str(contact.id)},
    )
    assert timeline.status_code == 200, timeline.text
    events = [i["event"] for i in timeline.json()["items"]]
    assert events.count("task.completed") == 1
    assert "task.created" in events and "task.updated" in events
    assert events[-1] == "contact.created"


def test_created_done_is_completed(db: Any, users: Any) -> None:
    task = make_task(db, users.rep.actor, status="done")
    assert task.completed_at is not None


def test_status_cannot_be_emptied(client: Any, db: Any, users: Any) -> None:
    task = make_task(db, users.rep.actor)
    db.commit()
    r = client.patch(f"{URL}/{task.id}", headers=users.rep.headers, json={"status": None})
    assert _field(r) == "status"


# ---- assignment and origin -----------------------------------------------------------------


def test_assigning_follows_the_owner_rule(client: Any, users: Any) -> None:
    h = users.rep.headers
    r = client.post(URL, headers=h, json={"title": "x", "owner_id": str(users.teammate.id)})
    assert _field(r, 403) == "owner_id"
    r = client.post(
        URL, headers=users.admin.headers, json={"title": "x", "owner_id": str(users.rep.id)}
    )
    assert r.status_code == 201, r.text
    assert r.json()["owner_id"] == str(users.rep.id)
    assert r.json()["created_by_id"] == str(users.admin.id)
    bad = client.post(URL, headers=users.admin.headers, json={"title": "x", "owner_id": "0" * 32})
    assert _field(bad) == "owner_id"


def test_flows_set_origin_through_the_service(db: Any, users: Any) -> None:
    task = TaskService(db, SYSTEM).create(
        TaskCreate(title="Kick-off call", owner_id=users.rep.id), origin="onboarding"
    )
    assert task.origin == "onboarding"
    assert task.owner_id == users.rep.id
    assert task.created_by_id is None


# ---- "own + on records they can read" -----------------------------------------------------


def test_rep_sees_teammates_task_on_own_account_only(client: Any, db: Any, users: Any) -> None:
    own_account = make_account(db, users.rep.actor, name="Rep's account")
    their_account = make_account(db, users.teammate.actor, name="Teammate's account")
    on_mine = make_task(
        db,
        SYSTEM,
        owner_id=users.teammate.id,
        title="on rep's account",
        related_type="account",
        related_id=own_account.id,
    )
    on_theirs = make_task(
        db,
        users.teammate.actor,
        title="on teammate's account",
        related_type="account",
        related_id=their_account.id,
    )
    unlinked = make_task(db, users.teammate.actor, title="teammate's own")
    db.commit()
    h = users.rep.headers
    listed = client.get(URL, headers=h).json()["items"]
    assert {t["id"] for t in listed} == {str(on_mine.id)}
    assert client.get(f"{URL}/{on_mine.id}", headers=h).status_code == 200
    assert client.get(f"{URL}/{on_theirs.id}", headers=h).status_code == 404
    assert client.get(f"{URL}/{unlinked.id}", headers=h).status_code == 404
    # reading is not writing
    r = client.patch(f"{URL}/{on_mine.id}", headers=h, json={"title": "hijack"})
    assert r.status_code == 403, r.text
    assert client.delete(f"{URL}/{on_mine.id}", headers=h).status_code == 403
    # the manager sees the whole team's tasks
    manager = {t["id"] for t in client.get(URL, headers=users.manager.headers).json()["items"]}
    assert {str(on_mine.id), str(on_theirs.id), str(unlinked.id)} <= manager
    other = client.get(URL, headers=users.other_rep.headers).json()["items"]
    assert other == []


# ---- filters, /mine ----------------------------------------------------------------------


def test_filters(client: Any, db: Any, users: Any) -> None:
    contact = make_contact(db, users.rep.actor)
    now = utcnow()
    a = make_task(db, users.rep.actor, title="a", priority="urgent", due_at=now + timedelta(days=1))
    b = make_task(
        db,
        users.rep.actor,
        title="b",
        status="in_progress",
        related_type="contact",
        related_id=contact.id,
        due_at=now + timedelta(days=5),
    )
    db.commit()
    h = users.rep.headers

    def ids(*filters: str) -> set[str]:
        r = client.get(URL, headers=h, params={"filter": list(filters)})
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()["items"]}

    assert ids("status:eq:in_progress") == {str(b.id)}
    assert ids("priority:in:urgent,high") == {str(a.id)}
    assert ids(f"owner_id:eq:{users.rep.id}") == {str(a.id), str(b.id)}
    assert ids("related_type:eq:contact", f"related_id:eq:{contact.id}") == {str(b.id)}
    assert ids(f"due_at:lt:{(now + timedelta(days=2)).isoformat()}") == {str(a.id)}
    bad = client.get(URL, headers=h, params={"filter": "status:eq:finished"})
    assert bad.status_code == 422, bad.text


def test_mine_views(client: Any, db: Any, users: Any) -> None:
    now = utcnow()
    overdue = make_task(db, users.rep.actor, title="late", due_at=now - timedelta(days=1))
    upcoming = make_task(db, users.rep.actor, title="later", due_at=now + timedelta(days=3))
    make_task(db, users.rep.actor, title="closed", status="done", due_at=now - timedelta(days=1))
    make_task(db, users.rep.actor, title="no date")
    make_task(db, users.teammate.actor, title="theirs", due_at=now - timedelta(days=1))
    db.commit()
    h = users.rep.headers

    def view(name: str) -> list[str]:
        r = client.get(f"{URL}/mine", headers=h, params={"view": name})
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()["items"]]

    assert view("overdue") == [str(overdue.id)]
    assert view("upcoming") == [str(upcoming.id)]
    r = client.get(f"{URL}/mine", headers=h, params={"view": "someday"})
    assert _field(r) == "view"


def test_mine_today_ends_at_midnight_of_the_users_zone(db: Any, users: Any) -> None:
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    in_an_hour = make_task(db, users.rep.actor, title="soon", due_at=now + timedelta(hours=1))
    make_task(db, users.rep.actor, title="tomorrow", due_at=now + timedelta(hours=10))
    make_task(db, users.rep.actor, title="past", due_at=now - timedelta(minutes=5))
    service = TaskService(db, users.rep.actor)
    rows, _ = service.mine("today", ListQuery(), now=now)
    assert [t.id for t in rows] == [in_an_hour.id]
    users.rep.user.timezone = "America/Los_Angeles"  # 15:00 UTC is 08:00 there
    db.flush()
    rows, _ = service.mine("today", ListQuery(), now=now)
    assert {t.title for t in rows} == {"soon", "tomorrow"}
    rows, _ = service.mine("overdue", ListQuery(), now=now)
    assert [t.title for t in rows] == ["past"]


# ---- reminders -----------------------------------------------------------------------------


def test_send_due_reminders_notifies_once(db: Any, users: Any) -> None:
    now = utcnow()
    due = make_task(
        db,
        users.rep.actor,
        title="Prepare demo",
        due_at=now + timedelta(hours=2),
        reminder_at=now - timedelta(minutes=1),
    )
    make_task(db, users.rep.actor, title="not yet", reminder_at=now + timedelta(hours=1))
    make_task(
        db, users.rep.actor, title="done", status="done", reminder_at=now - timedelta(hours=1)
    )
    gone = make_task(db, users.rep.actor, title="binned", reminder_at=now - timedelta(hours=1))
    TaskService(db, users.rep.actor).delete(gone.id)
    db.commit()

    def reminders() -> list[Notification]:
        stmt = select(Notification).where(
            Notification.user_id == users.rep.id, Notification.kind == "task.reminder"
        )
        return list(db.scalars(stmt))

    assert send_due_reminders(db, now) == 1
    db.commit()
    found = reminders()
    assert [(n.record_id, n.title) for n in found] == [(due.id, "Reminder: Prepare demo")]
    db.refresh(due)
    assert due.reminded_at is not None
    assert send_due_reminders(db, now + timedelta(minutes=5)) == 0  # safe to run twice
    assert len(reminders()) == 1
    # moving the reminder arms it again
    TaskService(db, users.rep.actor).update(
        due.id, _update(reminder_at=now + timedelta(minutes=30))
    )
    assert due.reminded_at is None
    assert send_due_reminders(db, now + timedelta(minutes=31)) == 1
    assert len(reminders()) == 2


def _update(**fields: Any) -> Any:
    from nexa.task.schemas import TaskUpdate

    return TaskUpdate(**fields)


# ---- query counts --------------------------------------------------------------------------


def test_list_page_of_50_costs_what_a_page_of_1_costs(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor)
    for i in range(50):
        make_task(
            db,
            SYSTEM,
            owner_id=users.rep.id if i % 2 else users.teammate.id,
            title=f"t{i}",
            related_type="account",
            related_id=account.id,
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
        assert len(r.json()["items"]) == limit
        counts[limit] = len(statements)
    assert counts[1] == counts[50], counts


def test_task_rows_are_tasks(db: Any, users: Any) -> None:
    task = make_task(db, users.rep.actor)
    assert isinstance(task, Task)
