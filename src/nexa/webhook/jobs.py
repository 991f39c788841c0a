"""Webhook delivery jobs: one attempt per due delivery, and the minute sweep for retries.

The job's own session is not used: each attempt claims in one short transaction, sends with
none open (an SQLite write lock is never held over an HTTP call) and records in another."""

from __future__ import annotations

import uuid
from typing import Any

from huey import crontab

from nexa.worker import job, periodic


@job("webhook.deliver", queue="deliveries", retries=0)
def deliver_webhooks(_session: Any, ids: list[str]) -> int:
    from nexa.webhook.service import deliver

    return sum(1 for i in ids if deliver(uuid.UUID(i)) is not None)


@job("webhook.deliver_due", queue="deliveries", retries=0)
def deliver_due_webhooks(_session: Any) -> int:
    from nexa.webhook.service import deliver_due

    return deliver_due()


@periodic("deliveries", crontab(minute="*"), name="webhook.sweep")
def sweep_webhooks() -> None:
    """Every minute: the retries whose time has come (and anything a crash left behind)."""
    deliver_due_webhooks()
