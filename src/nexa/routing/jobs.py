"""The SLA clock sweep: every minute, warn before a breach and escalate at it."""

from __future__ import annotations

from typing import Any

from huey import crontab

from nexa.worker import job, periodic


@job("routing.check_sla", queue="interactive", retries=0)
def run_check_sla(session: Any) -> dict[str, int]:
    from nexa.routing.service import check_sla

    return check_sla(session)


@periodic("interactive", crontab(minute="*"), name="routing.sla.sweep")
def sweep_sla() -> None:
    """Every minute: SLA warnings and escalations (safe to run twice)."""
    run_check_sla()
