"""The sequence engine: each member gets exactly the steps its behaviour implies (Use Case
4's nurture sequence: welcome email on day 0, a LinkedIn task on day 2, a case study on day 4
to those who opened the welcome, an SMS on day 7 to those who have not responded, a call on
day 10 for scores above 60); a reply, an unsubscribe and a bounce end the sequence; a paused
campaign sends nothing; a step run twice (a crash after commit) does nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from nexa.campaign import service
from nexa.campaign.engine import advance
from nexa.campaign.schemas import Enrol
from nexa.core.actor import SYSTEM
from nexa.core.events import publish
from nexa.core.repository import unscoped
from nexa.email.events import REPLIED, ReceivedPayload
from nexa.meeting.schemas import MeetingCreate
from nexa.meeting.service import MeetingService
from nexa.models import CampaignMember, CampaignStep, CampaignStepRun, EmailMessage, Task
from tests.email.conftest import SmtpServer, configure
from tests.factories.campaign import make_campaign
from tests.factories.lead import make_lead
from tests.factories.user import make_user

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
NURTURE = [
    {"day": 0, "channel": "email", "subject": "Welcome {{ lead.first_name }}", "body": "Hi"},
    {"day": 2, "channel": "linkedin", "action": "connection_request", "body": "Hello"},
    {
        "day": 4,
        "channel": "email",
        "subject": "Case study",
        "body": "Read this",
        "condition": "opened_previous",
    },
    {
        "day": 7,
        "channel": "sms",
        "body": "Quick question, {{ lead.first_name }}?",
        "condition": "not_responded_to_emails",
    },
    {
        "day": 10,
        "channel": "voice",
        "action": "ai_call",
        "body": "Discovery intro",
        "condition": "score_above_60",
    },
]


def runs_of(db: Any, member_id: Any) -> dict[int, tuple[str, str | None]]:
    """position → (outcome, reason) of a member's step runs."""
    stmt = (
        select(CampaignStep.position, CampaignStepRun.outcome, CampaignStepRun.reason)
        .join(CampaignStep, CampaignStep.id == CampaignStepRun.step_id)
        .where(CampaignStepRun.member_id == member_id)
    )
    return {p: (o, r) for p, o, r in db.execute(stmt)}


def member(db: Any, campaign: Any, lead: Any) -> CampaignMember:
    return db.scalars(
        select(CampaignMember).where(
            CampaignMember.campaign_id == campaign.id, CampaignMember.record_id == lead.id
        )
    ).one()


def day(sessions: Any, n: int, hours: int = 1) -> Any:
    return advance(sessions, now=T0 + timedelta(days=n, hours=hours))


@pytest.fixture
def marketer(db: Any) -> Any:
    return make_user(db, "marketer")


# (opens the welcome, replies on day 5, has a meeting on day 5, score)
BEHAVIOURS = {
    "silent_low": (False, False, False, 20),
    "silent_high": (False, False, False, 80),
    "opener_low": (True, False, False, 20),
    "opener_high": (True, False, False, 80),
    "replier": (True, True, False, 80),
    "met_high": (True, False, True, 80),
}


def expected(opens: bool, replies: bool, met: bool, score: int) -> dict[int, str]:
    out = {0: "sent", 1: "task", 2: "sent" if opens else "skipped"}
    if replies:
        return out
    out[3] = "skipped" if met else "sent_or_unavailable"
    out[4] = "task" if score > 60 else "skipped"
    return out


