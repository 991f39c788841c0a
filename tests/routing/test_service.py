"""Routing per band, round robin, top performer, SDR queue and nurture, SLA clocks with a
frozen clock (``now=``), first response and the report — through the services."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.repository import unscoped
from nexa.lead.schemas import LeadUpdate
from nexa.lead.service import LeadService
from nexa.models import Lead, ListMember, Notification, RecordList
from nexa.routing import service
from nexa.routing.schemas import RoutingSettings
from tests.factories.call import make_call
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead

MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
FRIDAY_EVENING = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)


def configure(db: Any, **values: Any) -> RoutingSettings:
    data = service.parse_settings(values)
    return service.put_settings(db, SYSTEM, data)


def unowned(db: Any, score: int | None, *, now: datetime = MONDAY_10, **fields: Any) -> Lead:
    """A lead as a web form without an assignee makes it (created by Nexa, no owner), with
    the score set by the test, routed at ``now``. (On create the scoring subscriber sets its
    own score and routing follows it; here the create-time routing is paused.)"""
    db.info[service.PAUSE] = True
    try:
        lead = make_lead(db, **fields)
    finally:
        db.info.pop(service.PAUSE, None)
    lead.score = score
    db.flush()
    service.route_lead(db, lead, now=now)
    return lead


def nurture_members(db: Any) -> set[uuid.UUID]:
    stmt = (
        select(ListMember.record_id)
        .join(RecordList, RecordList.id == ListMember.list_id)
        .where(RecordList.system_key == service.NURTURE_KEY)
    )
    return set(db.scalars(unscoped(stmt)))


def notes_for(db: Any, user_id: uuid.UUID, kind: str) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
    return list(db.scalars(stmt))


def win(db: Any, owner_id: uuid.UUID, amount: str, *, days_ago: int = 10) -> None:
    deal = make_deal(db, owner_id=owner_id, amount=Decimal(amount))
    deal.stage_kind = "won"
    deal.closed_at = MONDAY_10 - timedelta(days=days_ago)
    deal.amount_org = Decimal(amount)
    db.flush()


REPS = ("rep", "teammate", "other_rep")


def rep_ids(users: Any) -> set[uuid.UUID]:
    return {getattr(users, r).id for r in REPS}


# ---- per band ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "rule", "priority", "minutes", "nurtured"),
    [
        (80, "top_performer", "urgent", 5, False),
        (79, "round_robin", "high", 30, False),
        (60, "round_robin", "high", 30, False),
        (59, "sdr_queue", "normal", 240, False),
        (50, "sdr_queue", "normal", 240, False),
        (49, "sdr_queue", "normal", 240, True),
    ],
)
def test_route_per_band(
    db: Any, users: Any, score: int, rule: str, priority: str, minutes: int, nurtured: bool
) -> None:
    lead = unowned(db, score)
    assert (lead.routing_rule, lead.sla_priority) == (rule, priority)
    assert lead.sla_due_at == MONDAY_10 + timedelta(minutes=minutes)
    assert lead.owner_id in rep_ids(users)  # the default segment: active sales reps
    assert lead.routing_segment == "default"
    assert (lead.id in nurture_members(db)) is nurtured


def test_new_unowned_lead_is_routed_on_create_and_the_assignee_notified(
    db: Any, users: Any
) -> None:
    lead = make_lead(db, first_name="Ada", last_name="Lovelace")
    assert lead.score is not None  # the scoring subscriber ran first
    assert lead.owner_id in rep_ids(users)
    assert lead.routing_rule in ("top_performer", "round_robin", "sdr_queue")
    assert lead.routed_at is not None and lead.sla_due_at is not None
    notes = notes_for(db, lead.owner_id, "lead.routed")
    assert [n.record_id for n in notes] == [lead.id]
    assert "lead Ada Lovelace routed to you" in notes[0].title


def test_top_performer_has_the_most_won_in_90_days_ties_to_fewest_open_leads(
    db: Any, users: Any
) -> None:
    win(db, users.teammate.id, "5000")
    win(db, users.other_rep.id, "9000")
    win(db, users.rep.id, "50000", days_ago=120)  # too long ago
    lead = unowned(db, 95)
    assert lead.owner_id == users.other_rep.id
    # a tie on results: fewest open leads wins
    win(db, users.teammate.id, "4000")
    make_lead(db, owner_id=users.other_rep.id)
    lead2 = unowned(db, 90)
    assert lead2.owner_id == users.teammate.id


def test_round_robin_is_fair(db: Any, users: Any) -> None:
    owners = Counter(unowned(db, 70).owner_id for _ in range(30))
    assert owners == {users.rep.id: 10, users.teammate.id: 10, users.other_rep.id: 10}


def test_segments_match_on_lead_fields(db: Any, users: Any) -> None:
    configure(
        db,
        segments=[
            {"name": "DACH", "country": ["DE", "at"], "user_ids": [str(users.other_rep.id)]},
            {
                "name": "Enterprise",
                "company_size": ["5001+"],
                "team_id": str(users.rep.user.team_id),
            },
        ],
    )
    dach = unowned(db, 70, country="DE")
    assert (dach.routing_segment, dach.owner_id) == ("DACH", users.other_rep.id)
    big = [unowned(db, 70, company_size="5001+") for _ in range(4)]
    assert {lead.routing_segment for lead in big} == {"Enterprise"}
    # the East team: its manager and its two reps take turns
    assert {lead.owner_id for lead in big} <= {users.rep.id, users.teammate.id, users.manager.id}
    other = unowned(db, 70, country="FR")
    assert other.routing_segment == "default"


def test_sdr_queue_and_nurture_below_50(db: Any, users: Any) -> None:
    configure(db, sdr_queue={"user_ids": [str(users.teammate.id)]})
    low = unowned(db, 30)
    assert (low.owner_id, low.routing_segment, low.routing_rule) == (
        users.teammate.id,
        "sdr_queue",
        "sdr_queue",
    )
    assert low.sla_priority == "normal"
    assert low.id in nurture_members(db)
    mid = unowned(db, 55)
    assert mid.owner_id == users.teammate.id and mid.id not in nurture_members(db)


def test_explicit_owner_keeps_the_lead_but_gets_a_clock(db: Any, users: Any) -> None:
    lead = make_lead(db, owner_id=users.rep.id)
    assert lead.owner_id == users.rep.id
    assert lead.routing_rule == "owner" and lead.sla_priority is not None
    assert lead.sla_due_at is not None
    lead.score = 92
    service.route_lead(db, lead, now=MONDAY_10, keep_owner=True)
    assert (lead.owner_id, lead.sla_priority) == (users.rep.id, "urgent")
    assert lead.sla_due_at == MONDAY_10 + timedelta(minutes=5)


def test_a_persons_own_lead_and_old_leads_are_left_alone(db: Any, users: Any) -> None:
    mine = make_lead(db, users.rep.actor, score=95)
    assert mine.owner_id == users.rep.id and mine.routed_at is None
    history = make_lead(db, score=95, status="contacted")
    assert history.routed_at is None and history.owner_id is None


def test_disabled_routing_leaves_new_leads_unowned(db: Any, users: Any) -> None:
    configure(db, enabled=False)
    lead = make_lead(db)
    assert lead.owner_id is None and lead.routed_at is None


def test_sla_counts_working_minutes_friday_evening_to_monday(db: Any, users: Any) -> None:
    lead = unowned(db, 70, now=FRIDAY_EVENING)
    assert lead.sla_due_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


# ---- the SLA job ---------------------------------------------------------------------------


def routed_to_rep(db: Any, users: Any, score: int = 70, now: datetime = MONDAY_10) -> Lead:
    lead = make_lead(db, owner_id=users.rep.id)
    lead.score = score
    service.route_lead(db, lead, now=now, keep_owner=True)
    return lead


def test_warning_then_escalation_to_the_manager_idempotent(db: Any, users: Any) -> None:
    lead = routed_to_rep(db, users)  # high: 30 working minutes, due 10:30
    assert service.check_sla(db, now=MONDAY_10 + timedelta(minutes=20)) == {
        "warned": 0,
        "escalated": 0,
    }
    at_24 = MONDAY_10 + timedelta(minutes=24)  # 80 % of 30 minutes
    assert service.check_sla(db, now=at_24) == {"warned": 1, "escalated": 0}
    assert lead.sla_warned_at == at_24 and not lead.sla_breached
    assert service.check_sla(db, now=at_24 + timedelta(minutes=1)) == {"warned": 0, "escalated": 0}
    assert len(notes_for(db, users.rep.id, "sla.warning")) == 1

    due = MONDAY_10 + timedelta(minutes=30)
    assert service.check_sla(db, now=due) == {"warned": 0, "escalated": 1}
    assert lead.sla_breached and lead.sla_escalated_at == due
    assert service.check_sla(db, now=due + timedelta(minutes=5)) == {"warned": 0, "escalated": 0}
    escalations = notes_for(db, users.manager.id, "sla.escalated")
    assert [n.record_id for n in escalations] == [lead.id]
    assert len(notes_for(db, users.rep.id, "sla.breached")) == 1


def test_escalation_goes_to_the_parent_teams_manager_when_the_team_has_none(
    db: Any, users: Any
) -> None:
    from nexa.models import Team, User

    east = db.get(Team, db.get(User, users.rep.id).team_id)
    east.manager_id = None
    parent = db.get(Team, east.parent_id)
    parent.manager_id = users.other_manager.id
    db.flush()
    routed_to_rep(db, users)
    service.check_sla(db, now=MONDAY_10 + timedelta(hours=2))
    assert len(notes_for(db, users.other_manager.id, "sla.escalated")) == 1


def test_a_late_run_escalates_without_a_stale_warning(db: Any, users: Any) -> None:
    lead = routed_to_rep(db, users)
    assert service.check_sla(db, now=MONDAY_10 + timedelta(hours=1)) == {
        "warned": 0,
        "escalated": 1,
    }
    assert lead.sla_warned_at is None and lead.sla_breached


def test_first_response_by_the_owner_stops_the_clock(db: Any, users: Any) -> None:
    lead = routed_to_rep(db, users)
    make_call(db, users.manager.actor, related_type="lead", related_id=lead.id)
    assert lead.first_response_at is None  # someone else acting is not the owner's answer
    make_call(db, users.rep.actor, related_type="lead", related_id=lead.id)
    assert lead.first_response_at is not None
    assert service.check_sla(db, now=MONDAY_10 + timedelta(hours=3)) == {
        "warned": 0,
        "escalated": 0,
    }
    assert not lead.sla_breached


def test_moving_the_status_from_new_is_a_first_response(db: Any, users: Any) -> None:
    lead = routed_to_rep(db, users)
    LeadService(db, users.rep.actor).update(lead.id, LeadUpdate(status="contacted"))
    assert lead.first_response_at is not None


def test_reroute_needs_write_access(db: Any, users: Any) -> None:
    from nexa.core.errors import NotFound

    lead = routed_to_rep(db, users)
    with pytest.raises(NotFound):
        service.reroute_lead(db, users.other_rep.actor, lead.id)
    result = service.reroute_lead(db, users.manager.actor, lead.id, now=MONDAY_10)
    assert result.rule == "round_robin" and result.owner_id in rep_ids(users)


# ---- the report ----------------------------------------------------------------------------


def test_sla_report_numbers_and_scope(db: Any, users: Any) -> None:
    def clocked(owner: Any, answer_after: int | None) -> Lead:
        lead = make_lead(db, owner_id=owner.id)
        lead.score = 70
        service.route_lead(db, lead, now=MONDAY_10, keep_owner=True)  # due 10:30
        if answer_after is not None:
            service.record_first_response(db, lead, at=MONDAY_10 + timedelta(minutes=answer_after))
        return lead

    clocked(users.rep, 10)
    clocked(users.rep, 20)
    clocked(users.rep, 45)  # late
    clocked(users.rep, None)  # never answered, past due at the report's "now"
    clocked(users.teammate, 5)
    clocked(users.other_rep, None)
    service.check_sla(db, now=MONDAY_10 + timedelta(hours=1))
    clocked(users.teammate, None)  # routed at 10:00, "now" 10:10: still pending

    window = {"since": MONDAY_10 - timedelta(days=1), "until": MONDAY_10 + timedelta(days=1)}
    report = service.sla_report(
        db, users.admin.actor, **window, now=MONDAY_10 + timedelta(minutes=10)
    )
    rows = {r.user_id: r for r in report.rows}
    rep = rows[users.rep.id]
    assert (rep.routed, rep.responded_within, rep.breached, rep.pending) == (4, 2, 2, 0)
    assert rep.attainment_percent == 50.0
    assert rep.median_first_response_minutes == 20.0
    mate = rows[users.teammate.id]
    assert (mate.routed, mate.responded_within, mate.pending, mate.attainment_percent) == (
        2,
        1,
        1,
        100.0,
    )
    assert report.total.routed == 7

    managed = service.sla_report(db, users.manager.actor, **window)
    assert {r.user_id for r in managed.rows} == {users.rep.id, users.teammate.id}
    own = service.sla_report(db, users.rep.actor, **window)
    assert {r.user_id for r in own.rows} == {users.rep.id}


# ---- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (
            {
                "bands": [
                    {
                        "min_score": 60,
                        "assign": "round_robin",
                        "priority": "high",
                        "sla_minutes": 30,
                    }
                ]
            },
            "bands",
        ),
        (
            {"bands": [{"min_score": 0, "assign": "nobody", "priority": "high", "sla_minutes": 3}]},
            "bands.0.assign",
        ),
        ({"working_hours": {"timezone": "Mars/Olympus"}}, "working_hours.timezone"),
        ({"working_hours": {"start": "18:00", "end": "09:00"}}, "working_hours"),
        ({"segments": [{"name": "X", "company_size": ["huge"]}]}, "segments.0.company_size"),
        ({"warn_at_percent": 100}, "warn_at_percent"),
    ],
)
def test_settings_validation_names_the_field(db: Any, values: dict[str, Any], field: str) -> None:
    from nexa.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        service.parse_settings(values)
    assert exc.value.field == field


def test_settings_refuse_unknown_users(db: Any, users: Any) -> None:
    from nexa.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        configure(db, sdr_queue={"user_ids": [str(uuid.uuid4())]})
    assert exc.value.field == "sdr_queue.user_ids.0"


def test_a_rep_cannot_change_settings(db: Any, users: Any) -> None:
    from nexa.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.put_settings(db, users.rep.actor, RoutingSettings())
    with pytest.raises(PermissionDenied):
        service.get_settings(db, users.manager.actor)
