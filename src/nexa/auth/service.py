"""Authentication: passwords (argon2), sign-in limits and lock-out, API keys, the Actor."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor, Scope
from nexa.core.db import utcnow
from nexa.core.errors import Locked, NotAuthenticated, TooManyRequests
from nexa.core.permissions import DEFAULT_ROLE_GRANTS, DEFAULT_VISIBILITY
from nexa.models import ApiKey, LoginAttempt, OrgSetting, Role, Team, User

_hasher = PasswordHasher()
API_KEY_PREFIX = "nexa_"
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def authenticate(session: Session, email: str, password: str, client: str) -> User:
    """Check a password sign-in; rate-limited per client address, locking the account
    after ``login_max_failures`` consecutive failures."""
    settings = get_settings()
    now = utcnow()
    window_start = now - timedelta(minutes=1)
    recent = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.client == client, LoginAttempt.attempted_at >= window_start)
    )
    if (recent or 0) >= settings.login_rate_per_minute:
        raise TooManyRequests(
            "too many sign-in attempts from this address; wait a minute", retry_after=60
        )
    email_norm = email.strip().lower()
    user = session.scalars(select(User).where(func.lower(User.email) == email_norm)).first()
    session.add(LoginAttempt(client=client[:64], email=email_norm[:254], attempted_at=now))
    if user is None:
        verify_password(_DUMMY_HASH, password)  # same cost whether or not the user exists
        raise NotAuthenticated("email or password is wrong")
    if user.locked_until is not None and user.locked_until > now:
        raise Locked("this account is locked after repeated failed sign-ins; try again later")
    if not user.is_active or not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
        raise NotAuthenticated("email or password is wrong")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    session.flush()
    return user


# ---- the actor ---------------------------------------------------------------------------


def role_grants(session: Session, role_name: str) -> dict[str, Scope]:
    role = session.get(Role, role_name)
    if role is None:
        return dict(DEFAULT_ROLE_GRANTS.get(role_name, {}))
    return {perm: Scope(scope) for perm, scope in role.grants.items()}


def visibility_defaults(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(OrgSetting.key, OrgSetting.value).where(OrgSetting.key.like("visibility.%"))
    ).all()
    result = dict(DEFAULT_VISIBILITY)
    for key, value in rows:
        result[key.removeprefix("visibility.")] = value
    return result


def team_tree(session: Session, team_id: uuid.UUID | None) -> set[uuid.UUID]:
    """``team_id`` and all its sub-teams."""
    if team_id is None:
        return set()
    rows = session.execute(select(Team.id, Team.parent_id)).all()
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for tid, parent in rows:
        children.setdefault(parent, []).append(tid)
    result, stack = set(), [team_id]
    while stack:
        tid = stack.pop()
        if tid in result:
            continue
        result.add(tid)
        stack.extend(children.get(tid, []))
    return result


def actor_for(session: Session, user: User, api_key: ApiKey | None = None) -> Actor:
    grants = role_grants(session, user.role)
    if api_key is not None:
        scopes = set(api_key.scopes or [])
        if "*" not in scopes:
            grants = {p: s for p, s in grants.items() if p in scopes}
    teams = team_tree(session, user.team_id)
    members: set[uuid.UUID] = set()
    if teams:
        members = set(session.scalars(select(User.id).where(User.team_id.in_(teams))).all())
    return Actor(
        user_id=user.id,
        role=user.role,
        grants=grants,
        team_member_ids=frozenset(members),
        team_ids=frozenset(teams),
        display_name=user.full_name,
        api_key_id=api_key.id if api_key else None,
        visibility=visibility_defaults(session),
    )


def user_for_session(session: Session, user_id: str | None) -> User | None:
    if not user_id:
        return None
    try:
        uid = uuid.UUID(str(user_id))
    except ValueError:
        return None
    user = session.get(User, uid)
    if user is None or not user.is_active:
        return None
    return user


# ---- API keys ----------------------------------------------------------------------------


def new_api_token() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate_api_key(session: Session, token: str) -> tuple[User, ApiKey]:
    if not token.startswith(API_KEY_PREFIX) or len(token) > 200:
        raise NotAuthenticated("the API key is not valid")
    key = session.scalars(select(ApiKey).where(ApiKey.token_sha256 == token_digest(token))).first()
    now = utcnow()
    if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
        raise NotAuthenticated("the API key is not valid, revoked or expired")
    user = session.get(User, key.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("the API key's user is inactive")
    return user, key


def key_needs_touch(key: ApiKey) -> bool:
    """last_used_at is refreshed at most every 5 minutes, so reads stay reads."""
    return key.last_used_at is None or utcnow() - key.last_used_at > timedelta(minutes=5)


def touch_api_key(session: Session, key_id: uuid.UUID) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())