def test_each_member_gets_the_steps_its_behaviour_implies(
    db: Any, smtp_server: SmtpServer, sessions: Any, marketer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("nexa.core.clock.now", lambda: T0)
    configure(db, smtp_server)
    leads = {
        name: make_lead(
            db, marketer.actor, first_name=name, email=f"{name}@example.org", phone="+14155550100"
        )
        for name in BEHAVIOURS
    }
    campaign = make_campaign(db, marketer.actor, steps=NURTURE, goal="deal_created")
    service.move(db, marketer.actor, campaign.id, "start")
    result = service.enrol(
        db,
        marketer.actor,
        campaign.id,
        Enrol(record_type="lead", record_ids=[lead.id for lead in leads.values()]),
    )
    assert result.enrolled == len(BEHAVIOURS)
    db.commit()

    day(sessions, 0)
    day(sessions, 0)  # run again the same minute: nothing twice
    welcome = {
        m.related_id: m
        for m in db.scalars(
            unscoped(select(EmailMessage).where(EmailMessage.subject.like("Welcome%")))
        )
    }
    assert len(welcome) == len(BEHAVIOURS)
    for name, (opens, _r, _m, _s) in BEHAVIOURS.items():
        if opens:
            welcome[leads[name].id].opens = 1
    db.commit()
    day(sessions, 2)
    day(sessions, 4)
    # day 5: a reply, a meeting
    for name, (_o, replies, met, _s) in BEHAVIOURS.items():
        lead = leads[name]
        if replies:
            publish(
                db,
                SYSTEM,
                REPLIED.name,
                record_type="email",
                record_id=None,
                payload=ReceivedPayload(
                    name="Re: Welcome",
                    message_id="<x@y>",
                    kind="transactional",
                    state="received",
                    to=[],
                    from_address=f"{name}@example.org",
                    related_type="lead",
                    related_id=str(lead.id),
                ),
            )
        if met:
            MeetingService(db, marketer.actor).create(
                MeetingCreate(
                    title="Intro",
                    starts_at=T0 + timedelta(days=6),
                    ends_at=T0 + timedelta(days=6, hours=1),
                    related_type="lead",
                    related_id=lead.id,
                )
            )
    db.commit()
    for name, (_o, _r, _m, score) in BEHAVIOURS.items():
        leads[name].score = score
    db.commit()
    day(sessions, 7)
    for name, (_o, _r, _m, score) in BEHAVIOURS.items():
        leads[name].score = score  # email events rescore leads; the test's scores hold
    db.commit()
    day(sessions, 10)
    day(sessions, 11)

    for name, behaviour in BEHAVIOURS.items():
        m = member(db, campaign, leads[name])
        got = runs_of(db, m.id)
        want = expected(*behaviour)
        assert set(got) == set(want), (name, got)
        for position, outcome in want.items():
            o, reason = got[position]
            if outcome == "sent_or_unavailable":
                assert reason != "condition not met", (name, position, got)
            else:
                assert o == outcome, (name, position, got)
        if behaviour[1]:
            assert (m.state, m.exit_reason) == ("exited", "replied"), name
        else:
            assert m.state == "completed", (name, m.state)
    # the voice steps became tasks for the owner, with the script
    calls = db.scalars(unscoped(select(Task).where(Task.title.like("Call:%")))).all()
    assert {t.related_id for t in calls} == {
        leads[n].id for n, b in BEHAVIOURS.items() if b[3] > 60 and not b[1]
    }
    assert all(t.description == "Discovery intro" for t in calls)


def test_a_paused_campaign_sends_nothing_until_resumed(
    db: Any, smtp_server: SmtpServer, sessions: Any, marketer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("nexa.core.clock.now", lambda: T0)
    configure(db, smtp_server)
    lead = make_lead(db, marketer.actor, email="p@example.org")
    campaign = make_campaign(db, marketer.actor, steps=NURTURE[:1])
    service.move(db, marketer.actor, campaign.id, "start")
    service.enrol(db, marketer.actor, campaign.id, Enrol(record_type="lead", record_ids=[lead.id]))
    service.move(db, marketer.actor, campaign.id, "pause")
    db.commit()
    day(sessions, 1)
    assert runs_of(db, member(db, campaign, lead).id) == {}
    service.move(db, marketer.actor, campaign.id, "resume")
    db.commit()
    day(sessions, 1)
    assert runs_of(db, member(db, campaign, lead).id)[0][0] == "sent"


def test_quiet_hours_hold_a_step_until_morning_in_the_members_zone(
    db: Any, smtp_server: SmtpServer, sessions: Any, marketer: Any, monkeypatch: Any
) -> None:
    # 10:00 UTC is 02:00 in Los Angeles (quiet from 21:00 to 08:00 there), 11:00 in Paris
    monkeypatch.setattr("nexa.core.clock.now", lambda: T0)
    configure(db, smtp_server)
    west = make_lead(db, marketer.actor, email="w@example.org", time_zone="America/Los_Angeles")
    east = make_lead(db, marketer.actor, email="e@example.org", time_zone="Europe/Paris")
    campaign = make_campaign(
        db, marketer.actor, steps=NURTURE[:1], quiet_start="21:00", quiet_end="08:00"
    )
    service.move(db, marketer.actor, campaign.id, "start")
    service.enrol(
        db, marketer.actor, campaign.id, Enrol(record_type="lead", record_ids=[west.id, east.id])
    )
    db.commit()
    advance(sessions, now=T0)
    assert runs_of(db, member(db, campaign, east).id)[0][0] == "sent"
    held = member(db, campaign, west)
    assert runs_of(db, held.id) == {} and held.state == "waiting"
    assert held.next_at == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # 08:00 in Los Angeles
    advance(sessions, now=datetime(2026, 12, 7, 16, 1, tzinfo=UTC))
    assert runs_of(db, member(db, campaign, west).id)[0][0] == "sent"


def test_a_mailbox_daily_limit_defers_the_rest_to_tomorrow(
    db: Any, smtp_server: SmtpServer, sessions: Any, marketer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("nexa.core.clock.now", lambda: T0)
    configure(db, smtp_server)
    leads = [make_lead(db, marketer.actor, email=f"d{i}@example.org") for i in range(5)]
    campaign = make_campaign(db, marketer.actor, steps=NURTURE[:1], daily_limit=3)
    service.move(db, marketer.actor, campaign.id, "start")
    service.enrol(
        db, marketer.actor, campaign.id,
        Enrol(record_type="lead", record_ids=[lead.id for lead in leads]),
    )  # fmt: skip
    db.commit()
    advance(sessions, now=T0)
    advance(sessions, now=T0 + timedelta(hours=2))  # the same day: still nothing more
    sent = [lead for lead in leads if runs_of(db, member(db, campaign, lead).id)]
    assert len(sent) == 3
    advance(sessions, now=T0 + timedelta(days=1))
    assert all(runs_of(db, member(db, campaign, lead).id) for lead in leads)


def test_content_variants_by_thompson_sampling_favour_the_one_that_gets_clicks(
    db: Any, smtp_server: SmtpServer, sessions: Any, marketer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("nexa.core.clock.now", lambda: T0)
    configure(db, smtp_server)
    step = {
        "day": 0, "channel": "email", "subject": "A", "body": "A body",
        "variants": [{"subject": "A", "body": "A"}, {"subject": "B", "body": "B"}],
    }  # fmt: skip
    campaign = make_campaign(db, marketer.actor, steps=[step], optimize=["message_content"])
    service.move(db, marketer.actor, campaign.id, "start")
    first = [make_lead(db, marketer.actor, email=f"t{i}@example.org") for i in range(40)]
    service.enrol(
        db, marketer.actor, campaign.id,
        Enrol(record_type="lead", record_ids=[lead.id for lead in first]),
    )  # fmt: skip
    db.commit()
    advance(sessions, now=T0)
    # variant B's readers click, A's do not
    for message in db.scalars(unscoped(select(EmailMessage))):
        if message.subject == "B":
            message.clicks = 1
    db.commit()
    later = [make_lead(db, marketer.actor, email=f"u{i}@example.org") for i in range(60)]
    service.enrol(
        db, marketer.actor, campaign.id,
        Enrol(record_type="lead", record_ids=[lead.id for lead in later]),
    )  # fmt: skip
    db.commit()
    advance(sessions, now=T0 + timedelta(minutes=5))
    subjects = [
        m.subject
        for m in db.scalars(unscoped(select(EmailMessage)))
        if m.related_id in {lead.id for lead in later}
    ]
    assert len(subjects) == 60
    assert subjects.count("B") >= 50, subjects.count("B")
