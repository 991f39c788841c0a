"""Task pages: /tasks/mine (grouped, quick Done), /tasks/board (kanban by status, move by drag
or by the fallback form), and the task record page (Complete / Reopen, related record)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nexa.core.actor import SYSTEM
from nexa.models import Task
from tests.factories.account import make_account
from tests.factories.lead import make_lead
from tests.factories.task import make_task
from tests.web.conftest import count_queries, form_post, sign_in

HTMX = {"HX-Request": "true"}


def _noon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon right now, so "today" has hours on both
    sides of now whatever time the tests run."""
    offset = 12 - now.hour  # -11 … +12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/ signs are inverted


def _sections(html: str, marker: str) -> dict[str, str]:
    """The HTML of each section whose opening tag contains ``marker="<key>"``."""
    found = {}
    for m in re.finditer(rf'<section [^>]*{marker}="([a-z_]+)"', html):
        end = html.find("</section>", m.end())
        found[m.group(1)] = html[m.end() : end]
    return found


def _status(db: Any, task: Task) -> str:
    db.expire_all()
    found = db.get(Task, task.id)
    assert found is not None
    return str(found.status)


# ---- /tasks/mine -----------------------------------------------------------------------------


def test_mine_groups_overdue_today_upcoming_and_undated(client: Any, db: Any, users: Any) -> None:
    now = datetime.now(UTC)
    users.rep.user.timezone = _noon_zone(now)
    rep = users.rep.actor
    lead = make_lead(db, rep, first_name="Grace", last_name="Hopper")
    make_task(db, rep, title="Late call", due_at=now - timedelta(days=2), priority="urgent")
    make_task(
        db,
        rep,
        title="Today call",
        due_at=now + timedelta(hours=2),
        related_type="lead",
        related_id=lead.id,
    )
    make_task(db, rep, title="Next week call", due_at=now + timedelta(days=6))
    make_task(db, rep, title="Someday call")
    make_task(db, rep, title="Finished call", due_at=now + timedelta(hours=1), status="done")
    make_task(db, users.teammate.actor, title="Teammate call", due_at=now + timedelta(hours=1))
    db.commit()
    sign_in(client, users.rep)
    r = client.get("/tasks/mine")
    assert r.status_code == 200, r.text[:500]
    groups = _sections(r.text, "data-group")
    assert list(groups) == ["overdue", "today", "upcoming", "undated"]
    assert "Late call" in groups["overdue"] and "pill-urgent" in groups["overdue"]
    assert "Today call" in groups["today"]
    assert f'href="/leads/{lead.id}"' in groups["today"] and "Grace Hopper" in groups["today"]
    local = (now + timedelta(hours=2)).astimezone(ZoneInfo(_noon_zone(now)))
    assert f"Today {local:%H:%M}" in groups["today"]  # shown in the user's time zone
    assert "Next week call" in groups["upcoming"]
    assert "Someday call" in groups["undated"]
    for group in groups.values():
        assert "Finished call" not in group and "Teammate call" not in group
    assert r.text.count('data-action="complete"') == 4
    # the links between the task pages, and only our own script/style files (CSP)
    assert 'href="/tasks/board"' in r.text and 'href="/tasks"' in r.text
    assert "<script>" not in r.text and "style=" not in r.text


def test_done_completes_the_task_and_it_leaves_the_open_list(
    client: Any, db: Any, users: Any
) -> None:
    task = make_task(db, users.rep.actor, title="Send the proposal", due_at=datetime.now(UTC))
    db.commit()
    csrf = sign_in(client, users.rep)
    assert "Send the proposal" in client.get("/tasks/mine").text
    r = form_post(client, f"/tasks/{task.id}/complete", csrf, {"back": "/tasks/mine"}, headers=HTMX)
    assert r.status_code == 200, r.text[:500]
    assert "<s>Send the proposal</s>" in r.text and 'data-action="reopen"' in r.text
    db.expire_all()
    done = db.get(Task, task.id)
    assert done is not None and done.status == "done" and done.completed_at is not None
    assert "Send the proposal" not in client.get("/tasks/mine").text
    # Undo brings the row back (as the row of /tasks/mine)
    r = form_post(client, f"/tasks/{task.id}/reopen", csrf, {"back": "/tasks/mine"}, headers=HTMX)
    assert r.status_code == 200 and 'data-action="complete"' in r.text
    assert _status(db, task) == "open"
    # without script: a redirect back to the page
    r = form_post(client, f"/tasks/{task.id}/complete", csrf, {"back": "/tasks/mine"})
    assert r.status_code == 303 and r.headers["location"] == "/tasks/mine"
    assert _status(db, task) == "done"


