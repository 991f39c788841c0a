"""Sign-in bookkeeping after the request (never on the request's own path): an API key's and
a web session's last use; and the hourly sweep of ended sessions and old sign-in attempts."""

from __future__ import annotations

import uuid
from typing import Any

from huey import crontab

from nexa.auth import service
from nexa.worker import job, periodic


@job("api_key.touch", queue="interactive", retries=0)
def touch_api_key(session: Any, key_id: str) -> None:
    service.touch_api_key(session, uuid.UUID(key_id))


@job("web_session.touch", queue="interactive", retries=0)
def touch_web_session(session: Any, session_id: str) -> None:
    service.touch_session(session, session_id)


# On the bulk queue: housekeeping nobody waits for, which must never hold up an SLA clock or
# a reminder on the interactive queue however many rows it deletes.
@job("sign_in.sweep", queue="bulk", retries=1)
def sweep_sign_in_records(session: Any) -> dict[str, int]:
    return service.sweep_sign_in_records(session)


@periodic("bulk", crontab(minute="17"), name="sign_in.sweep.hourly")
def sweep_sign_in_records_hourly() -> None:
    """Every hour: delete ended and expired web sessions and sign-in attempts too old to
    count."""
    sweep_sign_in_records()
