"""The pure routing arithmetic: bands, segments, working hours, round robin, top performer."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from nexa.intelligence.routing import (
    DEFAULT_BANDS,
    RepRecord,
    WorkingHours,
    add_working_minutes,
    band_for,
    clock_state,
    median,
    round_robin_next,
    segment_matches,
    top_performer,
    warn_at,
    working_minutes_between,
)

NINE_TO_FIVE = WorkingHours()


@pytest.mark.parametrize(
    ("score", "assign", "priority", "sla"),
    [
        (100, "top_performer", "urgent", 5),
        (80, "top_performer", "urgent", 5),
        (79, "round_robin", "high", 30),
        (60, "round_robin", "high", 30),
        (59, "sdr_queue", "normal", 240),
        (50, "sdr_queue", "normal", 240),
        (0, "sdr_queue", "normal", 240),
        (None, "sdr_queue", "normal", 240),
    ],
)
def test_band_boundaries(score: int | None, assign: str, priority: str, sla: int) -> None:
    band = band_for(score, DEFAULT_BANDS)
    assert (band.assign, band.priority, band.sla_minutes) == (assign, priority, sla)


def test_segment_conditions_are_case_insensitive_and_all_must_hold() -> None:
    conditions = {"country": ["DE", "AT"], "company_size": ["201-500"], "industry": []}
    assert segment_matches(conditions, {"country": "de", "company_size": "201-500"})
    assert not segment_matches(conditions, {"country": "FR", "company_size": "201-500"})
    assert not segment_matches(conditions, {"country": None, "company_size": "201-500"})
    assert segment_matches({}, {"country": "FR"})


def test_friday_evening_lead_is_due_monday_morning() -> None:
    friday_evening = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)  # a Friday, after 17:00
    assert add_working_minutes(friday_evening, 30, NINE_TO_FIVE) == datetime(
        2026, 11, 30, 9, 30, tzinfo=UTC
    )
    friday_late_afternoon = datetime(2026, 11, 27, 16, 50, tzinfo=UTC)
    # 10 minutes on Friday, the other 20 on Monday
    assert add_working_minutes(friday_late_afternoon, 30, NINE_TO_FIVE) == datetime(
        2026, 11, 30, 9, 20, tzinfo=UTC
    )
    assert working_minutes_between(
        friday_late_afternoon, datetime(2026, 11, 30, 9, 20, tzinfo=UTC), NINE_TO_FIVE
    ) == pytest.approx(30)


def test_working_hours_in_a_time_zone_and_a_long_window() -> None:
    berlin = WorkingHours(timezone="Europe/Berlin", start=time(8), end=time(12))
    # Monday 06:00 UTC = 07:00 Berlin: opens 08:00 Berlin (07:00 UTC)
    monday = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert add_working_minutes(monday, 5, berlin) == datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    # 240 minutes in a 4-hour day: ends at Monday's close
    assert add_working_minutes(monday, 240, berlin) == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    # 480 minutes: Tuesday close
    assert add_working_minutes(monday, 480, berlin) == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def test_always_open_counts_every_minute() -> None:
    start = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # a Saturday night
    always = WorkingHours(always=True)
    assert add_working_minutes(start, 5, always) == datetime(2026, 11, 28, 3, 5, tzinfo=UTC)


def test_warning_point_is_a_share_of_the_working_window() -> None:
    routed = datetime(2026, 11, 27, 16, 50, tzinfo=UTC)
    due = add_working_minutes(routed, 30, NINE_TO_FIVE)
    assert warn_at(routed, due, 80, NINE_TO_FIVE) == datetime(2026, 11, 30, 9, 14, tzinfo=UTC)


def test_round_robin_cycles_and_skips_leavers() -> None:
    members = ["c", "a", "b"]
    picks, last = [], None
    for _ in range(6):
        last = round_robin_next(members, last)
        picks.append(last)
    assert picks == ["a", "b", "c", "a", "b", "c"]
    assert round_robin_next(["a", "c"], "b") == "c"  # b left: the next one in order
    assert round_robin_next([], None) is None


def test_top_performer_by_won_amount_then_conversions_then_fewest_open_leads() -> None:
    records = [
        RepRecord("a", Decimal(5000), 1, 9),
        RepRecord("b", Decimal(9000), 0, 20),
        RepRecord("c", Decimal(9000), 0, 3),
    ]
    assert top_performer(records) == "c"
    assert top_performer([RepRecord("a", conversions=2), RepRecord("b", conversions=3)]) == "b"
    assert top_performer([]) is None


def test_clock_states_and_median() -> None:
    due = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    warn = datetime(2026, 11, 30, 9, 48, tzinfo=UTC)
    at = datetime
    assert clock_state(at(2026, 11, 30, 9, 0, tzinfo=UTC), due, None, warn) == "running"
    assert clock_state(at(2026, 11, 30, 9, 50, tzinfo=UTC), due, None, warn) == "warning"
    assert clock_state(at(2026, 11, 30, 10, 0, tzinfo=UTC), due, None, warn) == "breached"
    assert clock_state(due, due, due, warn) == "met"
    assert clock_state(due, None, None) == "none"
    assert median([3, 1, 2]) == 2 and median([1, 2, 3, 4]) == 2.5 and median([]) is None
