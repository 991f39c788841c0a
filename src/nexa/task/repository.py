"""All of the tasks' SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from nexa.core.actor import Actor
from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import LinkedRepository, unscoped
from nexa.models import Task
from nexa.models.task import TASK_PRIORITIES, TASK_STATUSES

KINDS = {
    "id": "uuid",
    "title": "str",
    "status": "enum",
    "priority": "enum",
    "due_at": "datetime",
    "reminder_at": "datetime",
    "completed_at": "datetime",
    "related_type": "str",
    "related_id": "uuid",
    "owner_id": "uuid",
    "created_by_id": "uuid",
    "origin": "str",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"title", "due_at", "created_at", "updated_at", "completed_at"}
OPEN_STATUSES = ("open", "in_progress")


class TaskRepository(LinkedRepository[Task]):
    model = Task
    object_name = "task"

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(
            Task, KINDS, SORTABLE, {"status": TASK_STATUSES, "priority": TASK_PRIORITIES}
        )

    def mine(self, actor: Actor, start: datetime | None, end: datetime | None) -> Select[Any]:
        """The actor's open tasks due in [start, end) (either bound may be open)."""
        stmt = self.readable(actor).where(
            Task.owner_id == actor.user_id,
            Task.status.in_(OPEN_STATUSES),
            Task.due_at.is_not(None),
        )
        if start is not None:
            stmt = stmt.where(Task.due_at >= start)
        if end is not None:
            stmt = stmt.where(Task.due_at < end)
        return stmt

    def due_for_reminder(self, now: datetime, limit: int) -> list[Task]:
        """System view (the reminder job): open live tasks whose reminder time has passed
        and who were not reminded yet; locked against a concurrent run where supported."""
        stmt = (
            select(Task)
            .where(
                Task.deleted_at.is_(None),
                Task.status.in_(OPEN_STATUSES),
                Task.reminder_at.is_not(None),
                Task.reminder_at <= now,
                Task.reminded_at.is_(None),
                Task.owner_id.is_not(None),
            )
            .order_by(Task.reminder_at, Task.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(unscoped(stmt)))
