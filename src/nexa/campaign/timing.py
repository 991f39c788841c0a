"""A member's local time: its zone, "until Tuesday 09:00" and quiet hours in it.

A member's zone is its ``time_zone`` field, else the one its country or phone implies
(``nexa.core.localtime.infer_time_zone`` when installed), else UTC. Local wall times are
turned into instants with ``zoneinfo`` (a time that does not exist on a spring-forward day
moves forward with the clock; a repeated one takes its first occurrence).
"""

from __future__ import annotations

import importlib
import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from nexa.campaign.repository import CampaignRepository
from nexa.models import CampaignMember

UTC = ZoneInfo("UTC")


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _infer(country: str | None, phone: str | None) -> str | None:
    try:
        localtime = importlib.import_module("nexa.core.localtime")
    except ImportError:
        return None
    name: str | None = localtime.infer_time_zone(country, phone)
    return name


def zones_of(session: Session, members: list[CampaignMember]) -> dict[uuid.UUID, ZoneInfo]:
    facts = CampaignRepository(session).zone_facts([(m.record_type, m.record_id) for m in members])
    out: dict[uuid.UUID, ZoneInfo] = {}
    for m in members:
        zone_name, country, phone = facts.get((m.record_type, m.record_id), (None, None, None))
        out[m.id] = _zone(zone_name) or _zone(_infer(country, phone)) or UTC
    return out


def _hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _instant(day: Any, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time (fold=0: the first of a repeated hour; a missing
    hour is normalised forward by the round trip through UTC)."""
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(UTC)


def next_local(after: datetime, zone: Any, weekday: int | None, at: str) -> datetime:
    """The first instant after ``after`` that is ``at`` local time (on ``weekday``, 0 =
    Monday, when given) in ``zone``."""
    tz = zone or UTC
    wall = _hm(at)
    local_now = after.astimezone(tz)
    for days in range(0, 8):
        day = (local_now + timedelta(days=days)).date()
        if weekday is not None and day.weekday() != weekday:
            continue
        instant = _instant(day, wall, tz)
        if instant > after:
            return instant
    return _instant((local_now + timedelta(days=8)).date(), wall, tz)


def out_of_quiet_hours(now: datetime, zone: Any, start: str, end: str) -> datetime:
    """``now`` when it is outside the quiet hours (local ``start`` to ``end``, possibly over
    midnight), else the instant they end."""
    tz = zone or UTC
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    qs, qe = _hm(start), _hm(end)
    if qs == qe:
        return now
    overnight = qs > qe
    quiet = (t >= qs or t < qe) if overnight else (qs <= t < qe)
    if not quiet:
        return now
    day = local.date()
    if overnight and t >= qs:
        day = day + timedelta(days=1)
    return _instant(day, qe, tz)
