"""Members' time zones: inference from country and phone, and the moments campaigns wait
for, across the daylight-saving weeks of London and New York."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from nexa.core.localtime import (
    country_zone,
    in_quiet_hours,
    infer_time_zone,
    member_zone,
    next_local,
    out_of_quiet_hours,
    zone_explained,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("country", "phone", "zone"),
    [
        ("FR", None, "Europe/Paris"),
        ("france", None, "Europe/Paris"),
        ("DEU", None, "Europe/Berlin"),  # Berlin and Busingen keep one clock
        ("ES", None, "Europe/Madrid"),  # Madrid and Ceuta outnumber the Canaries
        ("US", None, None),  # no dominant zone: the country alone does not say
        ("US", "+12125550123", "America/New_York"),  # the area code does
        ("US", "+14155550123", "America/Los_Angeles"),
        (None, "+33612345678", "Europe/Paris"),
        (None, "+442071234567", "Europe/London"),
        ("US", "+33612345678", None),  # a French phone for an American lead: no guess
        ("GB", "+33612345678", "Europe/London"),  # the country wins over a foreign phone
        ("Atlantis", "not a phone", None),
        (None, None, None),
    ],
)
def test_inferred_from_country_and_phone(
    country: str | None, phone: str | None, zone: str | None
) -> None:
    assert infer_time_zone(country, phone) == zone


def test_country_zone_reads_the_tz_table() -> None:
    assert country_zone("in") == "Asia/Kolkata"
    assert country_zone("RU") is None


def test_member_zone_order_own_then_inferred_then_organization_then_utc() -> None:
    own = SimpleNamespace(time_zone="Asia/Tokyo", country="FR", phone=None)
    inferred = SimpleNamespace(time_zone=None, country="FR", phone=None)
    contact = SimpleNamespace(time_zone=None, mobile="+14155550123", phone="+33612345678")
    unknown = SimpleNamespace(time_zone=None, country=None, phone=None)
    assert member_zone(own) == ZoneInfo("Asia/Tokyo")
    assert member_zone(inferred) == ZoneInfo("Europe/Paris")
    assert member_zone(contact) == ZoneInfo("America/Los_Angeles")  # the mobile first
    assert member_zone(unknown, ZoneInfo("Europe/Rome")) == ZoneInfo("Europe/Rome")
    assert member_zone(unknown) == UTC
    assert zone_explained(inferred) == "Europe/Paris, from the country"
    assert zone_explained(contact) == "America/Los_Angeles, from the phone"
    assert zone_explained(own) == "Asia/Tokyo"


def test_next_local_weekday_and_time() -> None:
    # Monday 2026-12-07 10:00 UTC = 10:00 in London: "until Tuesday 09:00" is tomorrow
    assert next_local(utc(2026, 12, 7, 10), LONDON, 1, "09:00") == utc(2026, 12, 8, 9)
    # already Tuesday 09:00 in New York (14:00 UTC): that very moment
    assert next_local(utc(2026, 12, 8, 14), NEW_YORK, 1, "09:00") == utc(2026, 12, 8, 14)
    # a minute later: next week
    assert next_local(utc(2026, 12, 8, 14, 1), NEW_YORK, 1, "09:00") == utc(2026, 12, 15, 14)
    # any day: later today, or tomorrow
    assert next_local(utc(2026, 12, 7, 8), LONDON, None, "09:00") == utc(2026, 12, 7, 9)
    assert next_local(utc(2026, 12, 7, 10), LONDON, None, "09:00") == utc(2026, 12, 8, 9)


def test_next_local_across_the_spring_and_autumn_changes() -> None:
    # London: clocks go forward on Sunday 2026-03-29 (GMT → BST). Friday 09:00 GMT is
    # 09:00 UTC; the Tuesday after, 09:00 BST is 08:00 UTC.
    assert next_local(utc(2026, 3, 27, 12), LONDON, 1, "09:00") == utc(2026, 3, 31, 8)
    # … and back on Sunday 2026-10-25: Tuesday 09:00 GMT is 09:00 UTC again
    assert next_local(utc(2026, 10, 23, 12), LONDON, 1, "09:00") == utc(2026, 10, 27, 9)
    # New York: forward on Sunday 2026-03-08 (EST → EDT), back on Sunday 2026-11-01
    assert next_local(utc(2026, 3, 6, 20), NEW_YORK, 0, "09:00") == utc(2026, 3, 9, 13)
    assert next_local(utc(2026, 10, 30, 20), NEW_YORK, 0, "09:00") == utc(2026, 11, 2, 14)
    # a wall time that does not exist (02:30 on the spring-forward night) comes after the gap
    assert next_local(utc(2026, 3, 8, 5), NEW_YORK, None, "02:30") == utc(2026, 3, 8, 7, 30)
    # one that happens twice (01:30 on the fall-back night) is its first occurrence (EDT)
    assert next_local(utc(2026, 11, 1, 4), NEW_YORK, None, "01:30") == utc(2026, 11, 1, 5, 30)


def test_quiet_hours_crossing_midnight() -> None:
    # quiet 21:00–08:00 in New York, on a winter day (UTC-5)
    assert in_quiet_hours(utc(2026, 12, 8, 3), NEW_YORK, "21:00", "08:00")  # 22:00 local
    assert not in_quiet_hours(utc(2026, 12, 8, 15), NEW_YORK, "21:00", "08:00")  # 10:00
    assert not in_quiet_hours(utc(2026, 12, 8, 3), NEW_YORK, "09:00", "09:00")  # none
    # outside: unchanged
    assert out_of_quiet_hours(utc(2026, 12, 8, 15), NEW_YORK, "21:00", "08:00") == utc(
        2026, 12, 8, 15
    )
    # evening part: tomorrow 08:00 local; after midnight part: today 08:00 local
    assert out_of_quiet_hours(utc(2026, 12, 8, 3), NEW_YORK, "21:00", "08:00") == utc(
        2026, 12, 8, 13
    )
    assert out_of_quiet_hours(utc(2026, 12, 8, 10), NEW_YORK, "21:00", "08:00") == utc(
        2026, 12, 8, 13
    )
    # a window that does not cross midnight (12:00–14:00 lunch in London)
    assert out_of_quiet_hours(utc(2026, 12, 8, 12, 30), LONDON, "12:00", "14:00") == utc(
        2026, 12, 8, 14
    )


def test_quiet_hours_across_the_changes() -> None:
    # London, Saturday 2026-03-28 22:00 GMT (quiet 21:00–08:00): the night the clocks go
    # forward; the window ends Sunday 08:00 BST = 07:00 UTC
    assert out_of_quiet_hours(utc(2026, 3, 28, 22), LONDON, "21:00", "08:00") == utc(2026, 3, 29, 7)
    # New York, Saturday 2026-10-31 23:00 EDT (03:00 UTC Sunday): ends Sunday 08:00 EST
    assert out_of_quiet_hours(utc(2026, 11, 1, 3), NEW_YORK, "21:00", "08:00") == utc(
        2026, 11, 1, 13
    )
    # and on the spring-forward morning, 08:00 EDT = 12:00 UTC
    assert out_of_quiet_hours(utc(2026, 3, 8, 6), NEW_YORK, "21:00", "08:00") == utc(2026, 3, 8, 12)
