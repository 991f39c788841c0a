"""Send-time optimisation (issue 19): on a generated population whose members have known
preferred hours, the chosen hour is the true one for at least 80 % of the members with 10 or
more opens — against the baseline of the organization's best hour for everyone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from nexa.intelligence.send_time import MIN_OWN_EVENTS, best_hours, evaluate
from tests.factories.email import make_email_event, make_sent_email
from tests.factories.engagement import make_engagement_population
from tests.factories.lead import make_lead
from tests.query_counts import count_queries


def test_chosen_hour_matches_the_true_one_for_most_members(db: Any) -> None:
    population = make_engagement_population(db, members=300)
    truth = {m.key: m.true_hour for m in population}
    opens = {m.key: m.opens for m in population}
    result = evaluate(db, truth, opens, min_opens=10)
    print(f"\n{result.summary()}")  # the figure, in the test output (-s)
    assert result.rows >= 150
    assert result.accuracy >= 0.80, result.summary()
    assert result.beats_baseline
    assert result.baseline < 0.2


def test_fallbacks_segment_then_organization_then_none(db: Any) -> None:
    monday_9_paris = datetime(2026, 11, 23, 8, tzinfo=UTC)  # 09:00 in Paris (CET)
    french = [make_lead(db, country="FR") for _ in range(3)]
    for lead in french[:2]:  # two French leads open on Mondays at 09:00 Paris time
        for week in range(4):
            at = monday_9_paris - timedelta(weeks=week)
            make_email_event(db, make_sent_email(db, "lead", lead.id, at), "open", at)
    newcomer = french[2]  # no history: the French segment (8 events)
    indian = make_lead(db, country="IN")  # no segment history: the organization's
    db.flush()
    choices = best_hours(db, [("lead", newcomer.id), ("lead", indian.id), ("lead", french[0].id)])
    assert choices[("lead", newcomer.id)].source == "segment"
    assert choices[("lead", newcomer.id)].hour_of_week == 9  # Monday 09:00 local
    assert choices[("lead", indian.id)].source == "organization"
    # the organization's histogram in each member's own zone: Monday 09:00 again
    assert choices[("lead", indian.id)].hour_of_week == 9
    # four opens of one's own are fewer than MIN_OWN_EVENTS: the segment decides
    assert MIN_OWN_EVENTS > 4
    assert choices[("lead", french[0].id)].source == "segment"


def test_no_history_at_all_is_none(db: Any) -> None:
    lead = make_lead(db)
    missing = ("contact", uuid.uuid4())
    choices = best_hours(db, [("lead", lead.id), missing])
    assert choices[("lead", lead.id)].hour_of_week is None
    assert choices[missing].source in ("none", "organization")


def test_machine_opens_do_not_count(db: Any) -> None:
    lead = make_lead(db, time_zone="Europe/London")
    human = datetime(2026, 11, 24, 15, tzinfo=UTC)  # Tuesday 15:00 London
    robot = datetime(2026, 11, 26, 3, tzinfo=UTC)  # Thursday 03:00
    for week in range(6):
        msg = make_sent_email(db, "lead", lead.id, human - timedelta(weeks=week))
        make_email_event(db, msg, "open", human - timedelta(weeks=week))
        for _ in range(3):
            make_email_event(db, msg, "open", robot - timedelta(weeks=week), machine=True)
    db.flush()
    choice = best_hours(db, [("lead", lead.id)])[("lead", lead.id)]
    assert (choice.source, choice.hour_of_week, choice.opens) == ("own", 24 + 15, 6)


def test_queries_do_not_grow_with_members(db: Any) -> None:
    leads = [make_lead(db, country="FR") for _ in range(50)]
    at = datetime(2026, 11, 24, 9, tzinfo=UTC)
    for lead in leads:
        for week in range(MIN_OWN_EVENTS + 1):
            msg = make_sent_email(db, "lead", lead.id, at - timedelta(weeks=week), flush=False)
            make_email_event(db, msg, "click", at - timedelta(weeks=week))
    db.flush()
    with count_queries() as one:
        best_hours(db, [("lead", leads[0].id)])
    with count_queries() as fifty:
        best_hours(db, [("lead", lead.id) for lead in leads])
    # the organization's zone (one setting), the members, their events
    assert len(one) == len(fifty) <= 3, (one, fifty)
