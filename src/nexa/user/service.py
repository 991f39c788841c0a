"""Users, API keys, role grants and org-wide settings: admins change them; everyone reads
themselves. Managers see the users of their team and its sub-teams."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nexa.auth.service import (
    check_password_strength,
    end_user_sessions,
    hash_password,
    live_sessions,
    new_api_token,
    role_grants,
    token_digest,
    verify_password,
    visibility_defaults,
)
from nexa.core.actor import Actor, Scope
from nexa.core.db import utcnow
from nexa.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from nexa.core.events import publish
from nexa.core.filtering import FieldSpec, ListQuery
from nexa.core.permissions import (
    ALL_PERMISSIONS,
    API_KEY_SCOPES,
    DEFAULT_VISIBILITY,
    EXTRA_PERMISSIONS,
    ROLES,
    VISIBILITY_CHOICES,
)
from nexa.core.records import check_version, keyset_page, model_fields
from nexa.core.schemas import require_one_line
from nexa.models import ApiKey, OrgSetting, Role, Team, User, WebSession
from nexa.user.events import (
    ApiKeyCreated,
    ApiKeyRevoked,
    RoleUpdated,
    SessionsEnded,
    SettingsUpdated,
    UserCreated,
    UserUpdated,
)
from nexa.user.repository import UserRepository
from nexa.user.schemas import UserCreate, UserUpdate

MASKED = "***"
DATE_FORMATS = ("iso", "us", "eu", "long")
SELF_SERVICE_FIELDS = {
    "full_name",
    "timezone",
    "date_format",
    "notify_by_email",
    "password",
    "current_password",
}
ROLE_NAMESPACE = uuid.UUID("8a3c1f52-7a43-4a4e-9d3b-6f0e2f6c1d10")
# The admin role keeps these with scope "all", so admins cannot lock themselves out.
ADMIN_KEEPS = ("role:write", "user:write")

USER_KINDS = {
    "id": "uuid",
    "email": "str",
    "full_name": "str",
    "role": "enum",
    "team_id": "uuid",
    "is_active": "bool",
    "timezone": "str",
    "last_login_at": "datetime",
    "created_at": "datetime",
}
USER_SORTABLE = {"id", "email", "full_name", "last_login_at", "created_at"}


# ---- users --------------------------------------------------------------------------------


def _check_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationFailed(
            f"'{value[:60]}' is not an IANA time zone", field="timezone"
        ) from None


def _check_team(session: Session, team_id: uuid.UUID | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise ValidationFailed("no such team", field="team_id")


def user_fields() -> dict[str, FieldSpec]:
    return model_fields(User, USER_KINDS, USER_SORTABLE, {"role": ROLES})


def list_users(session: Session, actor: Actor, query: ListQuery) -> tuple[list[User], str | None]:
    if not actor.can("user:read"):
        raise PermissionDenied("you may not see users")
    stmt = UserRepository(session).readable(actor)
    return keyset_page(session, stmt, query, user_fields(), User.id, default_sort="full_name")


def get_user(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    """The user if ``actor`` may see them (404 otherwise; 403 without user:read at all)."""
    if not actor.can("user:read"):
        raise PermissionDenied("you may not see users")
    user = UserRepository(session).get(actor, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def refuse_password_by_api_key(actor: Actor, password: str | None) -> None:
    """Setting a sign-in password is never done with an API key, whatever its scopes: a key
    that could would turn itself into a web session (and then into more keys)."""
    if password is not None and actor.api_key_id is not None:
        raise PermissionDenied(
            "a password cannot be set with an API key; sign in to the web UI "
            "(or use the nexa command line)",
            field="password",
        )


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    if not actor.can("user:create"):
        raise PermissionDenied("only admins can create users")
    refuse_password_by_api_key(actor, data.password)
    if data.role == "admin" and not actor.is_admin:
        raise PermissionDenied("only admins can create admins", field="role")
    if UserRepository(session).email_taken(data.email):
        raise Conflict(f"a user with email {data.email} exists", field="email")
    _check_team(session, data.team_id)
    _check_timezone(data.timezone)
    if data.password:
        check_password_strength(data.password, email=data.email, full_name=data.full_name)
    user = User(
        id=uuid.uuid4(),
        email=data.email,
        full_name=data.full_name,
        role=data.role,
        team_id=data.team_id,
        timezone=data.timezone,
        password_hash=hash_password(data.password) if data.password else None,
    )
    session.add(user)
    session.flush()
    publish(
        session,
        actor,
        "user.created",
        record_type="user",
        record_id=user.id,
        payload=UserCreated(name=user.full_name, email=user.email, role=user.role),
    )
    return user


def _other_active_admins(session: Session, user_id: uuid.UUID) -> int:
    """Active admins other than ``user_id``; the rows are locked on PostgreSQL so two
    demotions cannot race past each other (SQLite serialises writers already)."""
    return len(UserRepository(session).other_active_admin_ids(user_id))


def _apply_user_changes(
    session: Session, actor: Actor, user: User, values: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    refuse_password_by_api_key(actor, values.get("password"))
    for name in ("full_name", "role", "is_active", "timezone", "password"):
        if name in values and values[name] is None:
            raise ValidationFailed(f"{name} cannot be empty", field=name)
    if "timezone" in values:
        _check_timezone(values["timezone"])
    if "date_format" in values and values["date_format"] not in DATE_FORMATS:
        raise ValidationFailed(f"choose one of {', '.join(DATE_FORMATS)}", field="date_format")
    if "team_id" in values:
        _check_team(session, values["team_id"])
    changes: dict[str, tuple[Any, Any]] = {}
    for name in ("full_name", "role", "team_id", "is_active", "timezone", "date_format",
                 "notify_by_email"):  # fmt: skip
        if name in values and getattr(user, name) != values[name]:
            changes[name] = (getattr(user, name), values[name])
    if "role" in changes and "admin" in changes["role"] and not actor.is_admin:
        raise PermissionDenied("only admins can grant or take away the admin role", field="role")
    leaves_admins = (
        user.role == "admin"
        and user.is_active
        and (values.get("role", "admin") != "admin" or values.get("is_active", True) is False)
    )
    if leaves_admins and _other_active_admins(session, user.id) == 0:
        field = "role" if values.get("role", "admin") != "admin" else "is_active"
        raise Conflict("this is the last active admin; make someone else admin first", field=field)
    if values.get("password"):
        check_password_strength(
            values["password"],
            email=user.email,
            full_name=values.get("full_name") or user.full_name,
        )
    for name, (_, new) in changes.items():
        setattr(user, name, new)
    if values.get("password"):
        user.password_hash = hash_password(values["password"])
        user.failed_logins = 0
        user.locked_until = None
        changes["password"] = (MASKED, MASKED)
        # every web session of the user ends: whoever held one must sign in with the new one
        end_user_sessions(session, user.id, "password_changed")
    if changes.get("is_active", (None, True))[1] is False:
        end_user_sessions(session, user.id, "deactivated")
    return changes


def update_user(
    session: Session,
    actor: Actor,
    user_id: uuid.UUID,
    data: UserUpdate,
    *,
    if_match: int | None = None,
) -> User:
    """Admins change a user's role, team, activity, password or name."""
    user = _writable_user(session, actor, user_id)
    check_version(user, if_match)
    changes = _apply_user_changes(session, actor, user, data.model_dump(exclude_unset=True))
    _saved(session, actor, user, changes)
    return user


