"""Score-based lead routing and SLA clocks (issue 5, spec Use Case 1).

A new lead without an owner is routed by its score band: the segment's top performer, the
segment's round robin, or the SDR queue; below ``nurture_below`` it also joins the static
"Nurture" list. A lead created with an explicit owner (someone handing it to a rep, a web
form's assign_to) keeps that owner but still gets its SLA clock. A person's own lead (they
created it for themselves) and leads created in another status than "new" (imports of
history) are left alone.

The SLA due time counts working minutes only. ``check_sla`` (every minute) warns the
assignee at ``warn_at_percent`` of the window and escalates to their manager at the due time;
the owner's first action on the lead (status moved from new, a call, meeting, note or email
logged on it, a task on it completed) stops the clock (``first_response_at``).

Round robin keeps its place in OrgSetting ``routing.cursor.<segment>``, read with
``FOR UPDATE`` (PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE``), so
concurrent creates never hand two leads to the same rep by reading the same cursor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import SYSTEM, Actor
from nexa.core.cache import TableCache
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.intelligence import routing as logic
from nexa.lead.repository import LeadRepository
from nexa.lead.schemas import full_name
from nexa.models import Lead, OrgSetting, Team, User
from nexa.models.org_setting import put_setting
from nexa.notification.service import notify
from nexa.routing import repository as repo
from nexa.routing.events import LeadRouted, LeadSlaBreached
from nexa.routing.schemas import Members, RoutingResult, RoutingSettings, SlaReport, SlaRow
from nexa.segment.service import add_members_as_system, system_list

__all__ = [
    "DEFAULT_SEGMENT",
    "PAUSE",
    "SDR_SEGMENT",
    "Decision",
    "Route",
    "assignable_people",
    "check_sla",
    "clock_of",
    "finish_route",
    "get_settings",
    "load_settings",
    "put_settings",
    "record_first_response",
    "reroute_lead",
    "route_lead",
    "should_route_new_lead",
    "sla_report",
    "start_route",
]


SETTINGS_KEY = "routing"
CURSOR_PREFIX = "routing.cursor."
NURTURE_KEY = "routing.nurture"
NURTURE_NAME = "Nurture"
DEFAULT_SEGMENT = "default"
SDR_SEGMENT = "sdr_queue"
OPEN_STATUSES = ("new", "contacted", "qualified")
# session.info flag: bulk loads (a benchmark's import) set it to skip automatic routing
PAUSE = "routing.paused"
SLA_BATCH = 500


# ---- settings ----------------------------------------------------------------------------


def load_settings(session: Session) -> RoutingSettings:
    """The stored settings (defaults when none are stored or they no longer validate),
    cached per process (core.cache: ``put_settings`` writes org_settings and empties it)."""
    return _settings.get(SETTINGS_KEY, lambda: _read_settings(session))


_settings = TableCache("routing settings", [OrgSetting.__tablename__])


def _read_settings(session: Session) -> RoutingSettings:
    row = session.get(OrgSetting, SETTINGS_KEY)
    if row is not None and isinstance(row.value, dict):
        try:
            return RoutingSettings.model_validate(row.value)
        except ValidationError:
            pass
    return RoutingSettings()


def get_settings(session: Session, actor: Actor) -> RoutingSettings:
    if not actor.can("settings:read"):
        raise PermissionDenied("only admins read the routing settings")
    return load_settings(session)


def parse_settings(data: dict[str, Any]) -> RoutingSettings:
    """Validate a settings document; the first problem is a 422 naming its field."""
    try:
        return RoutingSettings.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())) or "settings",
                "message": str(e.get("msg", "invalid")).removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        first = errors[0]
        raise ValidationFailed(
            f"{first['field']}: {first['message']}", field=first["field"], errors=errors
        ) from None


def _check_members(session: Session, members: Members, where: str) -> None:
    for i, user_id in enumerate(members.user_ids):
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise ValidationFailed("no active user with this id", field=f"{where}.user_ids.{i}")
    if members.team_id is not None and session.get(Team, members.team_id) is None:
        raise ValidationFailed("no team with this id", field=f"{where}.team_id")


def put_settings(session: Session, actor: Actor, data: RoutingSettings) -> RoutingSettings:
    """Replace the routing settings (admins: ``settings:write``)."""
    if not actor.can("settings:write"):
        raise PermissionDenied("only admins change the routing settings")
    for i, segment in enumerate(data.segments):
        _check_members(session, segment, f"segments.{i}")
    _check_members(session, data.sdr_queue, "sdr_queue")
    value = data.model_dump(mode="json")
    put_setting(session, SETTINGS_KEY, value)
    return data


def assignable_people(
    session: Session, actor: Actor
) -> tuple[list[tuple[uuid.UUID, str, str]], list[tuple[uuid.UUID, str]]]:
    """Active users (id, name, role) and teams (id, name) the settings may name."""
    if not actor.can("settings:read"):
        raise PermissionDenied("only admins read the routing settings")
    return repo.people_and_teams(session)


# ---- who is in a segment -----------------------------------------------------------------


def _team_and_subteams(session: Session, team_id: uuid.UUID) -> set[uuid.UUID]:
    rows = repo.team_parents(session)
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for tid, parent in rows:
        children.setdefault(parent, []).append(tid)
    found, todo = set(), [team_id]
    while todo:
        tid = todo.pop()
        if tid in found:
            continue
        found.add(tid)
        todo.extend(children.get(tid, []))
    return found


def members_of(session: Session, members: Members) -> list[uuid.UUID]:
    """Active users listed in ``members`` or belonging to its team (and sub-teams)."""
    teams = None
    if members.team_id is not None:
        teams = _team_and_subteams(session, members.team_id)
    return sorted(repo.active_users_among(session, members.user_ids, teams), key=str)


def default_members(session: Session) -> list[uuid.UUID]:
    """The default segment: every active sales rep."""
    return sorted(repo.active_sales_reps(session), key=str)


def segment_for(
    session: Session, settings: RoutingSettings, lead: Lead, *, members: bool = True
) -> tuple[str, list[uuid.UUID]]:
    """The first segment whose conditions the lead meets and that has an active member;
    otherwise the default segment (all active sales reps; looked up only with
    ``members``)."""
    values = {name: getattr(lead, name) for name in logic.SEGMENT_FIELDS}
    for segment in settings.segments:
        if logic.segment_matches(segment.conditions(), values):
            people = members_of(session, segment)
            if people:
                return segment.name, people
    return DEFAULT_SEGMENT, default_members(session) if members else []


# ---- picking the assignee ----------------------------------------------------------------


def _cursor_row(session: Session, segment: str) -> OrgSetting:
    """The segment's round-robin cursor, locked for this transaction (created if missing;
    a concurrent creator's row wins and is then locked)."""
    key = (CURSOR_PREFIX + segment)[:120]
    return repo.cursor_row(session, key, {"last": None, "count": 0})


