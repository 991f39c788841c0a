"""Email delivery jobs on the ``deliveries`` queue: the messages a commit queued, and the
minute sweep for retries (and anything a crash left behind).

The job's own session is not used: each batch claims in one short transaction, talks SMTP
with none open and records in another (nexa.email.delivery.deliver)."""

from __future__ import annotations

import uuid
from typing import Any

from huey import crontab

from nexa.worker import job, periodic


@job("email.deliver", queue="deliveries", retries=0)
def deliver_emails(_session: Any, ids: list[str]) -> dict[str, int]:
    from nexa.email.delivery import deliver

    return deliver([uuid.UUID(i) for i in ids])


@job("email.deliver_due", queue="deliveries", retries=0)
def deliver_due_emails(_session: Any) -> dict[str, int]:
    from nexa.email.delivery import deliver_due

    return deliver_due()


@periodic("deliveries", crontab(minute="*"), name="email.sweep")
def sweep_emails() -> None:
    """Every minute: deferred messages whose time has come."""
    deliver_due_emails()
