"""Free slots of a booking page: a pure function of the host's working hours, time zone and
busy times (no database, no clock: ``now`` is given), so its rules are tested on their own.

Working hours are wall-clock times in the host's zone: "09:00–17:00" stays 09:00–17:00 local
on both sides of a daylight-saving change (its UTC offset moves, the local hours do not). A
slot is offered when it lies inside the working hours, starts no earlier than
``now + notice``, falls on a local day no further than ``days_ahead`` after today, and its
span widened by the buffers (``buffer_before`` before its start, ``buffer_after`` after its
end) overlaps no busy interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Rules:
    """What a page asks of a slot (durations as timedelta; hours as local wall times)."""

    duration: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    notice: timedelta
    days_ahead: int
    # weekday (0 = Monday) -> local (start, end) intervals
    hours: Mapping[int, Sequence[tuple[time, time]]]


def parse_hours(value: Mapping[str, Iterable[Sequence[str]]]) -> dict[int, list[tuple[time, time]]]:
    """``{"mon": [["09:00", "17:00"]]}`` as ``{0: [(time(9), time(17))]}`` (stored values,
    checked when saved)."""
    out: dict[int, list[tuple[time, time]]] = {}
    for day, spans in value.items():
        if day in WEEKDAYS:
            out[WEEKDAYS.index(day)] = [
                (time.fromisoformat(a), time.fromisoformat(b)) for a, b in spans
            ]
    return out


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall time; None when that time does not exist that day
    (skipped by a spring-forward change)."""
    local = datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def free_slots(
    rules: Rules, zone: ZoneInfo, busy: Iterable[Interval], now: datetime
) -> list[datetime]:
    """The start times (UTC, ascending) of the slots offered. ``busy``: the host's meetings
    (UTC-aware start, end); ``now``: UTC-aware."""
    if rules.duration <= timedelta(0):
        return []
    blocked = sorted(busy)
    earliest = now + rules.notice
    today = now.astimezone(zone).date()
    step = rules.duration
    found: list[datetime] = []
    for offset in range(rules.days_ahead + 1):
        day = today + timedelta(days=offset)
        for start_at, end_at in rules.hours.get(day.weekday(), ()):
            cursor = datetime.combine(day, start_at)  # naive local wall time
            end_wall = datetime.combine(day, end_at)
            closes = datetime.combine(day, end_at, tzinfo=zone).astimezone(UTC)
            while cursor < end_wall:
                start = _utc(day, cursor.time(), zone)
                cursor += step
                if start is None or start < earliest or start + rules.duration > closes:
                    continue
                if _clear(start, start + rules.duration, rules, blocked):
                    found.append(start)
    return sorted(set(found))


def _clear(start: datetime, end: datetime, rules: Rules, busy: Sequence[Interval]) -> bool:
    low, high = start - rules.buffer_before, end + rules.buffer_after
    return not any(b_start < high and b_end > low for b_start, b_end in busy)


def is_free(
    rules: Rules, zone: ZoneInfo, busy: Iterable[Interval], now: datetime, start: datetime
) -> bool:
    """Whether ``start`` is one of the slots offered (the check a booking repeats)."""
    return start.astimezone(UTC) in free_slots(rules, zone, busy, now)
