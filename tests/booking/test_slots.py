"""nexa.booking.slots.free_slots: a pure function of working hours, zone, busy times and now."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nexa.booking.slots import Rules, free_slots, parse_hours

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = parse_hours(
    {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
)


def rules(**kw: object) -> Rules:
    base: dict[str, object] = {
        "duration": timedelta(minutes=30),
        "buffer_before": timedelta(0),
        "buffer_after": timedelta(0),
        "notice": timedelta(0),
        "days_ahead": 14,
        "hours": WEEKDAYS_9_TO_5,
    }
    base.update(kw)
    return Rules(**base)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local_starts(found: list[datetime], zone: ZoneInfo, day: int) -> list[str]:
    return [f"{s.astimezone(zone):%H:%M}" for s in found if s.astimezone(zone).day == day]


def test_working_hours_make_slots_of_the_meeting_length() -> None:
    now = utc(2026, 12, 7, 0, 0)  # a Monday
    found = free_slots(rules(duration=timedelta(hours=1), days_ahead=0), LONDON, [], now)
    assert local_starts(found, LONDON, 7) == [f"{h:02d}:00" for h in range(9, 17)]
    # the weekend is not worked
    weekend = free_slots(rules(), LONDON, [], utc(2026, 12, 12, 0, 0))
    assert {s.astimezone(LONDON).weekday() for s in weekend} <= {0, 1, 2, 3, 4}
    assert not [s for s in weekend if s.date() <= datetime(2026, 12, 13).date()]


def test_london_keeps_nine_to_five_local_across_the_october_change() -> None:
    """BST ends on Sunday 25 Oct 2026: 09:00 London is 08:00 UTC before, 09:00 UTC after."""
    now = utc(2026, 10, 22, 0, 0)  # Thursday
    found = free_slots(rules(duration=timedelta(hours=8), days_ahead=6), LONDON, [], now)
    assert found == [
        utc(2026, 10, 22, 8, 0),  # Thu, BST
        utc(2026, 10, 23, 8, 0),  # Fri, BST
        utc(2026, 10, 26, 9, 0),  # Mon, GMT
        utc(2026, 10, 27, 9, 0),
        utc(2026, 10, 28, 9, 0),
    ]


def test_new_york_across_the_march_change() -> None:
    """EDT starts on Sunday 8 Mar 2026: 09:00 New York is 14:00 UTC before, 13:00 after; a
    Sunday span over the skipped hour (02:00-03:00) offers no slot that does not exist."""
    now = utc(2026, 3, 6, 6, 0)  # Friday 01:00 in New York
    hours = {**WEEKDAYS_9_TO_5, 6: [(time(1, 0), time(4, 0))]}
    found = free_slots(
        rules(hours=hours, duration=timedelta(hours=1), days_ahead=3), NEW_YORK, [], now
    )
    fri = [s for s in found if s.astimezone(NEW_YORK).day == 6]
    mon = [s for s in found if s.astimezone(NEW_YORK).day == 9]
    sun = [s for s in found if s.astimezone(NEW_YORK).day == 8]
    assert fri[0] == utc(2026, 3, 6, 14, 0) and mon[0] == utc(2026, 3, 9, 13, 0)
    assert len(fri) == len(mon) == 8
    # 01:00 EST, (02:00 does not exist), 03:00 EDT; each an hour long and ending by 04:00 EDT
    assert [f"{s.astimezone(NEW_YORK):%H:%M}" for s in sun] == ["01:00", "03:00"]
    assert sun == [utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 7, 0)]


def test_minimum_notice_and_days_ahead() -> None:
    now = utc(2026, 12, 7, 10, 10)  # Monday 10:10 London (GMT)
    found = free_slots(rules(notice=timedelta(hours=2), days_ahead=1), LONDON, [], now)
    assert found[0] == utc(2026, 12, 7, 12, 30)  # the first start at or after 12:10
    assert found[-1] == utc(2026, 12, 8, 16, 30)  # Tuesday is the last day offered
    assert all(s >= now + timedelta(hours=2) for s in found)


def test_busy_meetings_and_overlaps_take_slots_away() -> None:
    now = utc(2026, 12, 7, 0, 0)
    busy = [
        (utc(2026, 12, 7, 10, 15), utc(2026, 12, 7, 10, 45)),  # overlaps 10:00 and 10:30
        (utc(2026, 12, 7, 13, 0), utc(2026, 12, 7, 14, 0)),
        (utc(2026, 12, 7, 13, 30), utc(2026, 12, 7, 14, 30)),  # overlapping each other
    ]
    found = local_starts(free_slots(rules(days_ahead=0), LONDON, busy, now), LONDON, 7)
    assert "10:00" not in found and "10:30" not in found
    assert "13:00" not in found and "13:30" not in found and "14:00" not in found
    assert "09:30" in found and "11:00" in found and "14:30" in found
    # a meeting ending exactly when a slot starts does not block it
    assert "10:45" not in found and "12:30" in found


def test_buffers_keep_room_before_and_after() -> None:
    now = utc(2026, 12, 7, 0, 0)
    busy = [(utc(2026, 12, 7, 12, 0), utc(2026, 12, 7, 13, 0))]
    plain = local_starts(free_slots(rules(days_ahead=0), LONDON, busy, now), LONDON, 7)
    assert "11:30" in plain and "13:00" in plain
    padded = rules(
        days_ahead=0, buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=15)
    )
    found = local_starts(free_slots(padded, LONDON, busy, now), LONDON, 7)
    # 11:30-12:00 needs 15 minutes after it (to 12:15): taken; 13:00 needs 15 before: taken
    assert "11:30" not in found and "13:00" not in found
    assert "11:00" in found and "13:30" in found
