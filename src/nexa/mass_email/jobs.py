"""Mass email jobs on the ``bulk`` queue: the send (chunks, a commit each), the winner pick,
and the minute's periodic task that starts what is due."""

from __future__ import annotations

import uuid
from typing import Any

from huey import crontab

from nexa.worker import job, periodic


@job("mass_email.send", queue="bulk", retries=2, retry_delay=30)
def send_mass_email(_session: Any, mass_email_id: str) -> dict[str, int]:
    from nexa.mass_email.sending import run_send

    return run_send(uuid.UUID(mass_email_id))


@job("mass_email.pick_winner", queue="bulk", retries=2, retry_delay=30)
def pick_mass_email_winner(_session: Any, mass_email_id: str) -> dict[str, Any]:
    from nexa.mass_email.sending import pick_winner

    return pick_winner(uuid.UUID(mass_email_id))


@job("mass_email.due", queue="bulk", retries=0)
def start_due_mass_emails(session: Any) -> dict[str, int]:
    from nexa.mass_email.sending import due

    to_send, to_pick = due(session)
    for mass_email_id in to_send:
        send_mass_email(str(mass_email_id))
    for mass_email_id in to_pick:
        pick_mass_email_winner(str(mass_email_id))
    return {"send": len(to_send), "pick": len(to_pick)}


@periodic("bulk", crontab(minute="*"), name="mass_email.sweep")
def sweep_mass_emails() -> None:
    """Every minute: scheduled sends whose time has come, tests that have waited their hours,
    and sends a stopped worker left half done."""
    start_due_mass_emails()
