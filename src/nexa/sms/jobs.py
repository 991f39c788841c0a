"""SMS delivery jobs on the ``deliveries`` queue: the messages a commit queued, and the
minute sweep for retries (and anything a crash left behind).

The job's own session is not used: each batch claims in one short transaction, talks to the
provider with none open and records each answer in another (nexa.sms.delivery.deliver)."""

from __future__ import annotations

import uuid
from typing import Any

from huey import crontab

from nexa.worker import job, periodic


@job("sms.deliver", queue="deliveries", retries=0)
def deliver_sms(_session: Any, ids: list[str]) -> dict[str, int]:
    from nexa.sms.delivery import deliver

    return deliver([uuid.UUID(i) for i in ids])


@job("sms.deliver_due", queue="deliveries", retries=0)
def deliver_due_sms(_session: Any) -> dict[str, int]:
    from nexa.sms.delivery import deliver_due

    return deliver_due()


@periodic("deliveries", crontab(minute="*"), name="sms.sweep")
def sweep_sms() -> None:
    """Every minute: messages whose next attempt has come."""
    deliver_due_sms()
