"""Campaigns (issue 19): the business rules — the campaign record, its steps, its life cycle
(draft → scheduled → running ⇄ paused → completed), enrolment and removal, goals and exits.

The sequence engine (``nexa.campaign.engine``) moves members through the steps; this module
decides who may be in a campaign and when a member leaves it. Who may do what (PRODUCT.md's
role table): marketers and admins everything; managers read, pause and resume, and enrol their
team's records; sales reps enrol records they own, in running campaigns only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.campaign import conditions
from nexa.campaign.events import (
    CAMPAIGN_EVENTS,
    GOAL_REACHED,
    MEMBER_EXITED,
    STATUS_CHANGED,
    CampaignMemberPayload,
    CampaignStatusChanged,
)
from nexa.campaign.repository import CampaignRepository, Touch, record_touches
from nexa.campaign.schemas import (
    MAX_ENROL,
    CampaignMemberOut,
    Enrol,
    EnrolResult,
    EnrolSkip,
    GoalEvent,
    StepIn,
)
from nexa.core import clock
from nexa.core.actor import Actor, Scope
from nexa.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.core.filtering import apply_filters, parse_filters
from nexa.core.repository import REPOSITORIES, Repository
from nexa.models import Campaign, CampaignMember, CampaignStep
from nexa.models.campaign import LIVE_STATES, OPTIMIZATIONS
from nexa.record.service import RecordService, Unique

OBJECT = "campaign"
EXIT_RULES = ("replied", "goal", "unsubscribed", "bounced", "deal_created")
GOAL_ALIASES = {"demo_booking": "meeting_booked"}
# how a status may move, and the verb that moves it
MOVES = {
    "schedule": ({"draft"}, "scheduled"),
    "start": ({"draft", "scheduled"}, "running"),
    "pause": ({"running"}, "paused"),
    "resume": ({"paused"}, "running"),
    "complete": ({"running", "paused", "scheduled"}, "completed"),
}


def _require(actor: Actor, permission: str, doing: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"you may not {doing}")


def member_types(session: Session, campaign: Campaign) -> tuple[str, ...]:
    """The record types the campaign's lists hold (lead and contact when it has none)."""
    ids = [uuid.UUID(str(i)) for i in campaign.list_ids or []]
    lists = CampaignRepository(session).lists(ids)
    types = [lists[i].object_type for i in ids if i in lists]
    return tuple(t for t in dict.fromkeys(types) if t in ("lead", "contact")) or (
        "lead",
        "contact",
    )


def check_condition(
    session: Session, campaign: Campaign | None, text: str | None, field: str
) -> conditions.StepCondition:
    """Parse a step's condition and check filter expressions against every member type the
    campaign enrols: an unknown field or a value of the wrong type is a 422 naming ``field``."""
    cond = conditions.parse(text, field)
    listed = cond.kind in ("in_list", "not_in_list") and cond.list_id is not None
    if listed and cond.list_id not in CampaignRepository(session).lists([cond.list_id]):  # type: ignore[list-item]
        raise ValidationFailed(f"no list with id {cond.list_id}", field=field)
    if cond.kind == "filter":
        types = member_types(session, campaign) if campaign is not None else ("lead", "contact")
        from nexa.segment.service import check_expressions

        for record_type in types:
            try:
                check_expressions(session, record_type, list(cond.expressions), field)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    f"{exc.detail} (for {record_type} members)", field=field
                ) from None
    return cond


@dataclass(frozen=True)
class _Wait:
    kind: str
    amount: int
    weekday: int | None
    time: str | None


