"""Campaign analytics (issue 19): counters per campaign and step from a campaign the engine
ran (deliveries through the outbox and SMTP server, opens and clicks through the tracking
service), the goal and the step-path report; first-touch, last-touch and linear attribution
hand-computed over two campaigns; touch history readable only with the record; the stats
endpoint's query count independent of steps and members."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from nexa.campaign import analytics, service
from nexa.campaign.engine import advance
from nexa.campaign.repository import Touch, record_touches
from nexa.campaign.schemas import Enrol
from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.events import publish
from nexa.core.repository import unscoped
from nexa.email import engagement, tracking
from nexa.email.events import CLICKED, EmailEngagementPayload
from nexa.meeting.schemas import MeetingCreate
from nexa.meeting.service import MeetingService
from nexa.models import Campaign, CampaignMember, EmailMessage, Lead
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.campaign import make_campaign
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.factories.user import make_user
from tests.query_counts import count_queries

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
STEPS = [
    {
        "day": 0,
        "channel": "email",
        "subject": "Welcome",
        "body": "Hi, read https://example.org/guide",
    },
    {
        "day": 2,
        "channel": "email",
        "subject": "Case study",
        "body": "Read this",
        "condition": "opened_previous",
    },
]


@pytest.fixture
def marketer(db: Any) -> Any:
    return make_user(db, "marketer")


def test_stats_of_a_campaign_the_engine_ran(
    db: Any, smtp_server: SmtpServer, sessions: Any, pump: Pump, marketer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("nexa.core.clock.now", lambda: T0)
    configure(db, smtp_server)
    leads = {
        n: make_lead(db, marketer.actor, first_name=n, email=f"{n}@example.org")
        for n in ("ann", "bob", "cy")
    }
    campaign = make_campaign(db, marketer.actor, steps=STEPS, goal="meeting_booked")
    campaign.actual_cost = Decimal("30")
    service.move(db, marketer.actor, campaign.id, "start")
    service.enrol(
        db,
        marketer.actor,
        campaign.id,
        Enrol(record_type="lead", record_ids=[lead.id for lead in leads.values()]),
    )
    db.commit()
    advance(sessions, now=T0 + timedelta(hours=1))
    pump()
    sent_at = utcnow() + timedelta(minutes=1)
    pump.sweep(sent_at)  # the SMTP server takes them: email.sent → delivered
    assert len(smtp_server.received) == 3
    welcome = {
        m.related_id: m
        for m in db.scalars(unscoped(select(EmailMessage).where(EmailMessage.subject == "Welcome")))
    }
    key = get_settings().effective_secret_key
    later = sent_at + timedelta(hours=3)
    for name in ("ann", "bob"):  # a person opens (twice: one open counted), a scanner too
        token = tracking.open_token(welcome[leads[name].id].id, key)
        engagement.record_open(db, token, user_agent=BROWSER, now=later)
        engagement.record_open(db, token, user_agent=BROWSER, now=later + timedelta(minutes=5))
    engagement.record_open(
        db, tracking.open_token(welcome[leads["cy"].id].id, key), user_agent="Mimecast scanner"
    )
    clicked = welcome[leads["ann"].id]  # a text body has no tracked links: the event itself
    publish(
        db,
        engagement.RECIPIENT,
        CLICKED.name,
        record_type="email",
        record_id=clicked.id,
        payload=EmailEngagementPayload(
            name=clicked.subject,
            message_id=clicked.message_id,
            subscription=clicked.subscription,
            related_type="lead",
            related_id=str(leads["ann"].id),
            url="https://example.org/guide",
            machine=False,
        ),
    )
    MeetingService(db, marketer.actor).create(  # ann books a meeting: the goal
        MeetingCreate(
            title="Demo",
            starts_at=T0 + timedelta(days=1),
            ends_at=T0 + timedelta(days=1, hours=1),
            related_type="lead",
            related_id=leads["ann"].id,
        )
    )
    db.commit()
    advance(sessions, now=T0 + timedelta(days=2, hours=1))

    stats = analytics.campaign_stats(db, marketer.actor, campaign.id)
    t = stats.totals
    assert (t.enrolled, t.sent, t.delivered, t.opened, t.clicked, t.goal) == (3, 4, 3, 2, 1, 1)
    first, second = stats.steps
    c = first.counters
    assert (c.sent, c.delivered, c.opened, c.clicked) == (3, 3, 2, 1)
    assert first.rates.opened == round(2 / 3, 4) and first.rates.clicked == round(1 / 3, 4)
    assert (second.counters.sent, second.counters.delivered) == (1, 0)  # only bob opened
    assert stats.members.get("goal_reached") == 1
    assert stats.cost_per_lead == Decimal("10.00")
    assert sum(p.counters.sent for p in stats.daily) == 4  # the charts' daily series
    paths = {tuple(p.steps): (p.members, p.converted) for p in stats.paths}
    assert paths == {(0,): (2, 1), (0, 1): (1, 0)}  # ann and cy got step 1 only; ann converted


def _touch(db: Any, campaign: Campaign, record: tuple[str, uuid.UUID], kind: str, at: Any) -> None:
    record_touches(db, [Touch(campaign.id, None, record[0], record[1], "email", kind, at)])


def test_first_last_and_linear_attribution_over_two_campaigns(db: Any, marketer: Any) -> None:
    actor = marketer.actor
    x = make_campaign(db, actor, steps=[{"channel": "task", "body": "x", "day": 0}])
    y = make_campaign(db, actor, steps=[{"channel": "task", "body": "y", "day": 0}])
    x.actual_cost = Decimal("200")
    for c in (x, y):
        service.move(db, actor, c.id, "start")
    lead = make_lead(db, SYSTEM, email="l1@example.org")  # in X and Y; deal won, 1000
    contact = make_contact(db, SYSTEM)  # in Y; deal open, 500
    converted = make_lead(db, SYSTEM, email="l2@example.org")  # in X, then its contact: 300
    contact2 = make_contact(db, SYSTEM)
    for c in (x, y):
        service.enrol(db, actor, c.id, Enrol(record_type="lead", record_ids=[lead.id]))
    service.enrol(db, actor, y.id, Enrol(record_type="contact", record_ids=[contact.id]))
    service.enrol(db, actor, x.id, Enrol(record_type="lead", record_ids=[converted.id]))
    d1 = make_deal(db, SYSTEM, amount=Decimal("1000"), lead_id=lead.id)
    d2 = make_deal(db, SYSTEM, amount=Decimal("500"), primary_contact_id=contact.id)
    d3 = make_deal(db, SYSTEM, amount=Decimal("300"), primary_contact_id=contact2.id)
    db.flush()
    d1.stage_kind = "won"
    row = db.scalars(unscoped(select(Lead).where(Lead.id == converted.id))).one()
    row.converted_contact_id = contact2.id  # converted mid-sequence: continues as the contact
    member = db.scalars(
        select(CampaignMember).where(
            CampaignMember.campaign_id == x.id, CampaignMember.record_id == converted.id
        )
    ).one()
    member.record_type, member.record_id = "contact", contact2.id
    h = timedelta(hours=1)
    # lead: X sent, Y sent, X opened before its deal; Y clicked after (does not count)
    _touch(db, x, ("lead", lead.id), "sent", d1.created_at - 3 * h)
    _touch(db, y, ("lead", lead.id), "sent", d1.created_at - 2 * h)
    _touch(db, x, ("lead", lead.id), "opened", d1.created_at - h)
    _touch(db, y, ("lead", lead.id), "clicked", d1.created_at + h)
    _touch(db, x, ("lead", lead.id), "bounced", d1.created_at - h / 2)  # not an interaction
    _touch(db, y, ("contact", contact.id), "sent", d2.created_at - h)
    _touch(db, x, ("lead", converted.id), "sent", d3.created_at - h)  # as a lead, before
    db.commit()

    sx = analytics.campaign_stats(db, actor, x.id)
    got = {a.model: (a.deals, a.pipeline, a.revenue, a.roi) for a in sx.attribution}
    assert got == {
        "first_touch": (2.0, Decimal("1300.00"), Decimal("1000.00"), 4.0),
        "last_touch": (2.0, Decimal("1300.00"), Decimal("1000.00"), 4.0),
        "linear": (
            round(2 / 3 + 1, 4),
            Decimal("966.67"),
            Decimal("666.67"),
            round((2000 / 3 - 200) / 200, 4),
        ),
    }
    assert {d.deal_id: (d.touches, d.linear) for d in sx.deals} == {
        d1.id: (3, round(2 / 3, 4)),
        d3.id: (1, 1.0),
    }
    sy = analytics.campaign_stats(db, actor, y.id)
    got = {a.model: (a.deals, a.pipeline, a.revenue, a.roi) for a in sy.attribution}
    assert got == {
        "first_touch": (1.0, Decimal("500.00"), Decimal("0.00"), None),
        "last_touch": (1.0, Decimal("500.00"), Decimal("0.00"), None),
        "linear": (round(1 / 3 + 1, 4), Decimal("833.33"), Decimal("333.33"), None),
    }
    assert {d.deal_id for d in sy.deals} == {d1.id, d2.id}


def test_touch_history_is_readable_only_with_the_record(client: Any, db: Any, users: Any) -> None:
    rep, other = users.rep, users.other_rep
    lead = make_lead(db, SYSTEM, owner_id=rep.id, email="h@example.org")
    contact = make_contact(db, SYSTEM, owner_id=rep.id)
    campaign = make_campaign(db, SYSTEM, steps=[{"channel": "task", "body": "x", "day": 0}])
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    _touch(db, campaign, ("lead", lead.id), "sent", at)
    _touch(db, campaign, ("lead", lead.id), "opened", at + timedelta(hours=2))
    _touch(db, campaign, ("contact", contact.id), "replied", at)
    db.commit()
    mine = client.get(f"/api/v1/leads/{lead.id}/touch-history", headers=rep.headers)
    assert mine.status_code == 200, mine.text
    items = mine.json()["items"]
    assert [(i["kind"], i["campaign"]) for i in items] == [
        ("opened", campaign.name),
        ("sent", campaign.name),
    ]
    assert client.get(f"/api/v1/contacts/{contact.id}/touch-history", headers=rep.headers).json()[
        "items"
    ][0]["kind"] == ("replied")
    for path in (f"/api/v1/leads/{lead.id}", f"/api/v1/contacts/{contact.id}"):
        theirs = client.get(f"{path}/touch-history", headers=other.headers)
        assert theirs.status_code == 404, theirs.text
    page = client.get(f"/api/v1/leads/{uuid.uuid4()}/touch-history", headers=rep.headers)
    assert page.status_code == 404


def _campaign_with(db: Any, actor: Any, steps: int, members: int) -> Campaign:
    campaign = make_campaign(
        db,
        actor,
        steps=[{"channel": "task", "body": f"s{i}", "day": i} for i in range(steps)],
        goal="deal_created",
    )
    service.move(db, actor, campaign.id, "start")
    leads = [
        make_lead(db, SYSTEM, email=f"m{i}-{uuid.uuid4().hex[:6]}@example.org")
        for i in range(members)
    ]
    service.enrol(
        db, actor, campaign.id, Enrol(record_type="lead", record_ids=[x.id for x in leads])
    )
    db.flush()
    step_ids = [s.id for s in service.CampaignRepository(db).steps(campaign.id)]
    for lead in leads:
        for step_id in step_ids:
            record_touches(
                db,
                [Touch(campaign.id, step_id, "lead", lead.id, "task", "task", T0)],
            )
        make_deal(db, SYSTEM, amount=Decimal("100"), lead_id=lead.id)
    return campaign


def test_the_stats_endpoint_reads_the_same_number_of_times_whatever_the_size(
    client: Any, db: Any, users: Any
) -> None:
    small = _campaign_with(db, users.marketer.actor, steps=1, members=1)
    large = _campaign_with(db, users.marketer.actor, steps=10, members=50)
    db.commit()
    counts = []
    for campaign in (small, large):
        url = f"/api/v1/campaigns/{campaign.id}/stats"
        client.get(url, headers=users.marketer.headers)
        db.expunge_all()
        with count_queries() as statements:
            r = client.get(url, headers=users.marketer.headers)
        assert r.status_code == 200, r.text
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert r.json()["totals"]["task"] == 500
    assert len(r.json()["deals"]) == 50
