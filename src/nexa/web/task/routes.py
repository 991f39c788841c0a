"""Task pages beyond the generic list: my tasks (overdue, today, upcoming, no due date), a
board by status, quick complete / reopen / move, and the task record page.

Routes only parse, call ``TaskService`` (the API's service: it checks permissions and sets
``completed_at``) and render. Times are shown in the user's time zone (UTC when unknown).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor, Scope
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.models import Task, User
from nexa.models.task import TASK_PRIORITIES, TASK_STATUSES
from nexa.task.repository import OPEN_STATUSES
from nexa.task.schemas import TaskUpdate
from nexa.task.service import TaskService
from nexa.web import references
from nexa.web.csrf import verify_csrf
from nexa.web.generic import ObjectView, object_view
from nexa.web.pages import TEMPLATES, WebActor, WebSession, humanise, is_htmx, render

router = APIRouter(prefix="/tasks")
CSRF = [Depends(verify_csrf)]

MINE_LIMIT = 100  # tasks shown per group of /tasks/mine
COLUMN_LIMIT = 50  # cards shown per column of the board
MAX_TEAM_FILTER = 100  # the list filter takes at most 100 values
MINE_GROUPS = (("overdue", "Overdue"), ("today", "Today"), ("upcoming", "Upcoming"))
STATUS_LABELS = {s: humanise(s) for s in TASK_STATUSES}
COLUMN_SORT = {"done": "-completed_at", "cancelled": "-updated_at"}  # others: soonest due
BOARD_SCOPES = {"mine": "Mine", "team": "My team", "all": "All I can see"}

Back = Annotated[str, Form(max_length=500)]
# "tick": the task's tick of a table row or a record's Tasks list (task/_tick.html)
View = Annotated[str, Form(max_length=10)]


def task_overdue(row: Any) -> bool:
    """Whether a task (a row dict or a Task) is open and past its due time."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k, None)
    due, status = get("due_at"), get("status")
    return isinstance(due, datetime) and due < utcnow() and status in OPEN_STATUSES


TEMPLATES.env.globals["task_overdue"] = task_overdue


# ---- helpers -----------------------------------------------------------------------------


