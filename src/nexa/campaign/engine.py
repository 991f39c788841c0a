"""The sequence engine: moves the members of running campaigns through their steps.

``advance`` (the periodic job ``campaign.advance``, every minute) takes the members whose
next step is due, in chunks, and for each chunk in ONE transaction: checks the step's
condition for all of them at once, sends the email (``nexa.email.bulk``: a few statements
for the chunk) or SMS, or makes the owner's task (voice and LinkedIn steps), writes one
``campaign_step_runs`` row per member and step (unique: the idempotency key), the touches
and counters, and moves each member to its next step. A worker killed mid-chunk leaves
nothing of that chunk (the transaction rolls back) and the next run does it again; a chunk
committed is never done twice (its runs exist). Delivery after commit is at-least-once
with a stable Message-ID (the email outbox).

Local time: a member's zone is its ``time_zone`` field, else inferred from its country and
phone, else the organization's (``nexa.core.localtime``); quiet hours, "until Tuesday
09:00" and the send-time optimisation are computed in it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.campaign import conditions
from nexa.campaign.events import MEMBER_EXITED
from nexa.campaign.repository import CampaignRepository, Touch, record_touches
from nexa.campaign.service import _announce, first_due
from nexa.config import get_settings
from nexa.core import clock
from nexa.core.actor import SYSTEM, Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.models import Campaign, CampaignMember, CampaignStep

log = logging.getLogger("nexa.campaign.engine")
CHUNK = 500


@dataclass
class Outcome:
    """What one chunk did (a run's summary)."""

    members: int = 0
    sent: int = 0
    tasks: int = 0
    skipped: int = 0
    exited: int = 0
    deferred: int = 0
    completed: int = 0
    by_campaign: dict[str, int] = field(default_factory=dict)

    def add(self, other: Outcome) -> None:
        for name in ("members", "sent", "tasks", "skipped", "exited", "deferred", "completed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def owner_actor(session: Session, campaign: Campaign) -> Actor:
    """The campaign's owner acting (the sender of its mail); the system when it has none."""
    from nexa.auth.service import actor_for
    from nexa.models import User

    user = session.get(User, campaign.owner_id) if campaign.owner_id else None
    if user is None or not user.is_active:
        return SYSTEM
    return actor_for(session, user)


def advance(
    session_factory: Callable[[], Any],
    *,
    now: datetime | None = None,
    chunk: int | None = None,
    pause_between_chunks: float = 0.0,
) -> Outcome:
    """Run every due step of every running campaign; one transaction per chunk.
    ``session_factory`` is a context manager factory that commits on exit (``session_scope``)."""
    total = Outcome()
    size = chunk or CHUNK
    with session_factory() as session:
        from nexa.campaign.service import start_due

        start_due(session, SYSTEM, now or clock.now())
        campaign_ids = [c.id for c in CampaignRepository(session).running_campaigns()]
    for campaign_id in campaign_ids:  # who joined the segments since the last pass
        with session_factory() as session:
            from nexa.campaign.service import enrol_segments

            campaign = CampaignRepository(session).campaign(campaign_id)
            if campaign is not None and campaign.list_ids:
                enrol_segments(session, campaign)
    for campaign_id in campaign_ids:
        while True:
            with session_factory() as session:
                at = now or clock.now()
                repo = CampaignRepository(session)
                campaign = repo.campaign(campaign_id)
                if campaign is None or campaign.status != "running":
                    break
                due = repo.due_members(campaign_id, at, size)
                if not due:
                    break
                outcome = run_chunk(session, campaign, due, at)
            total.add(outcome)
            if pause_between_chunks:
                time.sleep(pause_between_chunks)
    return total


def run_chunk(
    session: Session, campaign: Campaign, due: list[CampaignMember], now: datetime
) -> Outcome:
    """One chunk of due members of one campaign, in the caller's transaction."""
    repo = CampaignRepository(session)
    steps = repo.steps(campaign.id)
    actor = owner_actor(session, campaign)
    outcome = Outcome(members=len(due))
    updates: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    touches: list[Touch] = []
    by_position: dict[int, list[CampaignMember]] = defaultdict(list)
    for member in due:
        by_position[member.step_position].append(member)
    zones = member_zones(session, due)
    for position, members in sorted(by_position.items()):
        if position >= len(steps):
            for m in members:
                updates.append(_moved(m, "completed", position, None, now, ended=now))
            outcome.completed += len(members)
            continue
        step = steps[position]
        next_step = steps[position + 1] if position + 1 < len(steps) else None
        # quiet hours: members for whom it is night now wait until morning
        ready = []
        for m in members:
            later = quiet_until(campaign, zones.get(m.id), now)
            if later is not None:
                updates.append(_moved(m, "waiting", position, later, m.last_step_at))
                outcome.deferred += 1
            else:
                ready.append(m)
        done = repo.runs_done(step.id, [m.id for m in ready])
        fresh = [m for m in ready if m.id not in done]
        for m in ready:
            if m.id in done:  # a crash after the run, before the move: just move on
                updates.append(_after_step(m, position, next_step, now, zones.get(m.id)))
        passing = evaluate(session, actor, campaign, step, fresh)
        failing = [m for m in fresh if m.id not in passing]
        for m in failing:
            if step.on_fail == "exit":
                reason: str | None = f"condition not met: {step.condition}"
                runs.append(_run(campaign, step, m, "exited", now, reason=reason))
                updates.append(_moved(m, "exited", position, None, now, reason=reason, ended=now))
                _announce(session, actor, MEMBER_EXITED.name, campaign, m, "exited", reason)
                outcome.exited += 1
            else:
                runs.append(_run(campaign, step, m, "skipped", now, reason="condition not met"))
                updates.append(_after_step(m, position, next_step, now, zones.get(m.id)))
                outcome.skipped += 1
        act = [m for m in fresh if m.id in passing]
        if step.channel == "email":
            act = _daily_limit(repo, campaign, act, now, updates, position, outcome)
        results = perform(session, actor, campaign, step, act, now)
        for m in act:
            result = results.get(m.id)
            if result is None:
                continue
            kind, ref, variant, why_not = result
            if kind in ("unsubscribed", "bounced"):
                runs.append(_run(campaign, step, m, "exited", now, reason=why_not))
                why = why_not or kind
                updates.append(_moved(m, kind, position, None, now, reason=why, ended=now))
                outcome.exited += 1
                continue
            runs.append(
                _run(campaign, step, m, kind, now, message_id=ref, variant=variant, reason=why_not)
            )
            if kind == "sent":
                outcome.sent += 1
                touches.append(
                    Touch(
                        campaign.id,
                        step.id,
                        m.record_type,
                        m.record_id,
                        step.channel,
                        "sent",
                        now,
                        ref,
                    )
                )
            elif kind == "task":
                outcome.tasks += 1
                touches.append(
                    Touch(
                        campaign.id,
                        step.id,
                        m.record_type,
                        m.record_id,
                        step.channel,
                        "task",
                        now,
                        ref,
                    )
                )
            else:
                outcome.skipped += 1
            updates.append(_after_step(m, position, next_step, now, zones.get(m.id)))
    if "send_time" in (campaign.optimize or []):
        _at_best_hours(session, steps, due, updates, zones)
    repo.insert_runs(runs)
    repo.update_members(updates)
    record_touches(session, touches)
    session.flush()
    return outcome


def _at_best_hours(
    session: Session,
    steps: list[CampaignStep],
    due: list[CampaignMember],
    updates: list[dict[str, Any]],
    zones: dict[uuid.UUID, Any],
) -> None:
    """Send-time optimisation: a member's next email or SMS step waits for their best hour."""
    from nexa.campaign.timing import best_send_times

    members = {m.id: m for m in due}
    moving = [
        u
        for u in updates
        if u["b_state"] == "active"
        and u["b_next_at"] is not None
        and u["b_position"] < len(steps)
        and steps[u["b_position"]].channel in ("email", "sms")
        and steps[u["b_position"]].wait_kind != "until"
    ]
    if not moving:
        return
    chosen = best_send_times(
        session,
        [members[u["b_id"]] for u in moving],
        {u["b_id"]: u["b_next_at"] for u in moving},
        zones,
    )
    for u in moving:
        u["b_next_at"] = chosen.get(u["b_id"], u["b_next_at"])


# ---- member moves ---------------------------------------------------------------------------


def _moved(
    m: CampaignMember,
    state: str,
    position: int,
    next_at: datetime | None,
    last: datetime | None,
    *,
    reason: str | None = None,
    ended: datetime | None = None,
) -> dict[str, Any]:
    return {
        "b_id": m.id,
        "b_state": state,
        "b_position": position,
        "b_next_at": next_at,
        "b_last": last,
        "b_reason": reason,
        "b_ended": ended,
        "b_at": last or m.updated_at,
    }


def _after_step(
    m: CampaignMember,
    position: int,
    next_step: CampaignStep | None,
    now: datetime,
    zone: Any,
) -> dict[str, Any]:
    if next_step is None:
        return _moved(m, "completed", position + 1, None, now, ended=now)
    return _moved(m, "active", position + 1, due_at(next_step, now, zone), now)


def due_at(step: CampaignStep, after: datetime, zone: Any) -> datetime:
    """When ``step`` is due for a member whose previous step ran at ``after``."""
    from nexa.campaign.timing import next_local

    if step.wait_kind == "until" and step.wait_time:
        return next_local(after, zone, step.wait_weekday, step.wait_time)
    return first_due(step, after) or after


def quiet_until(campaign: Campaign, zone: Any, now: datetime) -> datetime | None:
    """The end of the member's quiet hours when ``now`` falls in them, else None."""
    if not campaign.quiet_start or not campaign.quiet_end:
        return None
    from nexa.campaign.timing import out_of_quiet_hours

    allowed = out_of_quiet_hours(now, zone, campaign.quiet_start, campaign.quiet_end)
    return allowed if allowed > now else None


def member_zones(session: Session, members: list[CampaignMember]) -> dict[uuid.UUID, Any]:
    from nexa.campaign.timing import zones_of

    return zones_of(session, members)


def _run(
    campaign: Campaign,
    step: CampaignStep,
    m: CampaignMember,
    outcome: str,
    now: datetime,
    *,
    message_id: uuid.UUID | None = None,
    variant: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "campaign_id": campaign.id,
        "step_id": step.id,
        "member_id": m.id,
        "outcome": outcome,
        "channel": step.channel,
        "message_id": message_id,
        "variant": variant,
        "reason": (reason or None) and reason[:200],
        "at": now,
    }


def _daily_limit(
    repo: CampaignRepository,
    campaign: Campaign,
    members: list[CampaignMember],
    now: datetime,
    updates: list[dict[str, Any]],
    position: int,
    outcome: Outcome,
) -> list[CampaignMember]:
    """The sender's mailbox sends at most ``daily_limit`` campaign emails a (UTC) day; the
    rest wait for tomorrow."""
    if not campaign.daily_limit:
        return members
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    sent = repo.sent_since(repo.running_campaign_ids_of_owner(campaign.owner_id), day_start)
    room = max(0, campaign.daily_limit - sent)
    for m in members[room:]:
        updates.append(
            _moved(m, "waiting", position, day_start + timedelta(days=1), m.last_step_at)
        )
        outcome.deferred += 1
    return members[:room]


# ---- conditions -----------------------------------------------------------------------------


def evaluate(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    step: CampaignStep,
    members: list[CampaignMember],
) -> set[uuid.UUID]:
    """The members for whom the step's condition holds (a few queries for the chunk)."""
    if not members:
        return set()
    try:
        cond = conditions.parse(step.condition, "condition")
    except ValidationFailed:
        log.warning("campaign %s step %s: condition no longer parses", campaign.id, step.id)
        return set()
    ids = {m.id for m in members}
    if cond.kind == "always":
        return ids
    repo = CampaignRepository(session)
    if cond.kind in ("opened_previous", "clicked_previous"):
        engagement = repo.last_email_engagement(list(ids))
        index = 0 if cond.kind == "opened_previous" else 1
        return {m.id for m in members if engagement.get(m.id, (0, 0))[index] > 0}
    by_type: dict[str, list[CampaignMember]] = defaultdict(list)
    for m in members:
        by_type[m.record_type].append(m)
    passing: set[uuid.UUID] = set()
    for record_type, group in by_type.items():
        record_ids = [m.record_id for m in group]
        if cond.kind == "not_responded":
            answered = repo.responded(record_type, {m.record_id: m.enrolled_at for m in group})
            passing |= {m.id for m in group if m.record_id not in answered}
        elif cond.kind == "score_above":
            scores = (
                repo.lead_scores(record_ids)
                if record_type == "lead"
                else repo.contact_scores(record_ids)
            )
            threshold = cond.number or 0
            passing |= {m.id for m in group if (scores.get(m.record_id) or 0) > threshold}
        else:
            matched = _matching(session, actor, record_type, cond, record_ids)
            passing |= {m.id for m in group if m.record_id in matched}
    return passing


def _matching(
    session: Session,
    actor: Actor,
    record_type: str,
    cond: conditions.StepCondition,
    record_ids: list[uuid.UUID],
) -> set[uuid.UUID]:
    if cond.kind in ("in_list", "not_in_list"):
        expressions = [f"list:{'eq' if cond.kind == 'in_list' else 'ne'}:{cond.list_id}"]
    else:
        expressions = list(cond.expressions)
    from nexa.segment.service import matching_ids

    try:
        return matching_ids(session, SYSTEM, record_type, expressions, record_ids)
    except DomainError as exc:
        log.warning("campaign condition %r for %s: %s", expressions, record_type, exc)
        return set()


# ---- the channels ---------------------------------------------------------------------------

Result = tuple[str, uuid.UUID | None, int | None, str | None]  # kind, ref, variant, reason


def perform(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    step: CampaignStep,
    members: list[CampaignMember],
    now: datetime,
) -> dict[uuid.UUID, Result]:
    if not members:
        return {}
    if step.channel == "email":
        from nexa.campaign.channels import send_email

        return send_email(session, actor, campaign, step, members)
    if step.channel == "sms":
        from nexa.campaign.channels import send_sms

        return send_sms(session, actor, campaign, step, members)
    from nexa.campaign.channels import make_tasks

    return make_tasks(session, actor, campaign, step, members, now)


def settings_chunk() -> int:
    return int(getattr(get_settings(), "campaign_chunk", CHUNK) or CHUNK)
