"""The signed-in user's time zone while their page renders: ``display`` shows times in it and
date-time inputs are read and filled in it (``nexa.web.forms``)."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DISPLAY_ZONE: ContextVar[tzinfo] = ContextVar("display_zone", default=UTC)


def zone_named(name: str | None) -> tzinfo:
    """The zone of this IANA name; UTC for none or one this machine does not know."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