def next_in_rotation(session: Session, segment: str, people: list[uuid.UUID]) -> uuid.UUID | None:
    """Round robin: the member after the last one this segment handed a lead to."""
    if not people:
        return None
    row = _cursor_row(session, segment)
    state = row.value if isinstance(row.value, dict) else {}
    last = state.get("last")
    chosen = logic.round_robin_next([str(p) for p in people], str(last) if last else None)
    assert chosen is not None
    row.value = {"last": chosen, "count": int(state.get("count") or 0) + 1}
    session.flush()
    return uuid.UUID(chosen)


def performance(
    session: Session,
    people: list[uuid.UUID],
    *,
    now: datetime,
    days: int,
    exclude_lead: uuid.UUID | None = None,
) -> list[logic.RepRecord]:
    """Each member's won deal amount and converted leads in the last ``days`` days and the
    open leads they hold (system view: routing sees every rep's numbers)."""
    since = now - timedelta(days=days)
    won = repo.won_amounts(session, people, since)
    converted = repo.conversions(session, people, since)
    open_leads = repo.open_leads(session, people, OPEN_STATUSES, exclude_lead)
    return [
        logic.RepRecord(
            user_id=str(p),
            won_amount=Decimal(str(won.get(p, 0) or 0)),
            conversions=int(converted.get(p, 0) or 0),
            open_leads=int(open_leads.get(p, 0) or 0),
        )
        for p in people
    ]