def _waits(steps: list[StepIn], previous_day: int) -> list[_Wait]:
    """Each step's wait after the previous one: ``day`` offsets (days after enrolment, Use
    Case 4) become the difference to the previous step's day."""
    out = []
    day = previous_day
    for index, step in enumerate(steps):
        if step.day is not None:
            if step.day < day:
                raise ValidationFailed(
                    f"day {step.day} comes before the previous step's day {day}",
                    field=f"steps.{index}.day",
                )
            out.append(_Wait("days", step.day - day, None, None))
            day = step.day
        else:
            kind = step.wait_kind or "days"
            if kind == "until" and step.wait_time is None:
                raise ValidationFailed(
                    "a wait until a weekday needs wait_time (09:00)",
                    field=f"steps.{index}.wait_time",
                )
            amount = step.wait_amount or 0
            out.append(_Wait(kind, amount, step.wait_weekday, step.wait_time))
            day += amount if kind == "days" else 0
    return out


class CampaignService(RecordService[Campaign]):
    events = CAMPAIGN_EVENTS
    model = Campaign
    repository = CampaignRepository
    label = "campaign"
    default_sort = "name"
    not_empty = ("name",)
    unique = (Unique("name", "uq_campaigns_name_live", "campaign"),)
    related_fields = ("steps",)
    custom_fields = False
    repo: CampaignRepository

    def payload(self, record: Campaign) -> dict[str, Any]:
        return {"name": record.name, "status": record.status, "type": record.type}

    def prepare(self, values: dict[str, Any], record: Campaign | None) -> dict[str, Any]:
        segment = values.pop("segment", None)
        if segment is not None:
            values["list_ids"] = [*(values.get("list_ids") or []), segment]
        values.pop("channels", None)
        if values.pop("ai_optimized", None):
            values["optimize"] = list(OPTIMIZATIONS)
        if values.get("goal") in GOAL_ALIASES:
            values["goal"] = GOAL_ALIASES[values["goal"]]
        if "list_ids" in values:
            ids = list(dict.fromkeys(values["list_ids"] or []))
            found = self.repo.lists(ids)
            for i, list_id in enumerate(ids):
                lst = found.get(list_id)
                if lst is None:
                    raise ValidationFailed(f"no list with id {list_id}", field=f"list_ids.{i}")
                if lst.object_type not in ("lead", "contact"):
                    raise ValidationFailed(
                        "campaigns enrol leads and contacts; this list holds accounts",
                        field=f"list_ids.{i}",
                    )
            values["list_ids"] = [str(i) for i in ids]
        if "web_form_ids" in values:
            forms = list(dict.fromkeys(values["web_form_ids"] or []))
            known = self.repo.web_forms(forms)
            for i, form_id in enumerate(forms):
                if form_id not in known:
                    raise ValidationFailed("no web form with this id", field=f"web_form_ids.{i}")
            values["web_form_ids"] = [str(f) for f in forms]
        if "optimize" in values:
            values["optimize"] = list(dict.fromkeys(values["optimize"] or []))
        if "exit_on" in values:
            values["exit_on"] = list(dict.fromkeys(values["exit_on"] or EXIT_RULES))
        elif record is None:
            values["exit_on"] = list(EXIT_RULES)
        goal = values.get("goal", record.goal if record else "none") or "none"
        values["goal"] = goal
        event = values.get("goal_event", record.goal_event if record else None)
        if goal == "custom_event" and not event:
            raise ValidationFailed("a custom-event goal needs goal_event", field="goal_event")
        starts = values.get("starts_on", record.starts_on if record else None)
        ends = values.get("ends_on", record.ends_on if record else None)
        if starts and ends and ends < starts:
            raise ValidationFailed("ends_on is before starts_on", field="ends_on")
        if (values.get("quiet_start") is None) != (values.get("quiet_end") is None) and (
            "quiet_start" in values or "quiet_end" in values
        ):
            current = (record.quiet_start, record.quiet_end) if record else (None, None)
            qs = values.get("quiet_start", current[0])
            qe = values.get("quiet_end", current[1])
            if (qs is None) != (qe is None):
                raise ValidationFailed("quiet hours need a start and an end", field="quiet_end")
        if record is not None and record.status == "completed":
            raise Conflict("a completed campaign cannot be changed", field="status")
        return values

    def write_related(
        self, record: Campaign, related: dict[str, Any], *, created: bool
    ) -> dict[str, tuple[Any, Any]]:
        steps = related.get("steps")
        if steps:
            set_steps(self.session, self.actor, record, steps, replace=True)
        return {}


