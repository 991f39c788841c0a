"""Tasks: to-dos on any record, assigned to a person, with reminders.

``owner_id`` is the assignee (the generic owner rule decides who may assign to whom),
``created_by_id`` the person who made it, ``origin`` the flow that made it (read-only:
flows pass it as ``TaskService(session, actor).create(data, origin="onboarding")``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.core.records import keyset_page
from nexa.models import Task, User
from nexa.notification.service import notify
from nexa.record.registry import require_readable_link
from nexa.record.service import RecordService
from nexa.task.events import TASK_EVENTS
from nexa.task.repository import TaskRepository

REMINDER_BATCH = 500


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class TaskService(RecordService[Task]):
    events = TASK_EVENTS
    model = Task
    repository = TaskRepository
    label = "task"
    default_sort = "-created_at"
    not_empty = ("title", "status", "priority")
    computed = ("completed_at", "reminded_at", "created_by_id")
    repo: TaskRepository

    def payload(self, record: Task) -> dict[str, Any]:
        return {
            "name": record.title,
            "status": record.status,
            "priority": record.priority,
            "due_at": _iso(record.due_at),
            "related_type": record.related_type,
            "related_id": str(record.related_id) if record.related_id else None,
        }

    def prepare(self, values: dict[str, Any], record: Task | None) -> dict[str, Any]:
        def current(name: str, default: Any = None) -> Any:
            if name in values:
                return values[name]
            return getattr(record, name) if record is not None else default

        if record is None or {"related_type", "related_id"} & values.keys():
            require_readable_link(
                self.session,
                self.actor,
                current("related_type"),
                current("related_id"),
            )
        due_at, reminder_at = current("due_at"), current("reminder_at")
        if due_at is not None and reminder_at is not None and reminder_at >= due_at:
            raise ValidationFailed("reminder_at must be before due_at", field="reminder_at")
        if "origin" in values and values["origin"] is not None:
            origin = str(values["origin"]).strip()
            if not origin or len(origin) > 60:
                raise ValidationFailed("origin must be 1 to 60 characters", field="origin")
            values["origin"] = origin
        status = current("status", "open")
        if record is None:
            values["created_by_id"] = self.actor.user_id
            values["completed_at"] = utcnow() if status == "done" else None
        else:
            if "status" in values and values["status"] != record.status:
                if values["status"] == "done":
                    values["completed_at"] = utcnow()
                elif record.status == "done":
                    values["completed_at"] = None
            if "reminder_at" in values and values["reminder_at"] != record.reminder_at:
                values["reminded_at"] = None  # a new reminder time fires again
        return values

    def after_create(self, record: Task) -> None:
        if record.status == "done":
            self.publish("completed", record)

    def after_update(self, record: Task, changes: dict[str, tuple[Any, Any]]) -> None:
        if "status" in changes and record.status == "done":
            self.publish("completed", record)

    def mine(self, view: str, query: ListQuery, *, now: datetime | None = None) -> Any:
        """The actor's open tasks: ``overdue`` (due before now), ``today`` (due from now to
        the end of the actor's day, in their time zone) or ``upcoming`` (due after today)."""
        now = now or utcnow()
        end_of_day = _end_of_day(self.session, self.actor, now)
        bounds = {
            "overdue": (None, now),
            "today": (now, end_of_day),
            "upcoming": (end_of_day, None),
        }
        if view not in bounds:
            raise ValidationFailed("view must be today, overdue or upcoming", field="view")
        start, end = bounds[view]
        stmt = self.repo.mine(self.actor, start, end)
        return keyset_page(
            self.session,
            stmt,
            query,
            self.repo.fields(),
            Task.id,
            default_sort="due_at",
        )


def _end_of_day(session: Session, actor: Actor, now: datetime) -> datetime:
    """Midnight after ``now`` in the actor's time zone (UTC when unknown), as UTC."""
    name = "UTC"
    if actor.user_id is not None:
        user = session.get(User, actor.user_id)
        if user is not None and user.timezone:
            name = user.timezone
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(now.tzinfo)


def send_due_reminders(session: Session, now: datetime | None = None) -> int:
    """Notify the assignee of every open task whose reminder time has passed and who was not
    reminded yet; mark it reminded. Safe to run twice (and concurrently on PostgreSQL).
    Returns how many reminders were sent. The caller commits."""
    now = now or utcnow()
    sent = 0
    repo = TaskRepository(session)
    while True:
        batch = repo.due_for_reminder(now, REMINDER_BATCH)
        for task in batch:
            assert task.owner_id is not None
            due = f" (due {task.due_at:%Y-%m-%d %H:%M} UTC)" if task.due_at else ""
            notify(
                session,
                user_id=task.owner_id,
                kind="task.reminder",
                title=f"Reminder: {task.title}"[:300],
                body=f"{task.title}{due}",
                record_type="task",
                record_id=task.id,
            )
            task.reminded_at = now
            sent += 1
        session.flush()
        if len(batch) < REMINDER_BATCH:
            return sent