def pick_top_performer(
    session: Session,
    people: list[uuid.UUID],
    *,
    now: datetime,
    days: int = 90,
    exclude_lead: uuid.UUID | None = None,
) -> uuid.UUID | None:
    records = performance(session, people, now=now, days=days, exclude_lead=exclude_lead)
    chosen = logic.top_performer(records)
    return uuid.UUID(chosen) if chosen else None


@dataclass(frozen=True)
class Decision:
    rule: str  # top_performer / round_robin / sdr_queue / owner
    segment: str
    assignee_id: uuid.UUID | None
    priority: str
    sla_minutes: int
    nurture: bool


def decide(
    session: Session,
    settings: RoutingSettings,
    lead: Lead,
    *,
    now: datetime,
    keep_owner: bool = False,
) -> Decision:
    """Which rule, segment and assignee a lead gets (writes only the round-robin cursor)."""
    band = logic.band_for(lead.score, settings.rules())
    nurture = (
        lead.score is not None
        and settings.nurture_below is not None
        and lead.score < settings.nurture_below
    )
    segment, people = segment_for(session, settings, lead, members=not keep_owner)
    if keep_owner:
        return Decision("owner", segment, lead.owner_id, band.priority, band.sla_minutes, nurture)
    rule = band.assign
    assignee: uuid.UUID | None = None
    if rule == "top_performer":
        assignee = pick_top_performer(
            session, people, now=now, days=settings.top_performer_days, exclude_lead=lead.id
        )
    elif rule == "sdr_queue":
        sdrs = members_of(session, settings.sdr_queue)
        if sdrs:
            segment = SDR_SEGMENT
            assignee = next_in_rotation(session, SDR_SEGMENT, sdrs)
        else:  # no SDR queue configured: the segment's round robin takes the lead
            assignee = next_in_rotation(session, segment, people)
    else:
        assignee = next_in_rotation(session, segment, people)
    if assignee is None:  # nobody to route to: whoever holds the lead keeps it
        assignee = lead.owner_id
    return Decision(rule, segment, assignee, band.priority, band.sla_minutes, nurture)


# ---- routing -----------------------------------------------------------------------------


def _lead_payload(lead: Lead) -> dict[str, Any]:
    return {"name": full_name(lead.first_name, lead.last_name), "status": lead.status}


def enrol_in_nurture(session: Session, lead: Lead, *, new: bool = False) -> None:
    """Add the lead to the static "Nurture" list (created on demand; campaigns later).
    ``new``: a lead created in this transaction (live, in no list yet: not read back)."""
    nurture = system_list(session, NURTURE_KEY, name=NURTURE_NAME, object_type="lead")
    add_members_as_system(session, nurture, [lead.id], new=new)


@dataclass(frozen=True)
class Route:
    """A routing decision applied to a lead's columns, its ``lead.routed`` still to come."""

    decision: Decision
    due: datetime
    now: datetime
    before: uuid.UUID | None
    keep_owner: bool


def start_route(
    session: Session, lead: Lead, *, now: datetime | None = None, keep_owner: bool = False
) -> Route:
    """Decide and set the lead's owner, routing and SLA columns (nothing written: a new lead
    not yet inserted takes them in its INSERT)."""
    now = now or utcnow()
    settings = load_settings(session)
    decision = decide(session, settings, lead, now=now, keep_owner=keep_owner)
    hours = settings.working_hours.hours()
    due = logic.add_working_minutes(now, decision.sla_minutes, hours)
    before = lead.owner_id
    lead.owner_id = decision.assignee_id
    lead.routing_rule = decision.rule
    lead.routing_segment = decision.segment[:80]
    lead.routed_at = now
    lead.sla_priority = decision.priority
    lead.sla_due_at = due
    lead.sla_warned_at = None
    lead.sla_escalated_at = None
    lead.sla_breached = False
    lead.first_response_at = None
    return Route(decision, due, now, before, keep_owner)


