"""Outbox delivery after commit, and the minute sweep for what a crash or a failure left."""

from __future__ import annotations

from typing import Any

from huey import crontab

from nexa.job import service
from nexa.worker import job, periodic


@job("outbox.deliver", queue="deliveries")
def deliver_outbox(session: Any, ids: list[str] | None = None) -> int:
    return service.deliver_outbox(session, ids)


@periodic("deliveries", crontab(minute="*"), name="outbox.sweep")
def sweep_outbox() -> None:
    """Every minute: deliver anything a crash or a failed delivery left behind."""
    deliver_outbox()