def _require_writable(service: CampaignService, campaign_id: uuid.UUID) -> Campaign:
    return service.get_for(campaign_id, "write")


def set_steps(
    session: Session, actor: Actor, campaign: Campaign, steps: list[StepIn], *, replace: bool
) -> list[CampaignStep]:
    """Write the campaign's steps (all of them, or added after the last). Each step's
    condition, template and channel are checked; nothing is written when one is wrong."""
    repo = CampaignRepository(session)
    if campaign.status == "completed":
        raise Conflict("a completed campaign cannot be changed", field="status")
    existing = repo.steps(campaign.id)
    if replace and existing and repo.has_runs(campaign.id):
        raise Conflict(
            "members have already gone through steps of this campaign; add steps after "
            "the last instead of replacing them",
            field="steps",
        )
    base = [] if replace else existing
    if len(base) + len(steps) > 30:
        raise ValidationFailed("a campaign has at most 30 steps", field="steps")
    names = [n for s in steps for n in (s.template, s.message, s.script) if n]
    templates = repo.templates_named(list(dict.fromkeys(names)))
    previous_day = sum(s.wait_amount for s in base if s.wait_kind == "days")
    waits = _waits(steps, previous_day)
    rows = []
    for index, (step, wait) in enumerate(zip(steps, waits, strict=True)):
        field = f"steps.{index}"
        check_condition(session, campaign, step.condition, f"{field}.condition")
        _check_self_enrolment(campaign, step, field)
        template_id = step.template_id
        named = step.template or step.message or step.script
        if template_id is None and named:
            template_id = templates.get(named)
            if template_id is None:
                raise ValidationFailed(
                    f"no email template named {named!r}", field=f"{field}.template"
                )
        if template_id is not None and repo.template_texts(template_id) is None:
            raise ValidationFailed("no template with this id", field=f"{field}.template_id")
        variants = [v.model_dump(mode="json") for v in (step.variants or [])]
        if step.channel == "email" and template_id is None and not step.body and not variants:
            raise ValidationFailed(
                "an email step needs a template or a subject and body", field=f"{field}.body"
            )
        if step.channel == "email" and template_id is None and not step.subject and not variants:
            raise ValidationFailed("an email step needs a subject", field=f"{field}.subject")
        if step.channel == "sms" and template_id is None and not step.body:
            raise ValidationFailed("an SMS step needs a body or a template", field=f"{field}.body")
        _check_renders(step, variants, f"{field}")
        rows.append(
            CampaignStep(
                id=uuid.uuid4(),
                campaign_id=campaign.id,
                position=len(base) + index,
                name=step.name,
                channel=step.channel,
                wait_kind=wait.kind,
                wait_amount=wait.amount,
                wait_weekday=wait.weekday,
                wait_time=wait.time,
                condition=(step.condition or "").strip() or None,
                on_fail=step.on_fail,
                template_id=template_id,
                subject=step.subject,
                body=step.body,
                action=step.action,
                variants=variants,
            )
        )
    if replace:
        repo.delete_steps(campaign.id)
    for row in rows:
        session.add(row)
    session.flush()
    return repo.steps(campaign.id)


def _check_self_enrolment(campaign: Campaign, step: StepIn, field: str) -> None:
    """A step may not enrol members into the campaign they are in (a loop that never ends)."""
    action = (step.action or "").strip()
    if action.startswith("enrol") or action.startswith("enroll"):
        target = action.split(":", 1)[1].strip() if ":" in action else ""
        if not target or target in (str(campaign.id), campaign.name):
            raise ValidationFailed(
                "this step would enrol the campaign's own members again", field=f"{field}.action"
            )


