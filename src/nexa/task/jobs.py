"""Task reminders: every minute, remind assignees whose reminder time has come."""

from __future__ import annotations

from typing import Any

from huey import crontab

from nexa.task import service
from nexa.worker import job, periodic


@job("task.send_reminders", queue="interactive", retries=0)
def send_task_reminders(session: Any) -> int:
    return service.send_due_reminders(session)


@periodic("interactive", crontab(minute="*"), name="task.reminders.sweep")
def sweep_task_reminders() -> None:
    """Every minute: remind assignees of tasks whose reminder time has come."""
    send_task_reminders()
