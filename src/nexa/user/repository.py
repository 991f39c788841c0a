"""All of the users' SQL (and of the API keys and roles admins manage with them), and which
users an actor may read or change."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from nexa.core.actor import Actor, Scope
from nexa.core.text import text_key
from nexa.models import ApiKey, Role, User


def visibility_clause(actor: Actor, permission: str) -> ColumnElement[bool]:
    """Which users ``actor`` may ``permission``: all, their team tree, or themselves."""
    scope = actor.scope_for(permission)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    if scope is Scope.TEAM:
        members = set(actor.team_member_ids)
        if actor.user_id is not None:
            members.add(actor.user_id)
        return User.id.in_(members) if members else false()
    return User.id == actor.user_id if actor.user_id is not None else false()


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def readable(self, actor: Actor) -> Select[Any]:
        return select(User).where(visibility_clause(actor, "user:read"))

    def get(self, actor: Actor, user_id: uuid.UUID) -> User | None:
        return self.session.scalars(self.readable(actor).where(User.id == user_id)).first()

    def may_write(self, actor: Actor, user_id: uuid.UUID) -> bool:
        return bool(
            self.session.scalar(
                select(true()).where(User.id == user_id, visibility_clause(actor, "user:write"))
            )
        )

    def email_taken(self, email: str) -> bool:
        return bool(self.session.scalar(select(User.id).where(User.email_key == text_key(email))))

    def other_active_admin_ids(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Locked on PostgreSQL (``FOR UPDATE``) so two demotions cannot race."""
        return list(
            self.session.scalars(
                select(User.id)
                .where(User.role == "admin", User.is_active.is_(True), User.id != user_id)
                .with_for_update()
            ).all()
        )

    def api_keys(self, user_id: uuid.UUID | None) -> list[ApiKey]:
        stmt = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)
        if user_id is not None:
            stmt = stmt.where(ApiKey.user_id == user_id)
        return list(self.session.scalars(stmt))

    def roles(self) -> list[Role]:
        return list(self.session.scalars(select(Role)))
