"""Users and API keys: admins create them; everyone reads themselves."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexa.auth.service import hash_password, new_api_token, token_digest
from nexa.core.actor import Actor
from nexa.core.errors import Conflict, PermissionDenied, ValidationFailed
from nexa.core.events import declare, publish
from nexa.core.permissions import API_KEY_SCOPES
from nexa.models import ApiKey, Team, User
from nexa.user.schemas import UserCreate

declare("user.created", permission="user:read", description="A user was created")
declare("user.updated", permission="user:read", description="A user changed")
declare("api_key.created", permission="api_key:read", description="An API key was issued")
declare("api_key.revoked", permission="api_key:read", description="An API key was revoked")


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    if not actor.can("user:create"):
        raise PermissionDenied("only admins can create users")
    if session.scalar(select(User.id).where(func.lower(User.email) == data.email.lower())):
        raise Conflict(f"a user with email {data.email} exists", field="email")
    if data.team_id is not None and session.get(Team, data.team_id) is None:
        raise ValidationFailed("no such team", field="team_id")
    user = User(
        id=uuid.uuid4(), email=data.email, full_name=data.full_name, role=data.role, team_id=data.team_id,
        timezone=data.timezone, password_hash=hash_password(data.password) if data.password else None,
    )
    session.add(user)
    session.flush()
    publish(session, actor, "user.created", record_type="user", record_id=user.id,
            payload={"name": user.full_name, "email": user.email, "role": user.role})
    return user


def create_api_key(
    session: Session, actor: Actor, *, user_id: uuid.UUID, name: str, scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key; the token is returned once and only its SHA-256 is stored."""
    if not actor.can("api_key:create"):
        raise PermissionDenied("only admins can issue API keys")
    unknown = [s for s in scopes if s != "*" and s not in API_KEY_SCOPES]
    if unknown:
        raise ValidationFailed(f"unknown scope '{unknown[0][:60]}'", field="scopes")
    if not scopes:
        raise ValidationFailed("give at least one scope ('*' for all of the user's permissions)", field="scopes")
    if session.get(User, user_id) is None:
        raise ValidationFailed("no such user", field="user_id")
    token = new_api_token()
    key = ApiKey(id=uuid.uuid4(), name=name, user_id=user_id, prefix=token[:12],
                 token_sha256=token_digest(token), scopes=list(dict.fromkeys(scopes)), expires_at=expires_at)
    session.add(key)
    session.flush()
    publish(session, actor, "api_key.created", record_type="api_key", record_id=key.id,
            payload={"name": name, "user_id": str(user_id), "scopes": key.scopes})
    return key, token
