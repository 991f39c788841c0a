"""All of the teams' SQL, and which teams an actor may read or change."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session

from nexa.core.actor import Actor, Scope
from nexa.core.text import text_key
from nexa.models import Team, User


class TeamRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def visibility_clause(self, actor: Actor, permission: str) -> ColumnElement[bool]:
        scope = actor.scope_for(permission)
        if scope is None:
            return false()
        if scope is Scope.ALL:
            return true()
        if scope is Scope.TEAM:
            return Team.id.in_(actor.team_ids) if actor.team_ids else false()
        own = self.session.get(User, actor.user_id) if actor.user_id else None
        return Team.id == own.team_id if own is not None and own.team_id else false()

    def member_counts(self, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        rows = self.session.execute(
            select(User.team_id, func.count())
            .where(User.team_id.in_(team_ids))
            .group_by(User.team_id)
        ).all()
        return {tid: int(n) for tid, n in rows if tid is not None}

    def readable(self, actor: Actor) -> list[Team]:
        stmt = (
            select(Team)
            .where(self.visibility_clause(actor, "team:read"))
            .order_by(func.lower(Team.name), Team.id)
        )
        return list(self.session.scalars(stmt))

    def get(self, actor: Actor, team_id: uuid.UUID) -> Team | None:
        return self.session.scalars(
            select(Team).where(Team.id == team_id, self.visibility_clause(actor, "team:read"))
        ).first()

    def may_write(self, actor: Actor, team_id: uuid.UUID) -> bool:
        return bool(
            self.session.scalar(
                select(true()).where(
                    Team.id == team_id, self.visibility_clause(actor, "team:write")
                )
            )
        )

    def name_taken(self, name: str, exclude_id: uuid.UUID | None = None) -> bool:
        stmt = select(Team.id).where(Team.name_key == text_key(name))
        if exclude_id is not None:
            stmt = stmt.where(Team.id != exclude_id)
        return self.session.scalars(stmt).first() is not None

    def parents(self) -> dict[uuid.UUID, uuid.UUID | None]:
        """Each team's parent team."""
        return {
            tid: parent for tid, parent in self.session.execute(select(Team.id, Team.parent_id))
        }
