"""What ends a sequence, through the real services that publish the events: a meeting booked
on a booking page reaches a meeting goal; a deal reaches a deal goal (or is an exit when the
goal is another); an unsubscribe and a hard bounce stop it; a custom goal event through the
API; a lead converted mid-sequence continues as its contact; an exit rule turned off keeps
the person in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from nexa.booking import service as booking
from nexa.booking.schemas import BookingPageIn
from nexa.campaign import service
from nexa.campaign.schemas import Enrol, GoalEvent
from nexa.core.actor import SYSTEM
from nexa.core.events import publish
from nexa.deal.schemas import DealCreate
from nexa.deal.service import DealService
from nexa.email.events import UNSUBSCRIBED, EmailUnsubscribedPayload
from nexa.lead.flows import ConversionOptions, convert_lead
from nexa.models import CampaignMember
from tests.factories.campaign import make_campaign
from tests.factories.lead import make_lead
from tests.factories.user import make_user

STEPS = [{"day": 3, "channel": "task", "body": "Call them"}]
EVERY_DAY = {d: [["00:00", "23:30"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def enrolled(db: Any, actor: Any, lead: Any, **fields: Any) -> Any:
    campaign = make_campaign(db, actor, steps=STEPS, **fields)
    service.move(db, actor, campaign.id, "start")
    service.enrol(db, actor, campaign.id, Enrol(record_type="lead", record_ids=[lead.id]))
    return campaign


def member_of(db: Any, campaign: Any) -> CampaignMember:
    return db.scalars(select(CampaignMember).where(CampaignMember.campaign_id == campaign.id)).one()


def test_a_booked_meeting_reaches_a_meeting_goal(db: Any) -> None:
    rep = make_user(db, "sales_rep")
    marketer = make_user(db, "marketer")
    lead = make_lead(db, rep.actor, email="ada@visitor.example", first_name="Ada")
    demo = enrolled(db, marketer.actor, lead, goal="demo_booking")
    other = enrolled(db, marketer.actor, lead, goal="deal_created")
    page = booking.put_own_page(
        db,
        rep.actor,
        BookingPageIn(
            slug="ada-meets",
            title="Intro",
            duration_minutes=30,
            notice_hours=1,
            days_ahead=7,
            working_hours=EVERY_DAY,
        ),
    )
    now = datetime.now(UTC)
    start = (now + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    booking.book(
        db,
        page.slug,
        starts_at=start.isoformat(),
        name="Ada L",
        email="ada@visitor.example",
        client_ip="127.0.0.1",
        now=now,
    )
    reached = member_of(db, demo)
    assert reached.state == "goal_reached" and "meeting" in (reached.exit_reason or "")
    assert member_of(db, other).state == "active" or member_of(db, other).state == "enrolled"


def test_a_deal_reaches_a_deal_goal_and_is_an_exit_elsewhere(db: Any) -> None:
    marketer = make_user(db, "marketer")
    lead = make_lead(db, marketer.actor, email="d@example.org")
    goal = enrolled(db, marketer.actor, lead, goal="deal_created")
    nurture = enrolled(db, marketer.actor, lead)
    DealService(db, SYSTEM).create(DealCreate(name="Big one", lead_id=lead.id))
    assert member_of(db, goal).state == "goal_reached"
    assert (member_of(db, nurture).state, member_of(db, nurture).exit_reason) == (
        "exited",
        "a deal was created",
    )


def test_unsubscribe_stops_it_unless_that_exit_is_off(db: Any) -> None:
    marketer = make_user(db, "marketer")
    lead = make_lead(db, marketer.actor, email="u@example.org")
    stops = enrolled(db, marketer.actor, lead)
    keeps = enrolled(db, marketer.actor, lead, exit_on=["replied"])
    publish(
        db,
        SYSTEM,
        UNSUBSCRIBED.name,
        record_type="email",
        record_id=None,
        payload=EmailUnsubscribedPayload(
            name="Unsubscribed",
            message_id="<m@x>",
            address="u@example.org",
            types=["marketing"],
            source="link",
            related_type="lead",
            related_id=str(lead.id),
        ),
    )
    assert member_of(db, stops).state == "unsubscribed"
    assert member_of(db, keeps).state in ("enrolled", "active")


def test_a_custom_goal_event_and_a_converted_lead(db: Any) -> None:
    marketer = make_user(db, "marketer")
    lead = make_lead(db, marketer.actor, email="c@example.org", company="Conv Ltd")
    trial = enrolled(db, marketer.actor, lead, goal="custom_event", goal_event="trial_started")
    nurture = enrolled(db, marketer.actor, lead)
    # converted: the membership follows the lead to its contact, still live
    result = convert_lead(db, SYSTEM, lead.id, ConversionOptions(create_deal=False))
    contact_id = result.contact.id
    moved = member_of(db, nurture)
    assert (moved.record_type, moved.record_id, moved.state) == ("contact", contact_id, "enrolled")
    reached = service.goal_event(
        db,
        SYSTEM,
        GoalEvent(name="trial_started", record_type="contact", record_id=contact_id),
    )
    assert reached == 1
    assert member_of(db, trial).state == "goal_reached"
    assert member_of(db, nurture).state == "enrolled"  # another goal: not reached, still in


def test_a_web_form_submission_enrols_the_lead_in_a_running_campaign(db: Any) -> None:
    from nexa.lead.webform import submit
    from tests.factories.lead import make_web_form

    marketer = make_user(db, "marketer")
    form = make_web_form(db)
    campaign = make_campaign(db, marketer.actor, steps=STEPS, web_form_ids=[form.id])
    service.move(db, marketer.actor, campaign.id, "start")
    submit(
        db, form.slug, {"last_name": "Former", "email": "former@example.org"}, client_ip="1.2.3.4"
    )
    member = member_of(db, campaign)
    assert (member.record_type, member.state, member.source) == ("lead", "enrolled", "record")


def test_records_added_to_a_running_campaigns_segment_are_enrolled_by_the_next_pass(
    db: Any, sessions: Any
) -> None:
    from nexa.campaign.engine import advance
    from nexa.segment.service import add_members
    from tests.factories.segment import make_list

    marketer = make_user(db, "marketer")
    nurture = make_list(db, marketer.actor, name="Nurture", object_type="lead")
    hot = make_list(
        db, marketer.actor, name="Hot", object_type="lead", kind="dynamic",
        filters=["company:eq:Hot Ltd"],
    )  # fmt: skip
    campaign = make_campaign(db, marketer.actor, steps=STEPS, list_ids=[nurture.id, hot.id])
    draft = make_campaign(db, marketer.actor, steps=STEPS, segment=nurture.id)
    service.move(db, marketer.actor, campaign.id, "start")
    added = make_lead(db, marketer.actor, email="n@example.org")
    matching = make_lead(db, marketer.actor, email="h@example.org", company="Hot Ltd")
    add_members(db, marketer.actor, nurture.id, [added.id])
    db.commit()
    advance(sessions)
    members = db.scalars(
        select(CampaignMember).where(CampaignMember.campaign_id == campaign.id)
    ).all()
    assert {m.record_id for m in members} == {added.id, matching.id}
    assert (
        db.scalars(select(CampaignMember).where(CampaignMember.campaign_id == draft.id)).first()
        is None
    )  # a draft enrols nobody