def finish_route(
    session: Session, lead: Lead, route: Route, *, actor: Actor = SYSTEM, new: bool = False
) -> RoutingResult:
    """The rest of routing once the lead's columns are written: the nurture list and
    ``lead.routed``. ``new``: a lead created in this transaction (intake)."""
    decision, due, keep_owner = route.decision, route.due, route.keep_owner
    if decision.nurture:
        enrol_in_nurture(session, lead, new=new)
    changes = {"owner_id": (route.before, lead.owner_id)} if route.before != lead.owner_id else {}
    publish(
        session,
        actor,
        "lead.routed",
        record_type="lead",
        record_id=lead.id,
        changes=changes,
        payload=LeadRouted(
            **_lead_payload(lead),
            owner_id=str(lead.owner_id) if lead.owner_id else None,
            assigned=not keep_owner,
            rule=decision.rule,
            segment=decision.segment,
            priority=decision.priority,
            sla_minutes=decision.sla_minutes,
            sla_due_at=due.isoformat(),
            nurtured=decision.nurture,
        ),
    )
    return RoutingResult(
        lead_id=lead.id,
        owner_id=lead.owner_id,
        rule=decision.rule,
        segment=decision.segment,
        priority=decision.priority,
        sla_minutes=decision.sla_minutes,
        sla_due_at=due,
        routed_at=route.now,
        nurtured=decision.nurture,
    )


def route_lead(
    session: Session,
    lead: Lead,
    *,
    now: datetime | None = None,
    keep_owner: bool = False,
    actor: Actor = SYSTEM,
    new: bool = False,
) -> RoutingResult:
    """Assign ``lead`` by its score band and start its SLA clock; publish ``lead.routed``
    (the assignee is notified). ``keep_owner``: only the clock (an explicit owner);
    ``new``: a lead created in this transaction (intake)."""
    route = start_route(session, lead, now=now, keep_owner=keep_owner)
    session.flush()
    return finish_route(session, lead, route, actor=actor, new=new)


def should_route_new_lead(
    session: Session, actor_id: uuid.UUID | None, payload: dict[str, Any]
) -> str | None:
    """What to do on ``lead.created``: "route" (no owner), "clock" (an explicit owner other
    than the creator) or None (a person's own lead, a lead not new, routing paused/off)."""
    if session.info.get(PAUSE) or payload.get("status", "new") != "new":
        return None
    owner = payload.get("owner_id")
    if owner and actor_id is not None and str(owner) == str(actor_id):
        return None
    if not load_settings(session).enabled:
        return None
    return "clock" if owner else "route"


def reroute_lead(
    session: Session, actor: Actor, lead_id: uuid.UUID, *, now: datetime | None = None
) -> RoutingResult:
    """Route a lead again (``lead:write`` on it): a new assignee by today's settings and a
    fresh SLA clock."""
    repo = LeadRepository(session)
    lead = repo.get_for(actor, lead_id, "write")
    if lead.status not in OPEN_STATUSES:
        raise ValidationFailed(f"a {lead.status} lead is not routed", field="status")
    return route_lead(session, lead, now=now, actor=actor)


# ---- first response ----------------------------------------------------------------------


def record_first_response(session: Session, lead: Lead, *, at: datetime | None = None) -> bool:
    """Stop the lead's SLA clock (once): True when this was the first response."""
    if lead.routed_at is None or lead.first_response_at is not None:
        return False
    lead.first_response_at = at or utcnow()
    session.flush()
    return True


def lead_for_update(session: Session, lead_id: uuid.UUID) -> Lead | None:
    return repo.lead_for_update(session, lead_id)


def owner_responded(
    session: Session, lead_id: uuid.UUID, actor_id: uuid.UUID | None, at: datetime | None = None
) -> bool:
    """The owner acted on the lead: stop its clock if it runs (someone else acting does
    not count)."""
    if actor_id is None:
        return False
    lead = lead_for_update(session, lead_id)
    if lead is None or lead.owner_id != actor_id:
        return False
    return record_first_response(session, lead, at=at)


