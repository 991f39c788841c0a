"""Who may own a record: the one owner-assignment rule every owned object shares.

A user may always keep a record for themselves; handing it to someone else needs
``<object>:reassign``, and a team-scoped grant (a manager) reaches only the team. The
kernel knows no models, so the caller passes how to load a user
(``lambda uid: session.get(User, uid)``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from nexa.core.actor import Actor, Scope
from nexa.core.errors import PermissionDenied, ValidationFailed


def check_owner(
    actor: Actor,
    object_name: str,
    owner_id: uuid.UUID,
    *,
    current: uuid.UUID | None,
    load_user: Callable[[uuid.UUID], Any],
) -> None:
    """Refuse giving a ``object_name`` record to ``owner_id`` unless ``actor`` may.

    403 (field ``owner_id``) when the actor may not assign to that person, 422 when no
    active user has that id. Keeping the current owner is always allowed.
    """
    if owner_id == current:
        return
    reassign = actor.scope_for(f"{object_name}:reassign")
    if owner_id != actor.user_id and reassign is None:
        raise PermissionDenied("you may not assign records to someone else", field="owner_id")
    user = load_user(owner_id)
    if user is None or not user.is_active:
        raise ValidationFailed("no active user with this id", field="owner_id")
    if (
        reassign is Scope.TEAM
        and owner_id != actor.user_id
        and owner_id not in actor.team_member_ids
    ):
        raise PermissionDenied("you can assign only to members of your team", field="owner_id")
