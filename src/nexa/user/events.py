"""The events users, API keys, roles and organization settings publish."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class UserCreated(EventPayload):
    name: str
    email: str
    role: str


@dataclass(frozen=True, kw_only=True)
class UserUpdated(EventPayload):
    name: str


@dataclass(frozen=True, kw_only=True)
class SessionsEnded(EventPayload):
    name: str
    count: int  # how many web sessions were live


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(EventPayload):
    name: str
    user_id: str
    scopes: list[str] | None


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(EventPayload):
    name: str
    user_id: str


@dataclass(frozen=True, kw_only=True)
class RoleUpdated(EventPayload):
    name: str


@dataclass(frozen=True, kw_only=True)
class SettingsUpdated(EventPayload):
    name: str  # which group of settings ("visibility")


declare(
    "user.created", payload=UserCreated, permission="user:read", description="A user was created"
)
declare("user.updated", payload=UserUpdated, permission="user:read", description="A user changed")
declare(
    "user.sessions_ended",
    payload=SessionsEnded,
    permission="user:read",
    description="A user's web sessions were ended (they must sign in again)",
)
declare(
    "api_key.created",
    payload=ApiKeyCreated,
    permission="api_key:read",
    description="An API key was issued",
)
declare(
    "api_key.revoked",
    payload=ApiKeyRevoked,
    permission="api_key:read",
    description="An API key was revoked",
)
declare(
    "role.updated",
    payload=RoleUpdated,
    permission="role:read",
    description="A role's grants changed",
)
declare(
    "settings.updated",
    payload=SettingsUpdated,
    permission="settings:read",
    description="An organization setting changed",
)
