"""Quote expiry: hourly, sent quotes past their valid-until date become expired."""

from __future__ import annotations

from typing import Any

from huey import crontab

from nexa.quote import service
from nexa.worker import job, periodic


@job("quote.expire", queue="interactive", retries=0)
def expire_quotes(session: Any) -> int:
    return service.expire_quotes(session)


@periodic("interactive", crontab(minute="5", hour="*"), name="quote.expire.sweep")
def sweep_quotes() -> None:
    """Hourly: sent quotes past their valid-until date become expired."""
    expire_quotes()
