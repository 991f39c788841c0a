"""The sequence engine's job on the ``bulk`` queue: every minute, the due steps of running
campaigns (and scheduled campaigns whose time came). The job's own session is not used:
each chunk of members is its own transaction (``nexa.campaign.engine.advance``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from huey import crontab

from nexa.worker import job, periodic


@job("campaign.advance", queue="bulk", retries=0)
def advance_campaigns(_session: Any) -> dict[str, Any]:
    from nexa.campaign.engine import advance
    from nexa.core.db import session_scope

    outcome = advance(session_scope)
    return {k: v for k, v in asdict(outcome).items() if k != "by_campaign"}


@periodic("bulk", crontab(minute="*"), name="campaign.tick")
def tick_campaigns() -> None:
    """Every minute: run the steps that came due."""
    advance_campaigns()