def _check_renders(step: StepIn, variants: list[dict[str, Any]], field: str) -> None:
    """Render the step's texts with empty merge fields in the sandbox: a template that
    escapes the sandbox or does not parse is refused at save."""
    from nexa.email import rendering
    from nexa.email.service import merge_context

    empty = merge_context(None, None, None, None, None)
    texts = [(step.subject or "", step.body or "")]
    texts += [(v.get("subject") or "", v.get("body") or "") for v in variants]
    for i, (subject, body) in enumerate(texts):
        where = field if i == 0 else f"{field}.variants.{i - 1}"
        if not subject and not body:
            continue  # the template's own texts (checked when it was saved)
        try:
            rendering.render(empty, subject=subject or "x", text=body or "-", html=None)
        except ValidationFailed as exc:
            raise ValidationFailed(f"{exc.detail}", field=f"{where}.body") from None


# ---- the life cycle ---------------------------------------------------------------------


def move(session: Session, actor: Actor, campaign_id: uuid.UUID, verb: str, **kw: Any) -> Campaign:
    """schedule / start / pause / resume / complete."""
    service = CampaignService(session, actor)
    campaign = service.get(campaign_id)
    if verb in ("pause", "resume"):
        _require(actor, "campaign:pause", f"{verb} campaigns")
    else:
        service.repo.require(actor, campaign, "write")
    allowed, target = MOVES[verb]
    if campaign.status not in allowed:
        raise Conflict(f"a {campaign.status} campaign cannot be {target}", field="status")
    now = clock.now()
    sequence = target in ("running", "scheduled") and campaign.type == "sequence"
    if sequence and not service.repo.steps(campaign.id):
        raise Conflict("add at least one step before starting", field="steps")
    if verb == "schedule":
        start_at = kw.get("start_at")
        if start_at is None:
            raise ValidationFailed("when should it start?", field="start_at")
        if start_at.tzinfo is None:
            raise ValidationFailed("give start_at with its time zone", field="start_at")
        if start_at <= now:
            raise ValidationFailed("start_at is in the past", field="start_at")
        campaign.start_at = start_at
    before = campaign.status
    campaign.status = target
    if target == "running" and campaign.started_at is None:
        campaign.started_at = now
    if target == "completed":
        campaign.completed_at = now
        repo = service.repo
        live = [
            m.id for m in repo.members_page(campaign.id, None, 1_000_000) if m.state in LIVE_STATES
        ]
        repo.end_members(live, "completed", "the campaign was completed", now)
    campaign.version += 1
    session.flush()
    publish(
        session,
        actor,
        STATUS_CHANGED.name,
        record_type=OBJECT,
        record_id=campaign.id,
        payload=CampaignStatusChanged(name=campaign.name, from_=before, to=target),
    )
    return campaign


def start_due(session: Session, actor: Actor, now: datetime) -> int:
    """Scheduled campaigns whose time came start (the engine's periodic job)."""
    repo = CampaignRepository(session)
    started = 0
    for campaign in repo.due_campaigns(now):
        before = campaign.status
        campaign.status = "running"
        campaign.started_at = campaign.started_at or now
        publish(
            session,
            actor,
            STATUS_CHANGED.name,
            record_type=OBJECT,
            record_id=campaign.id,
            payload=CampaignStatusChanged(name=campaign.name, from_=before, to="running"),
        )
        started += 1
    session.flush()
    return started


def set_optimization(
    session: Session, actor: Actor, campaign_id: uuid.UUID, optimize: list[str]
) -> Campaign:
    service = CampaignService(session, actor)
    campaign = service.get_for(campaign_id, "write")
    campaign.optimize = list(dict.fromkeys(optimize))
    campaign.version += 1
    session.flush()
    return campaign


def add_steps(
    session: Session, actor: Actor, campaign_id: uuid.UUID, steps: list[StepIn], *, replace: bool
) -> Campaign:
    service = CampaignService(session, actor)
    campaign = service.get_for(campaign_id, "write")
    set_steps(session, actor, campaign, steps, replace=replace)
    campaign.version += 1
    session.flush()
    return campaign


