"""Lead routing and SLA clocks: the pure arithmetic (no database, no clock of its own).

* ``band_for``: which rule of the score bands a score falls in (PRODUCT.md "Lead score
  bands": ≥ 80 top performer / urgent / 5 min; 60–79 round robin / high / 30 min; < 60 SDR
  queue / normal / 240 min; all thresholds are settings).
* ``segment_matches``: a lead's fields against a segment's simple conditions.
* ``add_working_minutes`` / ``working_minutes_between``: SLA windows count working minutes
  only (weekdays, start/end in the organization's timezone).
* ``round_robin_next`` and ``top_performer``: who gets the lead.
* ``warn_at`` / ``clock_state``: where an SLA clock stands at a given moment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

PRIORITIES = ("urgent", "high", "normal", "low")
ASSIGNMENTS = ("top_performer", "round_robin", "sdr_queue")
# lead fields a segment may put conditions on
SEGMENT_FIELDS = ("company_size", "country", "industry", "source")
MAX_DAYS_SEARCHED = 800  # a due time further than this is a settings mistake


@dataclass(frozen=True)
class BandRule:
    """Leads scoring ``min_score`` or more (up to the next band) are assigned this way."""

    min_score: int
    assign: str  # one of ASSIGNMENTS
    priority: str  # one of PRIORITIES
    sla_minutes: int


DEFAULT_BANDS = (
    BandRule(80, "top_performer", "urgent", 5),
    BandRule(60, "round_robin", "high", 30),
    BandRule(0, "sdr_queue", "normal", 240),
)
DEFAULT_NURTURE_BELOW = 50


def band_for(score: int | None, bands: Sequence[BandRule]) -> BandRule:
    """The band of ``score``: the highest ``min_score`` the score reaches. An unscored lead
    (None) falls in the lowest band."""
    if not bands:
        raise ValueError("no routing bands")
    ordered = sorted(bands, key=lambda b: b.min_score, reverse=True)
    if score is None:
        return ordered[-1]
    for band in ordered:
        if score >= band.min_score:
            return band
    return ordered[-1]


def _fold(value: Any) -> str:
    return str(value).strip().casefold()


def segment_matches(conditions: Mapping[str, Sequence[str]], lead: Mapping[str, Any]) -> bool:
    """True when every non-empty condition holds: the lead's value (case-insensitive) is one
    of the listed values. A segment without conditions matches every lead."""
    for name, allowed in conditions.items():
        if not allowed:
            continue
        value = lead.get(name)
        if value is None or _fold(value) not in {_fold(a) for a in allowed}:
            return False
    return True


# ---- working hours ------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    """When SLA clocks run: ``weekdays`` (0 = Monday) from ``start`` to ``end`` local time in
    ``timezone``; ``always`` makes every minute count (a 24/7 team)."""

    timezone: str = "UTC"
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: time = time(9, 0)
    end: time = time(17, 0)
    always: bool = False

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _window(day: date, hours: WorkingHours, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    if day.weekday() not in hours.weekdays:
        return None
    return datetime.combine(day, hours.start, tzinfo=tz), datetime.combine(
        day, hours.end, tzinfo=tz
    )


def add_working_minutes(start: datetime, minutes: float, hours: WorkingHours) -> datetime:
    """The moment ``minutes`` working minutes after ``start`` (UTC-aware in, UTC out). A lead
    arriving outside working hours starts its clock at the next opening."""
    if hours.always or minutes <= 0:
        return (start + timedelta(minutes=max(minutes, 0))).astimezone(UTC)
    if not hours.weekdays or hours.start >= hours.end:
        raise ValueError("working hours need at least one weekday and start before end")
    tz = hours.zone()
    local = start.astimezone(tz)
    remaining = timedelta(minutes=minutes)
    day = local.date()
    for _ in range(MAX_DAYS_SEARCHED):
        window = _window(day, hours, tz)
        if window is not None:
            opens, closes = window
            begin = max(opens, local)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(UTC)
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("the SLA window does not fit in the working hours")


def working_minutes_between(a: datetime, b: datetime, hours: WorkingHours) -> float:
    """Working minutes from ``a`` to ``b`` (0 when ``b`` is not after ``a``)."""
    if b <= a:
        return 0.0
    if hours.always:
        return (b - a).total_seconds() / 60
    tz = hours.zone()
    la, lb = a.astimezone(tz), b.astimezone(tz)
    total = timedelta()
    day = la.date()
    while day <= lb.date():
        window = _window(day, hours, tz)
        if window is not None:
            begin, end = max(window[0], la), min(window[1], lb)
            if end > begin:
                total += end - begin
        day += timedelta(days=1)
    return total.total_seconds() / 60


# ---- who gets the lead --------------------------------------------------------------------


def round_robin_next(member_ids: Sequence[str], last: str | None) -> str | None:
    """The member after ``last`` in a stable order (ids sorted), wrapping around. A member
    who left the rotation is skipped; one who joined takes their place in the order."""
    if not member_ids:
        return None
    ordered = sorted(set(member_ids))
    if last is None:
        return ordered[0]
    return next((m for m in ordered if m > last), ordered[0])


@dataclass(frozen=True)
class RepRecord:
    """A rep's recent results: won deal amount and converted leads in the look-back window,
    and the open leads they hold now."""

    user_id: str
    won_amount: Decimal = Decimal(0)
    conversions: int = 0
    open_leads: int = 0


def top_performer(records: Sequence[RepRecord]) -> str | None:
    """The highest won amount, then the most conversions; ties go to whoever holds the
    fewest open leads (then the smallest id, so the pick is deterministic)."""
    if not records:
        return None
    best = min(records, key=lambda r: (-r.won_amount, -r.conversions, r.open_leads, r.user_id))
    return best.user_id


# ---- the clock ----------------------------------------------------------------------------


def warn_at(routed_at: datetime, due_at: datetime, percent: int, hours: WorkingHours) -> datetime:
    """When to warn the assignee: ``percent`` of the working window between routing and the
    due time."""
    window = working_minutes_between(routed_at, due_at, hours)
    return add_working_minutes(routed_at, window * percent / 100, hours)


def clock_state(
    now: datetime,
    due_at: datetime | None,
    first_response_at: datetime | None,
    warn_from: datetime | None = None,
) -> str:
    """``none`` (no clock), ``met`` / ``missed`` (answered before / after the due time),
    ``breached`` (due time passed, no answer), ``warning`` (past the warning point) or
    ``running``."""
    if due_at is None:
        return "none"
    if first_response_at is not None:
        return "met" if first_response_at <= due_at else "missed"
    if now >= due_at:
        return "breached"
    if warn_from is not None and now >= warn_from:
        return "warning"
    return "running"


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2
