"""Authentication: passwords (argon2), sign-in limits and lock-out, API keys, the Actor."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, object_session

from nexa.auth.repository import AuthRepository
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
    repo = AuthRepository(session)
    recent = repo.attempts_since(client, window_start)
    if recent >= settings.login_rate_per_minute:
        raise TooManyRequests(
            "too many sign-in attempts from this address; wait a minute", retry_after=60
        )
    email_norm = email.strip().lower()
    user = repo.user_by_email(email_norm)
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
    rows = AuthRepository(session).visibility_settings()
    result = dict(DEFAULT_VISIBILITY)
    for key, value in rows:
        result[key.removeprefix("visibility.")] = value
    return result


def team_tree(session: Session, team_id: uuid.UUID | None) -> set[uuid.UUID]:
    """``team_id`` and all its sub-teams."""
    if team_id is None:
        return set()
    rows = AuthRepository(session).team_parents()
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
        members = AuthRepository(session).member_ids(teams)
    return Actor(
        user_id=user.id,
        role=user.role,
        grants=grants,
        team_member_ids=frozenset(members),
        team_ids=frozenset(teams),
        display_name=user.full_name,
        api_key_id=api_key.id if api_key else None,
        key_scopes=frozenset(api_key.scopes or []) if api_key else None,
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
    key = AuthRepository(session).api_key_by_digest(token_digest(token))
    now = utcnow()
    if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
        raise NotAuthenticated("the API key is not valid, revoked or expired")
    user = session.get(User, key.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("the API key's user is inactive")
    return user, key


TOUCH_EVERY = timedelta(minutes=5)


def _stale(last_used_at: datetime | None) -> bool:
    return last_used_at is None or utcnow() - last_used_at > TOUCH_EVERY


def touch_api_key(session: Session, key_id: uuid.UUID) -> None:
    AuthRepository(session).touch_api_key(key_id, utcnow())


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


# ---- the actor behind an API key, cached briefly ------------------------------------------
#
# Resolving a key (the key and its user, the role's grants, the team tree and its members,
# the visibility defaults) takes 6 SQL statements. The result is kept per process for
# ACTOR_CACHE_SECONDS, by the token's SHA-256. Any change to api_keys, users, teams, roles or
# org_settings made through a session of this process empties the whole cache when it is
# flushed and again when its transaction ends, so a revoked key, a deactivated user, a changed
# role or team applies on this process's next request. A change made by another process (a
# second web worker, the CLI, a job worker) applies there at the latest ACTOR_CACHE_SECONDS
# later. An expired key is refused from its expiry on (the cached expiry is checked each time).

ACTOR_CACHE_SECONDS = 5.0
_MAX_CACHED_KEYS = 10_000


@dataclass(frozen=True)
class ApiKeyActor:
    actor: Actor
    expires_at: datetime | None
    last_used_at: datetime | None


class ActorCache:
    """Resolved API keys by token digest, each for ``ttl`` seconds. ``generation`` keeps a
    request that read the database before a concurrent change emptied the cache from storing
    what it read."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.generation = 0
        self._entries: dict[str, tuple[float, ApiKeyActor]] = {}
        self._touch_asked: dict[uuid.UUID, float] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> ApiKeyActor | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, digest: str, resolved: ApiKeyActor, generation: int) -> None:
        if self.ttl <= 0:
            return
        now = self.clock()
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= _MAX_CACHED_KEYS:
                self._entries = {d: e for d, e in self._entries.items() if e[0] > now}
            self._entries[digest] = (now + self.ttl, resolved)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def ask_touch(self, key_id: uuid.UUID) -> bool:
        """True at most once per TOUCH_EVERY for a key in this process: until the job has
        run (no worker yet, or a queue behind), requests do not enqueue it again."""
        now = self.clock()
        with self._lock:
            asked = self._touch_asked.get(key_id)
            if asked is not None and now - asked < TOUCH_EVERY.total_seconds():
                return False
            if len(self._touch_asked) >= _MAX_CACHED_KEYS:
                self._touch_asked.clear()
            self._touch_asked[key_id] = now
            return True


actor_cache = ActorCache(ACTOR_CACHE_SECONDS)


def _check_token(token: str) -> None:
    if not token.startswith(API_KEY_PREFIX) or len(token) > 200:
        raise NotAuthenticated("the API key is not valid")


def _usable(resolved: ApiKeyActor) -> ApiKeyActor:
    if resolved.expires_at is not None and resolved.expires_at <= utcnow():
        raise NotAuthenticated("the API key is not valid, revoked or expired")
    return resolved


def cached_api_key_actor(token: str) -> ApiKeyActor | None:
    """The cached resolution of ``token`` (no I/O), or None when it must be read."""
    _check_token(token)
    resolved = actor_cache.get(token_digest(token))
    return None if resolved is None else _usable(resolved)


def api_key_actor(session: Session, token: str) -> ApiKeyActor:
    """Resolve ``token`` (401 for an unknown, revoked or expired key or an inactive user) and
    cache the result."""
    _check_token(token)
    digest = token_digest(token)
    generation = actor_cache.generation  # read before the database: see ActorCache
    user, key = authenticate_api_key(session, token)
    resolved = ApiKeyActor(actor_for(session, user, key), key.expires_at, key.last_used_at)
    actor_cache.put(digest, resolved, generation)
    return resolved


def needs_touch(resolved: ApiKeyActor) -> bool:
    """Whether this request should ask for ``api_key.touch`` (see ``ActorCache.ask_touch``)."""
    key_id = resolved.actor.api_key_id
    return key_id is not None and _stale(resolved.last_used_at) and actor_cache.ask_touch(key_id)


# What an actor is made of. Changes to these tables through any session of this process
# (flushed objects; bulk UPDATE, DELETE or INSERT statements) empty the cache.
_ACTOR_SOURCES = (ApiKey, User, Role, Team, OrgSetting)
_ACTOR_TABLES = frozenset(model.__tablename__ for model in _ACTOR_SOURCES)
_CHANGED = "nexa_actor_sources_changed"


def _source_changed(session: Session | None) -> None:
    actor_cache.clear()
    if session is not None:
        session.info[_CHANGED] = True


def _on_row_written(_mapper: Any, _connection: Any, target: Any) -> None:
    _source_changed(object_session(target))


for _model in _ACTOR_SOURCES:
    for _name in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _name, _on_row_written)


@event.listens_for(Session, "do_orm_execute")
def _on_bulk_statement(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _ACTOR_TABLES:
        _source_changed(state.session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _on_transaction_end(session: Session) -> None:
    # again once the change is visible (or gone): a request that read before it cannot have
    # stored its reading (generation), and one that reads after sees the new state
    if session.info.pop(_CHANGED, False):
        actor_cache.clear()