def test_complete_needs_the_csrf_token_and_back_is_same_site_only(
    client: Any, db: Any, users: Any
) -> None:
    task = make_task(db, users.rep.actor, title="Token test")
    db.commit()
    csrf = sign_in(client, users.rep)
    r = client.post(f"/tasks/{task.id}/complete", follow_redirects=False)
    assert r.status_code == 403
    assert _status(db, task) == "open"
    r = form_post(client, f"/tasks/{task.id}/complete", csrf, {"back": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task.id}"


# ---- /tasks/board ----------------------------------------------------------------------------


def test_board_has_a_column_per_status_and_the_fallback_move_changes_status(
    client: Any, db: Any, users: Any
) -> None:
    task = make_task(db, users.rep.actor, title="Draft the contract", priority="high")
    make_task(db, users.rep.actor, title="Low one", priority="low")
    db.commit()
    csrf = sign_in(client, users.rep)
    r = client.get("/tasks/board")
    assert r.status_code == 200, r.text[:500]
    columns = _sections(r.text, "data-status")
    assert list(columns) == ["open", "in_progress", "done", "cancelled"]
    assert f'data-task-id="{task.id}"' in columns["open"]
    assert 'aria-label="Move to status"' in columns["open"] and ">Move</button>" in columns["open"]
    assert '<script src="/static/js/tasks.js" defer></script>' in r.text
    # the priority filter
    high = _sections(client.get("/tasks/board?priority=high").text, "data-status")
    assert "Draft the contract" in high["open"] and "Low one" not in high["open"]

    back = "/tasks/board?scope=mine&priority=high"
    r = form_post(client, f"/tasks/{task.id}/status", csrf, {"status": "in_progress", "back": back})
    assert r.status_code == 303, r.text[:500]
    assert r.headers["location"] == back
    assert _status(db, task) == "in_progress"
    columns = _sections(client.get(back).text, "data-status")
    assert f'data-task-id="{task.id}"' in columns["in_progress"]
    assert f'data-task-id="{task.id}"' not in columns["open"]
    # what tasks.js does when a card is dropped: JSON back, token in the header
    r = client.post(
        f"/tasks/{task.id}/status",
        data={"status": "done"},
        headers={"X-CSRF-Token": csrf, "Accept": "application/json", **HTMX},
    )
    assert r.status_code == 200, r.text[:500]
    assert r.json() == {
        "id": str(task.id),
        "status": "done",
        "label": "Done",
        "title": "Draft the contract",
    }
    assert _status(db, task) == "done"
    # an unknown status is a 422 naming the field
    r = form_post(client, f"/tasks/{task.id}/status", csrf, {"status": "someday"}, headers=HTMX)
    assert r.status_code == 422 and "status" in r.text


def test_a_rep_cannot_move_another_teams_private_task(client: Any, db: Any, users: Any) -> None:
    theirs = make_task(db, users.other_rep.actor, title="West coast secret")
    db.commit()
    csrf = sign_in(client, users.rep)
    for url, data in (
        (f"/tasks/{theirs.id}/status", {"status": "done"}),
        (f"/tasks/{theirs.id}/complete", {}),
    ):
        r = form_post(client, url, csrf, data, headers=HTMX)
        assert r.status_code in (403, 404), (url, r.status_code)
    assert _status(db, theirs) == "open"
    assert "West coast secret" not in client.get("/tasks/board?scope=all").text


def test_a_rep_reads_but_cannot_move_a_teammates_task_on_their_account(
    client: Any, db: Any, users: Any
) -> None:
    account = make_account(db, users.rep.actor, name="Rep's account")
    task = make_task(
        db,
        SYSTEM,
        owner_id=users.teammate.id,
        title="Teammate's task on it",
        related_type="account",
        related_id=account.id,
    )
    db.commit()
    csrf = sign_in(client, users.rep)
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    assert 'data-action="complete"' not in page.text  # shown only to who may change it
    r = form_post(client, f"/tasks/{task.id}/status", csrf, {"status": "done"}, headers=HTMX)
    assert r.status_code == 403
    assert _status(db, task) == "open"


def test_board_scopes_follow_the_grant(client: Any, db: Any, users: Any) -> None:
    make_task(db, users.teammate.actor, title="Teammate task")
    db.commit()
    sign_in(client, users.rep)
    assert 'value="team"' not in client.get("/tasks/board").text
    sign_in(client, users.manager)
    mine = client.get("/tasks/board").text
    assert 'value="team"' in mine and "Teammate task" not in mine
    team = client.get("/tasks/board?scope=team").text
    assert "Teammate task" in team
    # an unknown scope falls back to mine
    assert "Teammate task" not in client.get("/tasks/board?scope=everyone").text


# ---- the task record page --------------------------------------------------------------------


def test_task_page_completes_and_reopens_and_links_the_related_record(
    client: Any, db: Any, users: Any
) -> None:
    account = make_account(db, users.rep.actor, name="Babbage Ltd")
    task = make_task(
        db,
        users.rep.actor,
        title="Call Babbage",
        due_at=datetime.now(UTC) - timedelta(days=1),
        related_type="account",
        related_id=account.id,
    )
    db.commit()
    csrf = sign_in(client, users.rep)
    url = f"/tasks/{task.id}"
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    assert f'<a href="/accounts/{account.id}">Babbage Ltd</a>' in page.text
    assert 'data-action="complete"' in page.text and "overdue" in page.text
    r = form_post(client, f"{url}/complete", csrf, {"back": url})
    assert r.status_code == 303 and r.headers["location"] == url
    page = client.get(url)
    assert 'data-action="reopen"' in page.text and "Completed" in page.text
    r = form_post(client, f"{url}/reopen", csrf, {"back": url})
    assert r.status_code == 303
    assert _status(db, task) == "open"


# ---- constant number of queries --------------------------------------------------------------


def _count(client: Any, url: str) -> int:
    client.get(url)  # warm the per-process caches
    with count_queries() as statements:
        r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    return len(statements)


def test_mine_costs_the_same_queries_for_1_or_20_tasks(client: Any, db: Any, users: Any) -> None:
    now = datetime.now(UTC)
    rep = users.rep.actor
    lead = make_lead(db, rep)

    def add(i: int) -> None:
        due = [now - timedelta(days=1), now + timedelta(minutes=30), now + timedelta(days=3), None]
        make_task(
            db, rep, title=f"T{i}", due_at=due[i % 4], related_type="lead", related_id=lead.id
        )

    add(0)
    db.commit()
    sign_in(client, users.rep)
    one = _count(client, "/tasks/mine")
    for i in range(1, 20):
        add(i)
    db.commit()
    twenty = _count(client, "/tasks/mine")
    assert twenty == one, (one, twenty)


def test_board_costs_the_same_queries_for_1_or_20_tasks(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.manager.actor)
    people = [users.rep, users.teammate, users.manager]
    statuses = ["open", "in_progress", "done", "cancelled"]

    def add(i: int) -> None:
        make_task(
            db,
            SYSTEM,
            owner_id=people[i % 3].id,
            title=f"B{i}",
            status=statuses[i % 4],
            related_type="lead",
            related_id=lead.id,
        )

    add(0)
    db.commit()
    sign_in(client, users.manager)
    one = _count(client, "/tasks/board?scope=team")
    for i in range(1, 20):
        add(i)
    db.commit()
    twenty = _count(client, "/tasks/board?scope=team")
    assert twenty == one, (one, twenty)


def test_the_board_script_is_served(client: Any, users: Any) -> None:
    r = client.get("/static/js/tasks.js")
    assert r.status_code == 200 and "X-CSRF-Token" in r.text
    assert client.get("/static/css/tasks.css").status_code == 200


def test_every_task_list_flags_overdue_and_ticks_done_in_place(
    client: Any, db: Any, users: Any
) -> None:
    """Issue 18 point 8: the tasks list and a record's Tasks flag what is overdue and take
    Done (and Undo) without leaving the page — not only /tasks/mine."""
    from datetime import timedelta

    from nexa.core.db import utcnow
    from tests.factories.lead import make_lead
    from tests.factories.task import make_task

    lead = make_lead(db, users.rep.actor, company="Tick Co")
    late = make_task(db, users.rep.actor, title="Late one", due_at=utcnow() - timedelta(days=2),
                     related_type="lead", related_id=lead.id)  # fmt: skip
    make_task(db, users.rep.actor, title="Not yet", due_at=utcnow() + timedelta(days=2),
              related_type="lead", related_id=lead.id)  # fmt: skip
    db.commit()
    csrf = sign_in(client, users.rep)
    for url in ("/tasks", f"/leads/{lead.id}"):
        page = client.get(url).text
        assert page.count('data-testid="overdue"') == 1, url
        assert f'hx-post="/tasks/{late.id}/complete"' in page, url
    hx = {"HX-Request": "true", "X-CSRF-Token": csrf}
    done = client.post(f"/tasks/{late.id}/complete", data={"view": "tick"}, headers=hx)
    assert done.status_code == 200 and "pill-done" in done.text
    assert done.text.lstrip().startswith('<span class="task-tick"')
    db.refresh(late)
    assert late.status == "done"
    undo = client.post(f"/tasks/{late.id}/reopen", data={"view": "tick"}, headers=hx)
    assert undo.status_code == 200 and 'data-testid="overdue"' in undo.text