# ---- enrolment ------------------------------------------------------------------------------


def first_due(step: CampaignStep | None, at: datetime) -> datetime | None:
    """When a newly enrolled member's first step is due (the engine refines the local
    time: weekdays, quiet hours, send time)."""
    if step is None:
        return None
    if step.wait_kind == "hours":
        return at + timedelta(hours=step.wait_amount)
    if step.wait_kind == "days":
        return at + timedelta(days=step.wait_amount)
    return at  # "until": the engine computes the member's local weekday and time


def _candidates(
    session: Session, actor: Actor, campaign: Campaign, data: Enrol
) -> tuple[str, list[uuid.UUID]]:
    from nexa.segment import service as lists

    if data.list_id is not None:
        from nexa.core.filtering import ListQuery

        lst, rows, cursor = lists.list_members(session, actor, data.list_id, ListQuery(limit=500))
        if lst.object_type not in ("lead", "contact"):
            raise ValidationFailed("campaigns enrol leads and contacts", field="list_id")
        ids = [r.id for r in rows]
        while cursor:
            _, rows, cursor = lists.list_members(
                session, actor, data.list_id, ListQuery(limit=500, cursor=cursor)
            )
            ids += [r.id for r in rows]
        return lst.object_type, ids
    record_type = data.record_type or "lead"
    repo: Repository[Any] = REPOSITORIES[record_type](session)
    if data.filters:
        try:
            conds = parse_filters(list(data.filters), repo.fields())  # type: ignore[attr-defined]
        except ValidationFailed as exc:
            raise ValidationFailed(f"filters: {exc.detail}", field="filters") from None
        stmt = apply_filters(repo.readable(actor), conds, repo.fields())  # type: ignore[attr-defined]
        return record_type, CampaignRepository(session).ids_of(stmt, repo.model.id)
    return record_type, list(dict.fromkeys(data.record_ids or []))


def enrol(session: Session, actor: Actor, campaign_id: uuid.UUID, data: Enrol) -> EnrolResult:
    """Put people in a campaign. A person already in it (live) is skipped; one whose earlier
    run ended starts again from the first step. Reps enrol records they own, in running
    campaigns; managers their team's."""
    scope = actor.scope_for("campaign:enroll")
    if scope is None:
        raise PermissionDenied("you may not enrol people in campaigns")
    repo = CampaignRepository(session)
    campaign = repo.get(actor, campaign_id)
    if campaign.status == "completed":
        raise Conflict("the campaign is completed", field="status")
    if scope is not Scope.ALL and campaign.status != "running":
        raise Conflict("you may enrol people in running campaigns only", field="status")
    record_type, ids = _candidates(session, actor, campaign, data)
    record_repo: Repository[Any] = REPOSITORIES[record_type](session)
    action = "read" if scope is Scope.ALL else "write"
    allowed = _ids_for(record_repo, actor, ids, action)
    if data.record_ids and action == "write":
        bad = next((i for i in ids if i not in allowed), None)
        if bad is not None:
            raise PermissionDenied(
                f"you may enrol only records you can edit; {bad} is not one",
                field="record_ids",
            )
    skipped = [
        EnrolSkip(
            record_id=i,
            reason="not found" if action == "read" else "you may enrol only records you own",
        )
        for i in ids
        if i not in allowed
    ]
    ids = [i for i in ids if i in allowed]
    existing = repo.members_by_record(campaign.id, record_type, ids)
    steps = repo.steps(campaign.id)
    now = clock.now()
    due = first_due(steps[0] if steps else None, now) or now
    new_rows: list[dict[str, Any]] = []
    again: list[dict[str, Any]] = []
    for record_id in ids:
        member = existing.get(record_id)
        if member is not None and member.state in LIVE_STATES:
            skipped.append(EnrolSkip(record_id=record_id, reason="already in this campaign"))
            continue
        if member is not None:
            again.append(
                {
                    "b_id": member.id,
                    "b_next_at": due,
                    "b_at": now,
                    "b_by": actor.user_id,
                    "b_source": _source(data),
                }
            )
            continue
        new_rows.append(
            {
                "id": uuid.uuid4(),
                "campaign_id": campaign.id,
                "record_type": record_type,
                "record_id": record_id,
                "state": "enrolled",
                "exit_reason": None,
                "step_position": 0,
                "next_at": due,
                "enrolled_at": now,
                "enrolled_by_id": actor.user_id,
                "source": _source(data),
                "last_step_at": None,
                "ended_at": None,
                "updated_at": now,
            }
        )
    repo.insert_members(new_rows)
    repo.restart_members(again)
    enrolled: list[uuid.UUID] = [r["record_id"] for r in new_rows] + [
        m.record_id for m in existing.values() if m.id in {a["b_id"] for a in again}
    ]
    record_touches(
        session,
        [
            Touch(campaign.id, None, record_type, rid, "campaign", "enrolled", now)
            for rid in enrolled
        ],
    )
    return EnrolResult(campaign_id=campaign.id, enrolled=len(enrolled), skipped=skipped)


