"""Who is acting: a user, a user through an API key, or the system.

Permissions are strings ``"<object>:<action>"`` (``"contact:write"``); each grant has a
scope: ``own`` (records the actor owns, widened by the object's org-wide default and record
teams), ``team`` (records owned by anyone in the actor's team and sub-teams) or ``all``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Scope(StrEnum):
    OWN = "own"
    TEAM = "team"
    ALL = "all"


SCOPE_RANK = {Scope.OWN: 1, Scope.TEAM: 2, Scope.ALL: 3}


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    role: str
    grants: dict[str, Scope] = field(default_factory=dict)
    team_member_ids: frozenset[uuid.UUID] = frozenset()
    team_ids: frozenset[uuid.UUID] = frozenset()
    display_name: str = ""
    api_key_id: uuid.UUID | None = None
    # the key's scopes when acting through an API key ("*" = all of the user's permissions);
    # None for a signed-in user, the CLI or the system
    key_scopes: frozenset[str] | None = None
    is_system: bool = False
    # org-wide default per object: "private" | "public_read" | "public_read_write"
    visibility: dict[str, str] = field(default_factory=dict)

    def scope_for(self, permission: str) -> Scope | None:
        if self.is_system:
            return Scope.ALL
        return self.grants.get(permission)

    def can(self, permission: str) -> bool:
        return self.scope_for(permission) is not None

    @property
    def is_admin(self) -> bool:
        return self.is_system or self.role == "admin"


SYSTEM = Actor(user_id=None, role="system", is_system=True, display_name="Nexa")