def user_zone(session: Session, actor: Actor) -> tzinfo:
    """The signed-in user's time zone (the user is already in the session: no query)."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    name = (user.timezone if user is not None else None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def due_label(due: datetime | None, zone: tzinfo, now: datetime) -> str:
    if due is None:
        return "No due date"
    local, today = due.astimezone(zone), now.astimezone(zone)
    if local.date() == today.date():
        return f"Today {local:%H:%M}"
    if local.year == today.year:
        return f"{local:%a %d %b, %H:%M}"
    return f"{local:%d %b %Y, %H:%M}"


def task_rows(
    session: Session,
    actor: Actor,
    tasks: list[Task],
    *,
    now: datetime,
    zone: tzinfo,
    owners: bool = False,
) -> list[dict[str, Any]]:
    """What a row or card shows; the related records' (and owners') names are fetched in
    one query per record type for all the tasks together."""
    rows: list[dict[str, Any]] = [
        {
            "id": t.id,
            "title": t.title,
            "status": t.status,
            "priority": t.priority,
            "due_at": t.due_at,
            "due_label": due_label(t.due_at, zone, now),
            "overdue": t.due_at is not None and t.due_at < now and t.status in OPEN_STATUSES,
            "related_type": t.related_type,
            "related_id": t.related_id,
            "owner_id": t.owner_id,
            "completed_at": t.completed_at,
        }
        for t in tasks
    ]
    fields = ["related_id", "owner_id"] if owners else ["related_id"]
    names = references.resolve(session, actor, rows, fields)
    for row in rows:
        row["related"] = names.get("related_id", row["related_id"], row)
        row["related_label"] = humanise(row["related_type"] or "")
        owner = names.get("owner_id", row["owner_id"], row) if owners else None
        row["owner"] = owner[0] if owner else None
    return rows


def _safe_back(back: str, default: str) -> str:
    if back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return back
    return default


def _set_status(session: Session, actor: Actor, task_id: uuid.UUID, status: str) -> Task:
    try:
        data = TaskUpdate.model_validate({"status": status})
    except ValidationError:
        raise ValidationFailed(
            f"status must be one of: {', '.join(TASK_STATUSES)}", field="status"
        ) from None
    return TaskService(session, actor).update(task_id, data)


def _midnight_after(now: datetime, zone: tzinfo) -> datetime:
    """For the "see all" links only: the groups themselves come from ``TaskService.mine``."""
    local = (now.astimezone(zone) + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    return local.replace(microsecond=0).astimezone(UTC)


def _list_link(filters: list[str], sort: str | None = None) -> str:
    pairs = [("f", f) for f in filters]
    if sort:
        pairs.append(("sort", sort))
    return "/tasks?" + urlencode(pairs)


# ---- my tasks ----------------------------------------------------------------------------


@router.get("/mine", response_class=HTMLResponse)
def my_tasks(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    if actor.user_id is None:
        raise PermissionDenied("sign in as a user to see your tasks")
    svc = TaskService(session, actor)
    now, zone = utcnow(), user_zone(session, actor)
    mine = [f"owner_id:eq:{actor.user_id}", f"status:in:{','.join(OPEN_STATUSES)}"]
    found: list[tuple[str, str, list[Task], str | None]] = []
    for key, label in MINE_GROUPS:
        tasks, more = svc.mine(key, ListQuery(limit=MINE_LIMIT), now=now)
        found.append((key, label, tasks, more))
    undated, more = svc.list(
        ListQuery(filters=[*mine, "due_at:is_null:true"], sort="-created_at", limit=MINE_LIMIT)
    )
    found.append(("undated", "No due date", undated, more))
    rows = task_rows(session, actor, [t for g in found for t in g[2]], now=now, zone=zone)
    by_id = {r["id"]: r for r in rows}
    stamp, midnight = now.isoformat(), _midnight_after(now, zone).isoformat()
    more_links = {
        "overdue": _list_link([*mine, f"due_at:lt:{stamp}"], "due_at"),
        "today": _list_link([*mine, f"due_at:gte:{stamp}", f"due_at:lt:{midnight}"], "due_at"),
        "upcoming": _list_link([*mine, f"due_at:gte:{midnight}"], "due_at"),
        "undated": _list_link([*mine, "due_at:is_null:true"], "-created_at"),
    }
    groups = [
        {
            "key": key,
            "label": label,
            "rows": [by_id[t.id] for t in tasks],
            "more": more_links[key] if more else None,
        }
        for key, label, tasks, more in found
    ]
    return render(
        request,
        "task/mine.html",
        actor,
        session,
        groups=groups,
        total=len(rows),
        nav="mine",
        can_create=actor.can("task:create"),
    )


@router.post("/{task_id}/complete", dependencies=CSRF)
def complete(
    request: Request,
    task_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    back: Back = "",
    view: View = "",
) -> Response:
    task = _set_status(session, actor, task_id, "done")
    if is_htmx(request) and view == "tick":
        return render(request, "task/_tick.html", actor, session, t=task)
    if is_htmx(request):
        return render(request, "task/_done_row.html", actor, session, task=task, back=back)
    request.session["flash"] = f"Task “{task.title}” completed"
    return RedirectResponse(_safe_back(back, f"/tasks/{task_id}"), status_code=303)


@router.post("/{task_id}/reopen", dependencies=CSRF)
def reopen(
    request: Request,
    task_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    back: Back = "",
    view: View = "",
) -> Response:
    task = _set_status(session, actor, task_id, "open")
    if is_htmx(request) and view == "tick":
        return render(request, "task/_tick.html", actor, session, t=task)
    if is_htmx(request):
        now, zone = utcnow(), user_zone(session, actor)
        row = task_rows(session, actor, [task], now=now, zone=zone)[0]
        return render(request, "task/_mine_row.html", actor, session, t=row)
    request.session["flash"] = f"Task “{task.title}” reopened"
    return RedirectResponse(_safe_back(back, f"/tasks/{task_id}"), status_code=303)


# ---- board -------------------------------------------------------------------------------


def board_scopes(actor: Actor) -> dict[str, str]:
    """Mine, my team (with a team-wide grant and a team) and everything the actor reads."""
    scope = actor.scope_for("task:read")
    shown = dict(BOARD_SCOPES)
    if scope not in (Scope.TEAM, Scope.ALL) or not actor.team_member_ids:
        shown.pop("team")
    return shown


def _owner_filter(actor: Actor, scope: str) -> list[str]:
    if scope == "mine":
        return [f"owner_id:eq:{actor.user_id}"]
    if scope == "team":
        members = sorted(str(m) for m in {*actor.team_member_ids, actor.user_id} if m)
        return [f"owner_id:in:{','.join(members[:MAX_TEAM_FILTER])}"]
    return []


@router.get("/board", response_class=HTMLResponse)
def board(
    request: Request,
    session: WebSession,
    actor: WebActor,
    scope: Annotated[str, Query(max_length=10)] = "mine",
    priority: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    scopes = board_scopes(actor)
    scope = scope if scope in scopes else "mine"
    priority = priority if priority in TASK_PRIORITIES else ""
    base = _owner_filter(actor, scope) + ([f"priority:eq:{priority}"] if priority else [])
    svc = TaskService(session, actor)
    now, zone = utcnow(), user_zone(session, actor)
    found: list[tuple[str, list[Task], str | None]] = []
    for status in TASK_STATUSES:
        sort = COLUMN_SORT.get(status, "due_at")
        tasks, more = svc.list(
            ListQuery(filters=[*base, f"status:eq:{status}"], sort=sort, limit=COLUMN_LIMIT)
        )
        found.append((status, tasks, more))
    rows = task_rows(
        session, actor, [t for _, ts, _ in found for t in ts], now=now, zone=zone, owners=True
    )
    by_id = {r["id"]: r for r in rows}
    columns = [
        {
            "status": status,
            "label": STATUS_LABELS[status],
            "cards": [by_id[t.id] for t in tasks],
            "more": (
                _list_link([*base, f"status:eq:{status}"], COLUMN_SORT.get(status, "due_at"))
                if more
                else None
            ),
        }
        for status, tasks, more in found
    ]
    query = urlencode({"scope": scope, "priority": priority})
    return render(
        request,
        "task/board.html",
        actor,
        session,
        columns=columns,
        scopes=scopes,
        scope=scope,
        priority=priority,
        priorities=TASK_PRIORITIES,
        statuses=TASK_STATUSES,
        status_labels=STATUS_LABELS,
        back=f"/tasks/board?{query}",
        nav="board",
        can_move=actor.can("task:write"),
        can_create=actor.can("task:create"),
    )


@router.post("/{task_id}/status", dependencies=CSRF)
def move(
    request: Request,
    task_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    status: Annotated[str, Form(max_length=20)],
    back: Back = "",
) -> Response:
    """A card dropped on another column (tasks.js asks for JSON) or the Move fallback form."""
    task = _set_status(session, actor, task_id, status)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {
                "id": str(task.id),
                "status": task.status,
                "label": STATUS_LABELS.get(task.status, task.status),
                "title": task.title,
            }
        )
    request.session["flash"] = (
        f"Task “{task.title}” moved to {STATUS_LABELS.get(task.status, task.status)}"
    )
    return RedirectResponse(_safe_back(back, "/tasks/board"), status_code=303)


# ---- the task record page ------------------------------------------------------------------


@object_view("task")
class TaskView(ObjectView):
    template = "task/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        svc = TaskService(session, actor)
        try:
            svc.repo.require(actor, record, "write")
            may_write = True
        except PermissionDenied:
            may_write = False
        now, zone = utcnow(), user_zone(session, actor)
        return {
            "task_open": record.status in OPEN_STATUSES,
            "task_may_write": may_write,
            "task_overdue": (
                record.due_at is not None and record.due_at < now and record.status in OPEN_STATUSES
            ),
            "task_due_label": due_label(record.due_at, zone, now),
            "task_completed_label": (
                due_label(record.completed_at, zone, now).replace("Today", "today at")
                if record.completed_at
                else None
            ),
            "task_related_label": humanise(record.related_type or ""),
            "status_labels": STATUS_LABELS,
        }