def _source(data: Enrol) -> str:
    if data.list_id is not None:
        return "list"
    if data.filters:
        return "filter"
    return "record"


def _ids_for(
    repo: Repository[Any], actor: Actor, ids: list[uuid.UUID], action: str
) -> set[uuid.UUID]:
    from nexa.segment.repository import ListRepository

    out: set[uuid.UUID] = set()
    for start in range(0, len(ids), 500):
        out |= ListRepository(repo.session).ids_for(
            repo, actor, ids[start : start + 500], action=action
        )
    return out


def remove(
    session: Session,
    actor: Actor,
    campaign_id: uuid.UUID,
    record_type: str,
    record_ids: list[uuid.UUID],
) -> int:
    """Take people out (the owner stops it): they get nothing more from this campaign."""
    scope = actor.scope_for("campaign:enroll")
    if scope is None:
        raise PermissionDenied("you may not remove people from campaigns")
    repo = CampaignRepository(session)
    campaign = repo.get(actor, campaign_id)
    ids = list(dict.fromkeys(record_ids))
    if scope is not Scope.ALL:
        allowed = _ids_for(REPOSITORIES[record_type](session), actor, ids, "write")
        bad = next((i for i in ids if i not in allowed), None)
        if bad is not None:
            raise PermissionDenied(
                f"you may remove only records you can edit; {bad} is not one",
                field="record_ids",
            )
    members = repo.members_by_record(campaign.id, record_type, ids)
    live = [m for m in members.values() if m.state in LIVE_STATES]
    now = clock.now()
    repo.end_members([m.id for m in live], "exited", "removed", now)
    for member in live:
        _announce(session, actor, MEMBER_EXITED.name, campaign, member, "exited", "removed")
    return len(live)


