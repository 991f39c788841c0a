"""What other domains' events mean for campaigns, in the same transaction:

- touches and counters: a campaign message opened (by a person), clicked, replied to,
  bounced, unsubscribed from;
- exits: a reply (email or SMS), an unsubscribe or SMS STOP, a hard bounce, a deal created
  for the person end their live sequences (each rule can be turned off per campaign);
- goals: a meeting booked or created with the person, a deal created, a web form
  submitted, or the campaign's custom event;
- a lead converted mid-sequence continues as its contact.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.campaign import service
from nexa.campaign.repository import CampaignRepository, Touch, record_touches
from nexa.core import clock
from nexa.core.actor import Actor
from nexa.core.events import Event, batch_form, subscribe

GOAL_ONLY = "goal_only"  # an event that ends only the sequences whose goal it is


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _person(event: Event) -> tuple[str, uuid.UUID] | None:
    related_type = getattr(event.payload, "related_type", None)
    related_id = _uuid(getattr(event.payload, "related_id", None))
    if related_type in ("lead", "contact") and related_id is not None:
        return related_type, related_id
    return None


def _touch_message(
    session: Session, event: Event, kind: str, message_id: uuid.UUID | None = None
) -> None:
    """A campaign message's open, click, bounce, unsubscribe: a touch on its campaign and
    step (the message is the event's record unless given)."""
    message_id = message_id or event.record_id
    if message_id is None:
        return
    now = clock.now()
    runs = CampaignRepository(session).runs_of_messages([message_id])
    record_touches(
        session,
        [
            Touch(
                run.campaign_id,
                run.step_id,
                m.record_type,
                m.record_id,
                run.channel,
                kind,
                now,
                message_id,
            )
            for run, m in runs
        ],
    )


def _answered(session: Session, event: Event, channel: str, reason: str) -> None:
    """A reply: a touch on each live sequence of the person, then the replied exit."""
    person = _person(event)
    if person is None:
        return
    now = clock.now()
    record_touches(
        session,
        [
            Touch(c.id, None, m.record_type, m.record_id, channel, "replied", now, event.record_id)
            for m, c in CampaignRepository(session).memberships_of(*person, live_only=True)
        ],
    )
    _end(event, session, person, "replied", "exited", reason)


def _end(
    event: Event, session: Session, person: tuple[str, uuid.UUID] | None, rule: str,
    state: str, reason: str,
) -> None:  # fmt: skip
    if person is not None:
        service.end_for(session, event_actor(event), *person, rule=rule, state=state,
                        reason=reason)  # fmt: skip


@subscribe("email.opened")
def on_opened(session: Session, event: Event) -> None:
    _touch_message(session, event, "opened")


@subscribe("email.clicked")
def on_clicked(session: Session, event: Event) -> None:
    _touch_message(session, event, "clicked")


@subscribe("email.bounced")
def on_bounced(session: Session, event: Event) -> None:
    _touch_message(session, event, "bounced")
    _end(event, session, _person(event), "bounced", "bounced", "the address bounced")


@subscribe("email.failed")
def on_refused(session: Session, event: Event) -> None:
    """A permanent SMTP refusal at delivery (a 5xx: "no such user") is a hard bounce too."""
    if str(getattr(event.payload, "reply", None) or "").startswith("5"):
        _touch_message(session, event, "bounced")
        _end(event, session, _person(event), "bounced", "bounced", "the address was refused")


@subscribe("email.unsubscribed")
def on_unsubscribed(session: Session, event: Event) -> None:
    message_id = _uuid(getattr(event.payload, "message_id", None))
    if message_id is not None:
        _touch_message(session, event, "unsubscribed", message_id)
    _end(event, session, _person(event), "unsubscribed", "unsubscribed", "unsubscribed")


@subscribe("email.replied")
def on_replied(session: Session, event: Event) -> None:
    _answered(session, event, "email", "replied")


@subscribe("sms.received")
def on_sms_received(session: Session, event: Event) -> None:
    if getattr(event.payload, "keyword", None):
        return  # STOP / START / HELP are not answers
    _answered(session, event, "sms", "replied by SMS")


@subscribe("sms.opted_out")
def on_sms_stop(session: Session, event: Event) -> None:
    person = _person(event) or _record(event)
    if person is not None:
        service.end_for(
            session,
            event_actor(event),
            *person,
            rule="unsubscribed",
            state="unsubscribed",
            reason="sent STOP by SMS",
        )


def _record(event: Event) -> tuple[str, uuid.UUID] | None:
    if event.record_type in ("lead", "contact") and event.record_id is not None:
        return event.record_type, event.record_id
    return None


@subscribe("deal.created")
def on_deal_created(session: Session, event: Event) -> None:
    if event.record_id is None:
        return
    for person in CampaignRepository(session).deal_people(event.record_id):
        service.end_for(
            session,
            event_actor(event),
            *person,
            rule="deal_created",
            state="exited",
            reason="a deal was created",
            goal="deal_created",
        )


@batch_form(on_deal_created)
def on_deals_created(session: Session, events: list[Event]) -> None:
    """A group of deals (an import): the people of all of them in one query, and only those
    in a live sequence go through ``end_for``."""
    ids = [e.record_id for e in events if e.record_id is not None]
    if not ids:
        return
    repo = CampaignRepository(session)
    people = repo.deals_people(ids)
    if not people:
        return
    actor = event_actor(events[0])
    for person in sorted(repo.live_people(people)):
        service.end_for(session, actor, *person, rule="deal_created", state="exited",
                        reason="a deal was created", goal="deal_created")  # fmt: skip


@subscribe("meeting.created")
def on_meeting(session: Session, event: Event) -> None:
    if event.record_id is None:
        return
    for person in CampaignRepository(session).meeting_people(event.record_id):
        service.end_for(
            session,
            event_actor(event),
            *person,
            rule=GOAL_ONLY,
            state="exited",
            reason="a meeting was booked",
            goal="meeting_booked",
        )


@subscribe("meeting.booked")
def on_meeting_booked(session: Session, event: Event) -> None:
    person = _person(event)
    if person is not None:
        service.end_for(
            session,
            event_actor(event),
            *person,
            rule=GOAL_ONLY,
            state="exited",
            reason="booked a meeting",
            goal="meeting_booked",
        )


@subscribe("lead.form_submitted")
def on_form(session: Session, event: Event) -> None:
    """A form reaches the goal of the sequences the lead is in (goal: a form submitted),
    then enrols the lead in the running campaigns that enrol from this form."""
    if event.record_id is None:
        return
    service.end_for(
        session,
        event_actor(event),
        "lead",
        event.record_id,
        rule=GOAL_ONLY,
        state="exited",
        reason="submitted a form",
        goal="form_submission",
    )
    form_id = getattr(event.payload, "form_id", None)
    if form_id:
        service.enrol_from_form(session, event.record_id, str(form_id))


@subscribe("lead.converted")
def on_converted(session: Session, event: Event) -> None:
    contact_id = _uuid(getattr(event.payload, "contact_id", None))
    if event.record_id is not None and contact_id is not None:
        service.converted(session, event.record_id, contact_id)


def event_actor(event: Event) -> Actor:
    """The system acting on a person's behalf (the event's own actor is whoever caused it:
    a visitor, a job or a user who may not see the campaign)."""
    from nexa.core.actor import SYSTEM

    return SYSTEM
