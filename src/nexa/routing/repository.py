"""All of routing's SQL: who may be assigned, the round-robin cursors, the reps' numbers,
the leads on an SLA clock and the SLA report's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.repository import unscoped
from nexa.lead.repository import LeadRepository
from nexa.models import Deal, Lead, OrgSetting, Team, User


def people_and_teams(
    session: Session,
) -> tuple[list[tuple[uuid.UUID, str, str]], list[tuple[uuid.UUID, str]]]:
    """Active users (id, name, role) and teams (id, name), by name."""
    people = session.execute(
        select(User.id, User.full_name, User.role)
        .where(User.is_active.is_(True))
        .order_by(User.full_name, User.id)
    ).all()
    teams = session.execute(select(Team.id, Team.name).order_by(Team.name, Team.id)).all()
    return [(u, n, r) for u, n, r in people], [(t, n) for t, n in teams]


def team_parents(session: Session) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """Every team with its parent."""
    return [(tid, parent) for tid, parent in session.execute(select(Team.id, Team.parent_id))]


def active_users_among(
    session: Session, user_ids: Sequence[uuid.UUID], team_ids: Iterable[uuid.UUID] | None
) -> list[uuid.UUID]:
    """Active users listed in ``user_ids`` or belonging to one of ``team_ids``."""
    clauses = []
    if user_ids:
        clauses.append(User.id.in_(user_ids))
    if team_ids is not None:
        clauses.append(User.team_id.in_(list(team_ids)))
    if not clauses:
        return []
    stmt = select(User.id).where(User.is_active.is_(True), or_(*clauses))
    return list(session.scalars(stmt))


def active_sales_reps(session: Session) -> list[uuid.UUID]:
    stmt = select(User.id).where(User.is_active.is_(True), User.role == "sales_rep")
    return list(session.scalars(stmt))


def cursor_row(session: Session, key: str, initial: dict[str, Any]) -> OrgSetting:
    """The setting row ``key``, locked for this transaction (created with ``initial`` if
    missing; a concurrent creator's row wins and is then locked)."""
    stmt = (
        select(OrgSetting)
        .where(OrgSetting.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.scalars(stmt).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(OrgSetting(key=key, value=initial))
            session.flush()
    except IntegrityError:
        pass
    return session.scalars(stmt).one()


def won_amounts(
    session: Session, people: Sequence[uuid.UUID], since: datetime
) -> dict[uuid.UUID, Any]:
    """Won deal amount (organization currency) per owner since ``since`` (system view)."""
    stmt = (
        select(Deal.owner_id, func.coalesce(func.sum(Deal.amount_org), 0))
        .where(
            Deal.owner_id.in_(people),
            Deal.stage_kind == "won",
            Deal.closed_at >= since,
            Deal.deleted_at.is_(None),
        )
        .group_by(Deal.owner_id)
    )
    return {owner: amount for owner, amount in session.execute(unscoped(stmt)).all()}


def conversions(
    session: Session, people: Sequence[uuid.UUID], since: datetime
) -> dict[uuid.UUID, int]:
    """Leads converted per owner since ``since`` (system view)."""
    stmt = (
        select(Lead.owner_id, func.count())
        .where(
            Lead.owner_id.in_(people),
            Lead.status == "converted",
            Lead.converted_at >= since,
            Lead.deleted_at.is_(None),
        )
        .group_by(Lead.owner_id)
    )
    return {owner: count for owner, count in session.execute(unscoped(stmt)).all()}


def open_leads(
    session: Session,
    people: Sequence[uuid.UUID],
    statuses: Sequence[str],
    exclude_lead: uuid.UUID | None,
) -> dict[uuid.UUID, int]:
    """Open leads held per owner (system view), ``exclude_lead`` left out."""
    stmt = select(Lead.owner_id, func.count()).where(
        Lead.owner_id.in_(people), Lead.status.in_(statuses), Lead.deleted_at.is_(None)
    )
    if exclude_lead is not None:
        stmt = stmt.where(Lead.id != exclude_lead)
    rows = session.execute(unscoped(stmt.group_by(Lead.owner_id))).all()
    return {owner: count for owner, count in rows}


def lead_for_update(session: Session, lead_id: uuid.UUID) -> Lead | None:
    found: Lead | None = session.scalars(unscoped(select(Lead).where(Lead.id == lead_id))).first()
    return found


def leads_on_the_clock(session: Session, statuses: Sequence[str]) -> list[Lead]:
    """Open leads whose SLA clock runs (not answered, not escalated), locked; rows another
    transaction holds are skipped (PostgreSQL)."""
    stmt = unscoped(
        select(Lead)
        .where(
            Lead.sla_due_at.is_not(None),
            Lead.first_response_at.is_(None),
            Lead.sla_escalated_at.is_(None),
            Lead.deleted_at.is_(None),
            Lead.status.in_(statuses),
        )
        .order_by(Lead.sla_due_at, Lead.id)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt).all())


def sla_rows(
    session: Session, actor: Actor, since: datetime, until: datetime
) -> list[tuple[uuid.UUID | None, datetime | None, datetime | None, datetime | None, bool]]:
    """(owner, routed at, due at, answered at, breached) of the leads ``actor`` reads that
    were routed in [since, until) with a clock."""
    stmt = (
        LeadRepository(session)
        .readable(actor)
        .with_only_columns(
            Lead.owner_id,
            Lead.routed_at,
            Lead.sla_due_at,
            Lead.first_response_at,
            Lead.sla_breached,
        )
        .where(
            Lead.routed_at >= since,
            Lead.routed_at < until,
            Lead.sla_due_at.is_not(None),
        )
    )
    return [(o, r, d, a, b) for o, r, d, a, b in session.execute(stmt).all()]


def user_names(session: Session, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids))).all()
    return {uid: name for uid, name in rows}