# ---- the SLA job -------------------------------------------------------------------------


def manager_of(session: Session, user_id: uuid.UUID) -> uuid.UUID | None:
    """The manager of the user's team, or of the nearest parent team with one (never the
    user themself)."""
    user = session.get(User, user_id)
    team = session.get(Team, user.team_id) if user is not None and user.team_id else None
    seen: set[uuid.UUID] = set()
    while team is not None and team.id not in seen:
        seen.add(team.id)
        if team.manager_id is not None and team.manager_id != user_id:
            return team.manager_id
        team = session.get(Team, team.parent_id) if team.parent_id else None
    return None


def _name(lead: Lead) -> str:
    return full_name(lead.first_name, lead.last_name) or "a lead"


def check_sla(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Warn assignees whose clock passed ``warn_at_percent`` and escalate breaches to their
    manager. Safe to run twice: each lead is warned once and escalated once (PostgreSQL:
    rows another run holds are skipped). The caller commits."""
    now = now or utcnow()
    settings = load_settings(session)
    hours = settings.working_hours.hours()
    warned = escalated = 0
    for lead in repo.leads_on_the_clock(session, OPEN_STATUSES):
        assert lead.sla_due_at is not None
        if now >= lead.sla_due_at:
            _escalate(session, lead, now)
            escalated += 1
            continue
        if lead.sla_warned_at is not None or lead.routed_at is None:
            continue
        if now >= logic.warn_at(lead.routed_at, lead.sla_due_at, settings.warn_at_percent, hours):
            lead.sla_warned_at = now
            if lead.owner_id is not None:
                minutes = max(1, round((lead.sla_due_at - now).total_seconds() / 60))
                notify(
                    session,
                    user_id=lead.owner_id,
                    kind="sla.warning",
                    title=f"Respond to {_name(lead)}: SLA due in {minutes} min",
                    body=f"{(lead.sla_priority or 'normal').capitalize()} lead; the first "
                    f"response is due {lead.sla_due_at:%Y-%m-%d %H:%M} UTC.",
                    record_type="lead",
                    record_id=lead.id,
                )
            warned += 1
    session.flush()
    return {"warned": warned, "escalated": escalated}


def _escalate(session: Session, lead: Lead, now: datetime) -> None:
    lead.sla_breached = True
    lead.sla_escalated_at = now
    manager = manager_of(session, lead.owner_id) if lead.owner_id else None
    owner = session.get(User, lead.owner_id) if lead.owner_id else None
    who = owner.full_name if owner is not None else "nobody"
    if lead.owner_id is not None:
        notify(
            session,
            user_id=lead.owner_id,
            kind="sla.breached",
            title=f"SLA breached: {_name(lead)} is still waiting for a first response",
            record_type="lead",
            record_id=lead.id,
        )
    if manager is not None:
        notify(
            session,
            user_id=manager,
            kind="sla.escalated",
            title=f"SLA breached: {who} has not answered {_name(lead)}",
            body=f"{(lead.sla_priority or 'normal').capitalize()} lead, due "
            f"{lead.sla_due_at:%Y-%m-%d %H:%M} UTC.",
            record_type="lead",
            record_id=lead.id,
        )
    session.flush()
    publish(
        session,
        SYSTEM,
        "lead.sla_breached",
        record_type="lead",
        record_id=lead.id,
        payload=LeadSlaBreached(
            **_lead_payload(lead),
            owner_id=str(lead.owner_id) if lead.owner_id else None,
            manager_id=str(manager) if manager else None,
            sla_due_at=lead.sla_due_at.isoformat() if lead.sla_due_at else None,
        ),
    )


# ---- reading a clock and the report ------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    state: str  # none / running / warning / breached / met / missed
    priority: str | None
    rule: str | None
    segment: str | None
    routed_at: datetime | None
    due_at: datetime | None
    first_response_at: datetime | None
    minutes_left: int | None  # negative when overdue


def clock_of(
    session: Session, actor: Actor, lead_id: uuid.UUID, *, now: datetime | None = None
) -> Clock:
    """Where the lead's SLA clock stands (``lead:read`` on it)."""
    now = now or utcnow()
    lead = LeadRepository(session).get(actor, lead_id)
    settings = load_settings(session)
    warn_from = None
    if lead.routed_at is not None and lead.sla_due_at is not None:
        warn_from = logic.warn_at(
            lead.routed_at,
            lead.sla_due_at,
            settings.warn_at_percent,
            settings.working_hours.hours(),
        )
    state = logic.clock_state(now, lead.sla_due_at, lead.first_response_at, warn_from)
    left = None
    if lead.sla_due_at is not None and lead.first_response_at is None:
        left = int((lead.sla_due_at - now).total_seconds() // 60)
    return Clock(
        state,
        lead.sla_priority,
        lead.routing_rule,
        lead.routing_segment,
        lead.routed_at,
        lead.sla_due_at,
        lead.first_response_at,
        left,
    )


def sla_report(
    session: Session,
    actor: Actor,
    *,
    since: datetime,
    until: datetime,
    now: datetime | None = None,
) -> SlaReport:
    """Per rep, for leads routed in [since, until) that the actor can read (a manager: their
    team; a rep: their own): leads routed, answered within the SLA, breached (answered late
    or not answered by the due time), still pending, attainment % (within / decided) and the
    median first response in working minutes."""
    if not actor.can("lead:read"):
        raise PermissionDenied("you may not read leads")
    if until <= since:
        raise ValidationFailed("until must be after since", field="until")
    now = now or utcnow()
    hours = load_settings(session).working_hours.hours()
    buckets: dict[uuid.UUID | None, dict[str, Any]] = {}
    for owner_id, routed_at, due_at, answered_at, breached_flag in repo.sla_rows(
        session, actor, since, until
    ):
        b = buckets.setdefault(
            owner_id, {"routed": 0, "within": 0, "breached": 0, "pending": 0, "minutes": []}
        )
        _count(b, routed_at, due_at, answered_at, breached_flag, now, hours)
    names = repo.user_names(session, [k for k in buckets if k])
    rows = [
        _row(owner_id, names.get(owner_id, "Unassigned") if owner_id else "Unassigned", b)
        for owner_id, b in buckets.items()
    ]
    rows.sort(key=lambda r: (r.name.casefold(), str(r.user_id)))
    total: dict[str, Any] = {"routed": 0, "within": 0, "breached": 0, "pending": 0, "minutes": []}
    for b in buckets.values():
        for key in ("routed", "within", "breached", "pending"):
            total[key] += b[key]
        total["minutes"].extend(b["minutes"])
    return SlaReport(since=since, until=until, rows=rows, total=_row(None, "All", total))


def _count(
    b: dict[str, Any],
    routed_at: datetime | None,
    due_at: datetime | None,
    answered_at: datetime | None,
    breached_flag: bool,
    now: datetime,
    hours: logic.WorkingHours,
) -> None:
    if routed_at is None or due_at is None:  # filtered out by the query; for the type checker
        return
    b["routed"] += 1
    if answered_at is not None:
        b["minutes"].append(logic.working_minutes_between(routed_at, answered_at, hours))
        if answered_at <= due_at:
            b["within"] += 1
        else:
            b["breached"] += 1
    elif breached_flag or now >= due_at:
        b["breached"] += 1
    else:
        b["pending"] += 1


def _row(owner_id: uuid.UUID | None, name: str, b: dict[str, Any]) -> SlaRow:
    decided = b["within"] + b["breached"]
    median = logic.median(b["minutes"])
    return SlaRow(
        user_id=owner_id,
        name=name,
        routed=b["routed"],
        responded_within=b["within"],
        breached=b["breached"],
        pending=b["pending"],
        attainment_percent=round(100 * b["within"] / decided, 1) if decided else None,
        median_first_response_minutes=round(median, 1) if median is not None else None,
    )