def members(
    session: Session,
    actor: Actor,
    campaign_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> tuple[list[CampaignMember], str | None]:
    repo = CampaignRepository(session)
    campaign = repo.get(actor, campaign_id)
    after = None
    if cursor:
        try:
            at_text, id_text = cursor.split("|", 1)
            after = (datetime.fromisoformat(at_text), uuid.UUID(id_text))
        except ValueError:
            raise ValidationFailed("not a cursor this list gave", field="cursor") from None
    rows = repo.members_page(campaign.id, after, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = f"{last.enrolled_at.isoformat()}|{last.id}"
    return rows, next_cursor


def memberships(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID
) -> list[tuple[CampaignMember, Campaign]]:
    """The campaigns a lead or contact is (or was) in, for its page."""
    _require(actor, "campaign:read", "see campaigns")
    REPOSITORIES[record_type](session).get(actor, record_id)  # 404 when not readable
    return CampaignRepository(session).memberships_of(record_type, record_id)


def member_out(member: CampaignMember) -> CampaignMemberOut:
    return CampaignMemberOut.model_validate(member, from_attributes=True)


# ---- goals and exits ------------------------------------------------------------------------


def _announce(
    session: Session,
    actor: Actor,
    event: str,
    campaign: Campaign,
    member: CampaignMember,
    state: str,
    reason: str | None,
) -> None:
    words = {
        GOAL_REACHED.name: f"Reached the goal of campaign {campaign.name}",
        MEMBER_EXITED.name: f"Left campaign {campaign.name}" + (f" ({reason})" if reason else ""),
    }
    publish(
        session,
        actor,
        event,
        record_type=member.record_type,
        record_id=member.record_id,
        payload=CampaignMemberPayload(
            name=words[event],
            campaign=campaign.name,
            state=state,
            reason=reason,
            related_type=member.record_type,
            related_id=str(member.record_id),
        ),
    )


def end_for(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    *,
    rule: str,
    state: str,
    reason: str,
    goal: str | None = None,
    goal_event: str | None = None,
) -> int:
    """A person did something that ends their live sequences: ``goal`` names the goal it
    reaches (those campaigns count a conversion); otherwise ``rule`` is the exit rule that
    must be on for the campaign. Returns how many memberships ended."""
    repo = CampaignRepository(session)
    now = clock.now()
    ended = 0
    for member, campaign in repo.memberships_of(record_type, record_id, live_only=True):
        reached = (
            goal is not None
            and campaign.goal == goal
            and (goal != "custom_event" or campaign.goal_event == goal_event)
        )
        if reached and "goal" in (campaign.exit_on or EXIT_RULES):
            repo.end_members([member.id], "goal_reached", reason, now)
            record_touches(
                session,
                [Touch(campaign.id, None, record_type, record_id, "campaign", "goal", now)],
            )
            _announce(session, actor, GOAL_REACHED.name, campaign, member, "goal_reached", reason)
            ended += 1
        elif rule in (campaign.exit_on or EXIT_RULES):
            repo.end_members([member.id], state, reason, now)
            _announce(session, actor, MEMBER_EXITED.name, campaign, member, state, reason)
            ended += 1
    return ended


def goal_event(session: Session, actor: Actor, data: GoalEvent) -> int:
    """A custom goal event sent through the API: whoever may edit the person may send it."""
    if not actor.can(f"{data.record_type}:write"):
        raise PermissionDenied(f"you may not send goal events about {data.record_type}s")
    REPOSITORIES[data.record_type](session).get(actor, data.record_id)
    return end_for(
        session,
        actor,
        data.record_type,
        data.record_id,
        rule="goal_only",
        state="goal_reached",
        reason=f"event {data.name}",
        goal="custom_event",
        goal_event=data.name,
    )


def converted(session: Session, lead_id: uuid.UUID, contact_id: uuid.UUID) -> None:
    """A lead converted mid-sequence continues as its contact (unless that contact is
    already in the campaign: then the lead's membership ends)."""
    repo = CampaignRepository(session)
    now = clock.now()
    for member, campaign in repo.memberships_of("lead", lead_id, live_only=True):
        twin = repo.members_by_record(campaign.id, "contact", [contact_id]).get(contact_id)
        if twin is None:
            repo.move_member(member.id, "contact", contact_id)
        elif twin.state in LIVE_STATES:
            repo.end_members([member.id], "exited", "converted; its contact is in already", now)
        else:
            # the contact's earlier, ended membership gives way to the live one
            session.delete(twin)
            session.flush()
            repo.move_member(member.id, "contact", contact_id)


# ---- for people: a step rendered for a real member, the calendar ----------------------------


@dataclass(frozen=True)
class Preview:
    subject: str | None
    text: str
    record_type: str
    record_id: uuid.UUID


def preview_step(
    session: Session,
    actor: Actor,
    campaign_id: uuid.UUID,
    position: int,
    record_type: str | None = None,
    record_id: uuid.UUID | None = None,
) -> Preview:
    """Step ``position`` as it would reach one member (the given record, else the first
    member the actor can read), rendered in the sandbox with that record's merge fields."""
    from nexa.email import rendering
    from nexa.email.service import record_context

    repo = CampaignRepository(session)
    campaign = repo.get(actor, campaign_id)
    steps = repo.steps(campaign.id)
    if not 0 <= position < len(steps):
        raise ValidationFailed("no such step", field="position")
    step = steps[position]
    if record_type is None or record_id is None:
        first = next(iter(repo.members_page(campaign.id, None, 20)), None)
        if first is None:
            raise ValidationFailed("enrol someone to preview with a real member", field="record_id")
        record_type, record_id = first.record_type, first.record_id
    subject, body = step.subject, step.body or ""
    if step.template_id is not None:
        texts = repo.template_texts(step.template_id)
        if texts is not None:
            subject, body = subject or texts[0], step.body or texts[1]
    if step.variants and not step.body:
        subject = step.variants[0].get("subject") or subject
        body = step.variants[0].get("body") or body
    _, context = record_context(session, actor, record_type, record_id)
    s, t, _ = rendering.render(context, subject=subject or "-", text=body, html=None)
    return Preview(
        subject=s if step.channel == "email" else None,
        text=t or "",
        record_type=record_type,
        record_id=record_id,
    )


def calendar(
    session: Session, actor: Actor, start: datetime, days: int
) -> list[tuple[Any, str, str, int]]:
    """The sends and tasks due in the next ``days`` days: (day, campaign name, channel,
    members), and the campaigns scheduled to start (channel "start")."""
    _require(actor, "campaign:read", "see campaigns")
    return CampaignRepository(session).due_by_day(start, start + timedelta(days=days))


def enrol_from_form(session: Session, lead_id: uuid.UUID, form_id: str) -> int:
    """A web form was submitted: the lead joins the running campaigns that enrol from that
    form (as the system: the form's rule was set by someone allowed to)."""
    from nexa.core.actor import SYSTEM

    enrolled = 0
    for campaign in CampaignRepository(session).running_campaigns():
        if form_id in [str(f) for f in campaign.web_form_ids or []]:
            result = enrol(
                session, SYSTEM, campaign.id, Enrol(record_type="lead", record_ids=[lead_id])
            )
            enrolled += result.enrolled
    return enrolled


def preferred_channels(
    session: Session, members: list[CampaignMember]
) -> dict[tuple[str, uuid.UUID], str | None]:
    """Each member's preferred channel (the highest response rate, email or SMS, shrunk
    towards the organization's rate: ``nexa.intelligence.channel_preference``)."""
    from nexa.intelligence.channel_preference import channel_preferences

    keys = [(m.record_type, m.record_id) for m in members]
    return {key: pref.preferred for key, pref in channel_preferences(session, keys).items()}


def enrol_segments(session: Session, campaign: Campaign) -> int:
    """A running campaign takes in who joined its segments since the last pass: a static
    list's new members, a dynamic list's new matches (Use Case 1's nurture branch: routing
    adds a low score to the Nurture list, the nurture campaign on it takes it from there).
    As the system: the segment was chosen by someone allowed to; people already in (or who
    left) are not enrolled again by this."""
    from nexa.core.actor import SYSTEM
    from nexa.segment.service import member_ids

    repo = CampaignRepository(session)
    enrolled = 0
    for list_id in [uuid.UUID(str(i)) for i in campaign.list_ids or []]:
        try:
            lst, ids = member_ids(session, SYSTEM, list_id)
        except DomainError:
            continue  # the list went to the bin, or its filter no longer reads
        if lst.object_type not in ("lead", "contact") or not ids:
            continue
        known = repo.members_by_record(campaign.id, lst.object_type, ids)
        new = [i for i in ids if i not in known]
        for start in range(0, len(new), MAX_ENROL):
            result = enrol(
                session,
                SYSTEM,
                campaign.id,
                Enrol(record_type=lst.object_type, record_ids=new[start : start + MAX_ENROL]),
            )
            enrolled += result.enrolled
    return enrolled
