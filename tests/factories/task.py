"""Tasks for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.models import Task
from nexa.task.schemas import TaskCreate
from nexa.task.service import TaskService


def make_task(
    db: Any, actor: Actor | None = None, *, origin: str | None = None, **fields: Any
) -> Task:
    fields.setdefault("title", "Follow up")
    extra = {"origin": origin} if origin else {}
    return TaskService(db, actor or SYSTEM).create(TaskCreate(**fields), **extra)
