"""Authentication: passwords (argon2, and how guessable a new one is), sign-in limits and
back-off, web sessions, API keys, the Actor."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, object_session
from zxcvbn import zxcvbn

from nexa.auth.repository import AuthRepository
from nexa.config import get_settings
from nexa.core.actor import Actor, Scope
from nexa.core.db import utcnow
from nexa.core.errors import NotAuthenticated, TooManyRequests, ValidationFailed
from nexa.core.permissions import DEFAULT_ROLE_GRANTS, DEFAULT_VISIBILITY
from nexa.models import ApiKey, LoginAttempt, OrgSetting, Role, Team, User, WebSession

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


# The hash every failed sign-in that has no usable account hash is checked against: the same
# argon2 parameters as real hashes, so each failure costs one real verification.
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")
SIGN_IN_FAILED = "email or password is wrong"


def _backoff_wait(repo: AuthRepository, email_norm: str, client: str, now: datetime) -> int:
    """Seconds ``client`` must still wait before its next sign-in for ``email_norm``: none
    until ``login_max_failures`` failures (since that pair's last success), then
    ``login_backoff_seconds`` after the latest one, doubling with each further failure, up to
    ``login_backoff_max_seconds``. Keyed by the email typed, whether or not an account has
    it, and by the address: nobody elsewhere can make the real user wait."""
    settings = get_settings()
    failures = repo.failures_since(
        email_norm, client, now - timedelta(hours=settings.login_failure_memory_hours)
    )
    beyond = len(failures) - settings.login_max_failures
    if beyond < 0:
        return 0
    delay = min(
        settings.login_backoff_seconds * 2 ** min(beyond, 32), settings.login_backoff_max_seconds
    )
    remaining = (failures[0] + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


def authenticate(session: Session, email: str, password: str, client: str) -> User:
    """Check a password sign-in.

    Refused with 429 when ``client`` made ``login_rate_per_minute`` attempts in the last
    minute — before the email is even read, and without hashing anything: that limit sheds a
    flood, it says nothing about accounts. Past it, every attempt runs exactly one argon2
    verification (the account's hash when it could sign in, a fixed dummy hash otherwise):
    a 429 while this address must wait after repeated failures for this email
    (``_backoff_wait``, the same for an email no account has), and one 401 with the same
    words for an unknown email, a wrong password, a deactivated account or no password set.
    Neither the answer nor its time tells which accounts exist."""
    settings = get_settings()
    now = utcnow()
    repo = AuthRepository(session)
    recent = repo.attempts_since(client, now - timedelta(minutes=1))
    if recent >= settings.login_rate_per_minute:
        raise TooManyRequests(
            "too many sign-in attempts from this address; wait a minute", retry_after=60
        )
    email_norm = email.strip().lower()[:254]
    wait = _backoff_wait(repo, email_norm, client, now)
    user = repo.user_by_email(email_norm)
    usable = user is not None and user.is_active and bool(user.password_hash) and not wait
    own_hash = user.password_hash if usable and user is not None else None
    matched = verify_password(own_hash or _DUMMY_HASH, password)  # the one verification
    attempt = LoginAttempt(
        client=client[:64], email=email_norm, attempted_at=now, throttled=bool(wait)
    )
    session.add(attempt)
    if wait:
        raise TooManyRequests(
            "too many failed sign-ins for this email from this address; "
            f"try again in {wait} seconds",
            retry_after=wait,
        )
    if user is None or not usable or not matched:
        raise NotAuthenticated(SIGN_IN_FAILED)
    attempt.succeeded = True
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    session.flush()
    return user


# ---- passwords people choose ---------------------------------------------------------------

MIN_PASSWORD_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable
_ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; a strong prefix is a strong password


def password_context(email: str, full_name: str) -> list[str]:
    """What a guesser knows about the user: the email, its parts and the name's words."""
    words = [email, *re.split(r"[^\w]+", email), *re.split(r"[^\w]+", full_name)]
    return list(dict.fromkeys(w.lower() for w in words if len(w) >= 2))


def check_password_strength(password: str, *, email: str, full_name: str) -> None:
    """Refuse a common or trivially patterned password (a 422 on ``password`` with the
    reason): zxcvbn's estimate must reach ``MIN_PASSWORD_SCORE`` with the user's name and
    email as words a guesser would try first."""
    result = zxcvbn(
        password[:_ZXCVBN_MAX_LENGTH],
        user_inputs=password_context(email, full_name),
        max_length=_ZXCVBN_MAX_LENGTH,
    )
    if result["score"] >= MIN_PASSWORD_SCORE:
        return
    feedback = result.get("feedback") or {}
    reason = feedback.get("warning") or next(iter(feedback.get("suggestions") or []), "")
    message = "this password is too easy to guess"
    if reason:
        message += f": {reason.rstrip('.')}"
    raise ValidationFailed(
        message + " (try a few unrelated words, or a longer phrase)", field="password"
    )


# ---- web sessions --------------------------------------------------------------------------
#
# The browser's signed cookie carries a random session token and nothing else that identifies
# the user; ``web_sessions`` holds the token's SHA-256. Each web request looks the session up
# by that key (one statement, joined to its user), so an ended session is refused on the very
# next request, on every process.

SESSION_TOUCH_EVERY = timedelta(minutes=5)
_SESSION_TOKEN_MAX = 100


def start_session(session: Session, user: User, *, client: str, user_agent: str) -> str:
    """A new web session for ``user``; returns the token for the cookie (stored hashed)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            id=token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=get_settings().session_max_age_hours),
            client=client[:64],
            user_agent=user_agent[:300],
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class LiveSession:
    user: User
    session_id: str
    needs_touch: bool


def live_session(session: Session, token: object) -> LiveSession | None:
    """The user of the live session ``token`` names (None for no, an ended or an expired
    session, or a deactivated user)."""
    if not isinstance(token, str) or not token or len(token) > _SESSION_TOKEN_MAX:
        return None
    now = utcnow()
    session_id = token_digest(token)
    found = AuthRepository(session).live_session_user(session_id, now)
    if found is None:
        return None
    user, last_seen_at = found
    stale = now - last_seen_at > SESSION_TOUCH_EVERY and actor_cache.ask_touch(session_id)
    return LiveSession(user, session_id, stale)


def end_session(session: Session, token: object, reason: str = "signed_out") -> bool:
    """End the session ``token`` names; True when a live one was ended."""
    if not isinstance(token, str) or not token or len(token) > _SESSION_TOKEN_MAX:
        return False
    return AuthRepository(session).end_session(token_digest(token), utcnow(), reason) > 0


def end_user_sessions(session: Session, user_id: uuid.UUID, reason: str) -> int:
    """End every live web session of ``user_id``; how many were live."""
    return AuthRepository(session).end_user_sessions(user_id, utcnow(), reason)


def live_sessions(session: Session, user_id: uuid.UUID) -> list[WebSession]:
    return AuthRepository(session).live_sessions(user_id, utcnow())


def touch_session(session: Session, session_id: str) -> None:
    AuthRepository(session).touch_session(session_id, utcnow())


def sweep_sign_in_records(session: Session) -> dict[str, int]:
    """Delete ended and expired web sessions, and sign-in attempts too old to count for
    anything (the rate limit's minute, the back-off's memory)."""
    now = utcnow()
    repo = AuthRepository(session)
    keep_attempts = timedelta(hours=get_settings().login_failure_memory_hours)
    return {
        "sessions": repo.delete_dead_sessions(now),
        "attempts": repo.delete_attempts_before(now - max(keep_attempts, timedelta(hours=1))),
    }


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
        self._touch_asked: dict[Hashable, float] = {}
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

    def ask_touch(self, key_id: Hashable) -> bool:
        """True at most once per TOUCH_EVERY for a key in this process: until the job has
        run (no worker yet, or a queue behind), requests do not enqueue it again (``key_id``:
        an API key's id or a web session's)."""
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