def _writable_user(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    """The user ``actor`` may change (403/404 otherwise), as ``update_user`` checks."""
    if not actor.can("user:write"):
        raise PermissionDenied("only admins can change users")
    user = get_user(session, actor, user_id)
    if not UserRepository(session).may_write(actor, user.id):
        raise PermissionDenied("you may not change this user")
    if user.role == "admin" and not actor.is_admin:
        raise PermissionDenied("only admins can change an admin")
    return user


def list_user_sessions(session: Session, actor: Actor, user_id: uuid.UUID) -> list[WebSession]:
    """The live web sessions of a user (oneself, or whom ``actor`` may change)."""
    if user_id != actor.user_id:
        _writable_user(session, actor, user_id)
    return live_sessions(session, user_id)


def sessions_shown(session: Session, actor: Actor, user: User) -> list[WebSession] | None:
    """The live web sessions of ``user`` (already read) when ``actor`` may end them, for a
    page; None otherwise. An actor who changes every user costs no extra check."""
    if user.id != actor.user_id:
        if not actor.can("user:write") or (user.role == "admin" and not actor.is_admin):
            return None
        everyone = actor.scope_for("user:write") is Scope.ALL
        if not everyone and not UserRepository(session).may_write(actor, user.id):
            return None
    return live_sessions(session, user.id)


def end_sessions(session: Session, actor: Actor, user_id: uuid.UUID) -> int:
    """End every web session of a user (oneself, or whom ``actor`` may change); how many
    were live. Their next request goes to the sign-in page."""
    if user_id == actor.user_id:
        user, reason = get_me(session, actor), "ended_by_user"
    else:
        user, reason = _writable_user(session, actor, user_id), "ended_by_admin"
    ended = end_user_sessions(session, user.id, reason)
    if ended:
        publish(
            session,
            actor,
            "user.sessions_ended",
            record_type="user",
            record_id=user.id,
            payload=SessionsEnded(name=user.full_name, count=ended),
        )
    return ended


def _saved(session: Session, actor: Actor, user: User, changes: dict[str, tuple[Any, Any]]) -> None:
    """Flush and publish ``user.updated`` when anything changed."""
    if changes:
        session.flush()
        publish(
            session,
            actor,
            "user.updated",
            record_type="user",
            record_id=user.id,
            changes=changes,
            payload=UserUpdated(name=user.full_name),
        )


def get_me(session: Session, actor: Actor) -> User:
    if actor.user_id is None:
        raise NotAuthenticated("this is not a user")
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotAuthenticated("this is not a user")
    return user


def update_me(session: Session, actor: Actor, values: dict[str, Any]) -> User:
    """One's own name, time zone and password (the current password is needed to change it).
    Role, team and activity are the admin's business."""
    unknown = sorted(set(values) - SELF_SERVICE_FIELDS)
    if unknown:
        raise ValidationFailed(f"you cannot change your own {unknown[0]}", field=unknown[0])
    user = get_me(session, actor)
    current = values.pop("current_password", None)
    if values.get("password") is not None:
        refuse_password_by_api_key(actor, values["password"])
        if not current:
            raise ValidationFailed(
                "give your current password to change it", field="current_password"
            )
        if not verify_password(user.password_hash, current):
            raise ValidationFailed("the current password is wrong", field="current_password")
    changes = _apply_user_changes(session, actor, user, values)
    _saved(session, actor, user, changes)
    return user


# ---- API keys -----------------------------------------------------------------------------


def create_api_key(
    session: Session,
    actor: Actor,
    *,
    user_id: uuid.UUID,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key; the token is returned once and only its SHA-256 is stored."""
    if not actor.can("api_key:create"):
        raise PermissionDenied("only admins can issue API keys")
    if actor.api_key_id is not None:
        raise PermissionDenied(
            "an API key cannot issue API keys; sign in to the web UI (Admin, API keys) "
            "or use 'nexa keys create'"
        )
    name = require_one_line(name.strip(), "name")
    if not name or len(name) > 120:
        raise ValidationFailed("give the key a name of 1 to 120 characters", field="name")
    unknown = [s for s in scopes if s != "*" and s not in API_KEY_SCOPES]
    if unknown:
        raise ValidationFailed(f"unknown scope '{unknown[0][:60]}'", field="scopes")
    if not scopes:
        raise ValidationFailed(
            "give at least one scope ('*' for all of the user's permissions)", field="scopes"
        )
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed("expires_at must be in the future", field="expires_at")
    user = session.get(User, user_id)
    if user is None:
        raise ValidationFailed("no such user", field="user_id")
    if not user.is_active:
        raise ValidationFailed("the user is deactivated; a key would not work", field="user_id")
    if user_id != actor.user_id and not actor.is_admin:
        raise PermissionDenied("only admins can issue keys for someone else", field="user_id")
    token = new_api_token()
    key = ApiKey(
        id=uuid.uuid4(),
        name=name,
        user_id=user_id,
        prefix=token[:12],
        token_sha256=token_digest(token),
        scopes=list(dict.fromkeys(scopes)),
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    publish(
        session,
        actor,
        "api_key.created",
        record_type="api_key",
        record_id=key.id,
        payload=ApiKeyCreated(name=name, user_id=str(user_id), scopes=key.scopes),
    )
    return key, token


# ---- one's own API keys (PRODUCT.md: every role has personal keys, within its own
# permissions; the web profile offers them — /api/v1/api-keys stays the admin's) ---------------

KEY_KINDS = ("all", "read")  # all of one's permissions, or only their reading half


def _require_self_service(actor: Actor) -> uuid.UUID:
    if actor.user_id is None or actor.is_system:
        raise PermissionDenied("personal keys belong to a signed-in user")
    if actor.api_key_id is not None:
        raise PermissionDenied("an API key cannot issue API keys; sign in to the web UI")
    return actor.user_id


def my_api_keys(session: Session, actor: Actor) -> list[ApiKey]:
    """The signed-in user's own keys, revoked ones included (newest first)."""
    return UserRepository(session).api_keys(_require_self_service(actor))


def create_my_api_key(
    session: Session, actor: Actor, *, name: str, kind: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A key of one's own: ``all`` of one's permissions ("*": what the role grants, now and
    later) or only the ``read`` ones (each ``…:read`` permission the role grants now). A key
    never holds more than its user: the actor of a key is its user's grants cut to its
    scopes."""
    user_id = _require_self_service(actor)
    if kind not in KEY_KINDS:
        raise ValidationFailed("choose all of your permissions or read only", field="kind")
    if kind == "all" and not any(not p.endswith(":read") for p in actor.grants):
        kind = "read"  # a read-only user's key reads, whatever was asked
    scopes = ["*"] if kind == "all" else sorted(p for p in actor.grants if p.endswith(":read"))
    if not scopes:
        raise ValidationFailed("your role grants nothing a key could read", field="kind")
    return create_api_key(
        session, _issuer(actor), user_id=user_id, name=name, scopes=scopes, expires_at=expires_at
    )


def revoke_my_api_key(session: Session, actor: Actor, key_id: uuid.UUID) -> ApiKey:
    """Revoke one of one's own keys (404 for anyone else's)."""
    user_id = _require_self_service(actor)
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != user_id:
        raise NotFound("no such key of yours")
    return revoke_api_key(session, _issuer(actor), key_id)


def _issuer(actor: Actor) -> Actor:
    """The actor with the key permissions for its own keys only (the checks above hold)."""
    from dataclasses import replace

    grants = {**actor.grants, "api_key:create": Scope.OWN, "api_key:delete": Scope.OWN}
    return replace(actor, grants=grants)


def list_api_keys(
    session: Session, actor: Actor, *, user_id: uuid.UUID | None = None
) -> list[ApiKey]:
    if not actor.can("api_key:read"):
        raise PermissionDenied("only admins can see API keys")
    return UserRepository(session).api_keys(user_id)


def revoke_api_key(session: Session, actor: Actor, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key: later use answers 401. Revoking twice changes nothing."""
    if not actor.can("api_key:delete"):
        raise PermissionDenied("only admins can revoke API keys")
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        publish(
            session,
            actor,
            "api_key.revoked",
            record_type="api_key",
            record_id=key.id,
            changes={"revoked_at": (None, key.revoked_at)},
            payload=ApiKeyRevoked(name=key.name, user_id=str(key.user_id)),
        )
    return key


# ---- roles --------------------------------------------------------------------------------


def role_record_id(name: str) -> uuid.UUID:
    """A stable id for a role (its key is its name), so audit and timeline can name it."""
    return uuid.uuid5(ROLE_NAMESPACE, name)


def list_roles(session: Session, actor: Actor) -> list[Role]:
    if not actor.can("role:read"):
        raise PermissionDenied("only admins can see roles")
    rows = {r.name: r for r in UserRepository(session).roles()}
    order = {name: i for i, name in enumerate(ROLES)}
    return sorted(rows.values(), key=lambda r: (order.get(r.name, len(order)), r.name))


def update_role_grants(
    session: Session,
    actor: Actor,
    name: str,
    grants: dict[str, str],
    *,
    if_match: int | None = None,
) -> Role:
    """Replace a role's grants {permission: scope}; its users get them on their next request."""
    if not actor.can("role:write"):
        raise PermissionDenied("only admins can change roles")
    role = session.get(Role, name)
    if role is None:
        raise NotFound(f"role {name[:40]} not found")
    check_version(role, if_match)
    known = {*ALL_PERMISSIONS, *EXTRA_PERMISSIONS}
    scopes = {s.value for s in Scope}
    for permission, scope in grants.items():
        if permission not in known:
            raise ValidationFailed(
                f"'{permission[:80]}' is not a permission", field=f"grants.{permission[:80]}"
            )
        if scope not in scopes:
            raise ValidationFailed(
                f"scope must be one of {', '.join(sorted(scopes))}", field=f"grants.{permission}"
            )
    if name == "admin":
        for permission in ADMIN_KEEPS:
            if grants.get(permission) != Scope.ALL.value:
                raise Conflict(
                    f"the admin role must keep {permission} on all records, or admins "
                    "could lock themselves out",
                    field=f"grants.{permission}",
                )
    before = role_grants(session, name)
    old = {p: s.value for p, s in before.items()}
    changes = {
        p: (old.get(p), grants.get(p))
        for p in sorted(set(old) | set(grants))
        if old.get(p) != grants.get(p)
    }
    if changes:
        role.grants = dict(grants)  # a new object: the JSON column sees the change
        session.flush()
        publish(
            session,
            actor,
            "role.updated",
            record_type="role",
            record_id=role_record_id(name),
            changes=changes,
            payload=RoleUpdated(name=name),
        )
    return role


# ---- org-wide visibility defaults ---------------------------------------------------------


def get_visibility(session: Session, actor: Actor) -> dict[str, str]:
    if not actor.can("settings:read"):
        raise PermissionDenied("only admins can see organization settings")
    return visibility_defaults(session)


def set_visibility(session: Session, actor: Actor, values: dict[str, str]) -> dict[str, str]:
    """Set the org-wide default of the objects given ({object: private|public_read|
    public_read_write}); the others keep theirs."""
    if not actor.can("settings:write"):
        raise PermissionDenied("only admins can change organization settings")
    for obj, value in values.items():
        if obj not in DEFAULT_VISIBILITY:
            raise ValidationFailed(
                f"'{obj[:60]}' has no visibility setting; "
                f"choose one of {', '.join(DEFAULT_VISIBILITY)}",
                field=obj[:60],
            )
        if value not in VISIBILITY_CHOICES:
            raise ValidationFailed(f"choose one of {', '.join(VISIBILITY_CHOICES)}", field=obj)
    current = visibility_defaults(session)
    changes: dict[str, tuple[Any, Any]] = {}
    for obj, value in values.items():
        if current.get(obj) == value:
            continue
        changes[f"visibility.{obj}"] = (current.get(obj), value)
        row = session.get(OrgSetting, f"visibility.{obj}")
        if row is None:
            session.add(OrgSetting(key=f"visibility.{obj}", value=value))
        else:
            row.value = value
    if changes:
        session.flush()
        publish(
            session,
            actor,
            "settings.updated",
            record_type="settings",
            record_id=None,
            changes=changes,
            payload=SettingsUpdated(name="visibility"),
        )
    return visibility_defaults(session)
