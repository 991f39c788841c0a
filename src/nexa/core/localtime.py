"""A member's time zone and the moments campaigns wait for in it (issue 19).

Where a zone comes from, best first (``member_zone``): the record's own ``time_zone``; one
inferred from its country and phone (``infer_time_zone``); the organization's default; UTC.

Inference uses two tables that packages ship, none written here:
- the tz database's ``zone.tab`` (the ``tzdata`` package): each country's zones. A country
  *has one zone* when all its zones keep the same clock through the year (Germany's Berlin and
  Busingen); it *has a dominant one* when one such clock holds more than half of its zones
  (Spain: Madrid and Ceuta against the Canaries). Otherwise (the United States, Russia,
  Australia …) the country alone says nothing: its first zone would be a guess.
- ``phonenumbers``' geographic time zones: a number's area code gives its zone(s) (+1 212 …
  is New York). A phone decides when its zones keep one clock and it belongs to the record's
  country (or the record has none): it is more precise than the country.

Moments (``next_local``, ``out_of_quiet_hours``) are computed on the local wall clock and
converted back to UTC, so they stay right across daylight-saving changes: a wall time that
does not exist that day (02:30 on a spring-forward night) is read as the moment after the
gap (03:30), and one that happens twice (01:30 on a fall-back night) as its first occurrence.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
import pycountry
from phonenumbers import timezone as phone_zones

UNKNOWN_PHONE_ZONE = "Etc/Unknown"


@functools.lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """Every IANA zone name this machine can load (the ``tzdata`` package ships them all)."""
    return frozenset(available_timezones())


def zone_choices() -> list[str]:
    """The zones a person picks from: region/city names and UTC, sorted."""
    return sorted(z for z in known_zones() if "/" in z or z == "UTC")


def check_zone(name: str) -> str:
    """``name`` when it is a known IANA zone; ValueError saying so otherwise."""
    if name not in known_zones():
        raise ValueError(f"'{name[:60]}' is not a known time zone (e.g. Europe/Paris)")
    return name


def zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# ---- inference --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _country_zones() -> dict[str, list[str]]:
    """ISO alpha-2 code → its zones, in zone.tab's order (the tz database's table)."""
    table = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab")
    zones: dict[str, list[str]] = defaultdict(list)
    for line in table.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            zones[parts[0]].append(parts[2])
    return dict(zones)


@functools.lru_cache(maxsize=2048)
def _clock(name: str, year: int) -> tuple[int, ...]:
    """The zone's UTC offsets (seconds) at 53 weekly instants of ``year``: zones with the same
    tuple keep the same clock (the same offset and the same daylight-saving days)."""
    zone = ZoneInfo(name)
    start = datetime(year, 1, 1, 12, tzinfo=UTC)
    offsets = []
    for week in range(53):
        offset = (start + timedelta(weeks=week)).astimezone(zone).utcoffset()
        offsets.append(int(offset.total_seconds()) if offset is not None else 0)
    return tuple(offsets)


def _one_clock(names: list[str]) -> str | None:
    """The first of ``names`` when they all keep one clock this year, else None."""
    usable = [n for n in names if n in known_zones()]
    if not usable:
        return None
    year = datetime.now(UTC).year
    first = _clock(usable[0], year)
    return usable[0] if all(_clock(n, year) == first for n in usable[1:]) else None


@functools.lru_cache(maxsize=512)
def country_zone(code: str) -> str | None:
    """The zone of a country (ISO alpha-2) when it has one or a dominant one (see the module)."""
    names = [n for n in _country_zones().get(code.upper(), []) if n in known_zones()]
    if not names:
        return None
    year = datetime.now(UTC).year
    groups: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for name in names:
        groups[_clock(name, year)].append(name)
    largest = max(groups.values(), key=len)
    return largest[0] if len(largest) * 2 > len(names) else None


def country_code(country: str | None) -> str | None:
    """An ISO alpha-2 code from a code (FR, FRA) or a name (France, "united states")."""
    if not country or not country.strip():
        return None
    try:
        found: Any = pycountry.countries.lookup(country.strip())
    except LookupError:
        return None
    return str(found.alpha_2)


def _phone(phone: str | None) -> tuple[str | None, str | None]:
    """(its zone when its area keeps one clock, its country code) of an E.164 number."""
    if not phone:
        return None, None
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None, None
    region = phonenumbers.region_code_for_number(number)
    zones = [z for z in phone_zones.time_zones_for_number(number) if z != UNKNOWN_PHONE_ZONE]
    return _one_clock(zones), (region if region and region != "ZZ" else None)


@functools.lru_cache(maxsize=8192)
def inferred_zone(country: str | None, phone: str | None) -> tuple[str | None, str]:
    """(the zone, "phone" or "country": what said it), or (None, "") when neither says."""
    code = country_code(country)
    phone_zone, phone_region = _phone(phone)
    if phone_zone is not None and (code is None or phone_region == code):
        return phone_zone, "phone"
    if code is not None:
        zone = country_zone(code)
        return (zone, "country") if zone else (None, "")
    zone = country_zone(phone_region) if phone_region else None
    return (zone, "phone") if zone else (None, "")


def infer_time_zone(country: str | None, phone: str | None) -> str | None:
    """The zone a record's country and phone imply, or None when they do not say (see the
    module: the phone's area when it is in the country, else the country's zone)."""
    return inferred_zone(country, phone)[0]


# ---- a member's zone --------------------------------------------------------------------

ZoneSource = str  # "own" | "country" | "phone" | "organization" | "utc"


def zone_and_source(record: Any, default: tzinfo | None = None) -> tuple[tzinfo, ZoneSource]:
    """A lead's or contact's zone and where it came from: ``own`` (its field), ``country`` or
    ``phone`` (inferred: leads have both, contacts a mobile and a phone), ``organization``
    (``default``) or ``utc``."""
    own = zone_or_none(getattr(record, "time_zone", None))
    if own is not None:
        return own, "own"
    country = getattr(record, "country", None)
    phones = [getattr(record, "mobile", None), getattr(record, "phone", None)]
    for phone in [p for p in phones if p] or [None]:
        name, said_by = inferred_zone(country, phone)
        inferred = zone_or_none(name)
        if inferred is not None:
            return inferred, said_by
    if default is not None:
        return default, "organization"
    return UTC, "utc"


def member_zone(record: Any, default: tzinfo | None = None) -> tzinfo:
    """The zone a campaign uses for this lead or contact: its own, else inferred from its
    country and phone, else ``default`` (the organization's), else UTC."""
    return zone_and_source(record, default)[0]


def zone_explained(record: Any, default: tzinfo | None = None) -> str:
    """The effective zone in words: "Europe/Paris", "Europe/Paris, from the country",
    "America/New_York, from the phone", "UTC, the organization's default"."""
    zone, source = zone_and_source(record, default)
    name = str(zone)
    if source in ("country", "phone"):
        return f"{name}, from the {source}"
    if source == "organization":
        return f"{name}, the organization's default"
    if source == "utc":
        return f"{name}, none known"
    return name


# ---- moments ----------------------------------------------------------------------------


def wall_time(value: time | str) -> time:
    """A ``time`` from itself or from "HH:MM"."""
    if isinstance(value, time):
        return value
    return time.fromisoformat(value)


def _at_local(day: Any, at: time, zone: tzinfo) -> datetime:
    """``day`` at wall time ``at`` in ``zone``, as UTC (gaps read forward, folds first)."""
    local = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    return local.astimezone(UTC)


def next_local(at_utc: datetime, zone: tzinfo, weekday: int | None, at: time | str) -> datetime:
    """The first moment at or after ``at_utc`` that is ``at`` on the wall clock in ``zone``,
    on ``weekday`` (0 = Monday … 6 = Sunday) or any day: "until Tuesday 09:00 in their
    zone". UTC-aware."""
    clock = wall_time(at)
    start = at_utc.astimezone(zone).date()
    for days in range(9):
        day = start + timedelta(days=days)
        if weekday is not None and day.weekday() != weekday:
            continue
        moment = _at_local(day, clock, zone)
        if moment >= at_utc:
            return moment
    raise AssertionError("unreachable: a weekday comes back within 8 days")


def in_quiet_hours(at_utc: datetime, zone: tzinfo, start: time | str, end: time | str) -> bool:
    """Whether the wall clock in ``zone`` is in [start, end); a window may cross midnight
    (21:00–08:00); start == end means no quiet hours."""
    begin, finish = wall_time(start), wall_time(end)
    now = at_utc.astimezone(zone).time().replace(tzinfo=None)
    if begin == finish:
        return False
    if begin < finish:
        return begin <= now < finish
    return now >= begin or now < finish


def out_of_quiet_hours(
    at_utc: datetime, zone: tzinfo, quiet_start: time | str, quiet_end: time | str
) -> datetime:
    """``at_utc`` when it is outside the member's quiet hours, else the moment they end (the
    next ``quiet_end`` on their wall clock). UTC-aware."""
    if not in_quiet_hours(at_utc, zone, quiet_start, quiet_end):
        return at_utc.astimezone(UTC)
    return next_local(at_utc, zone, None, quiet_end)
