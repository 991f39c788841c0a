"""Teams: admins shape the tree; managers see their team and its sub-teams."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.core.records import apply_changes, check_version
from nexa.models import Team, User
from nexa.team.events import TeamCreated, TeamUpdated
from nexa.team.repository import TeamRepository
from nexa.team.schemas import TeamCreate, TeamUpdate

OBJECT = "team"


def member_counts(session: Session, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not team_ids:
        return {}
    return TeamRepository(session).member_counts(team_ids)


def list_teams(session: Session, actor: Actor) -> list[Team]:
    if not actor.can("team:read"):
        raise PermissionDenied("you may not see teams")
    return TeamRepository(session).readable(actor)


def get_team(session: Session, actor: Actor, team_id: uuid.UUID) -> Team:
    if not actor.can("team:read"):
        raise PermissionDenied("you may not see teams")
    team = TeamRepository(session).get(actor, team_id)
    if team is None:
        raise NotFound(f"team {team_id} not found")
    return team


def _check_name(session: Session, name: str, exclude_id: uuid.UUID | None = None) -> None:
    if TeamRepository(session).name_taken(name, exclude_id):
        raise Conflict(f"a team named '{name}' already exists", field="name")


def _check_manager(session: Session, manager_id: uuid.UUID | None) -> None:
    if manager_id is None:
        return
    user = session.get(User, manager_id)
    if user is None or not user.is_active:
        raise ValidationFailed("no active user with this id", field="manager_id")


def _check_parent(session: Session, team_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> None:
    """The parent must exist, and the team must not end up below itself."""
    if parent_id is None:
        return
    parents = TeamRepository(session).parents()
    if parent_id not in parents:
        raise ValidationFailed("no such team", field="parent_id")
    current: uuid.UUID | None = parent_id
    seen: set[uuid.UUID] = set()
    while current is not None and current not in seen:
        if current == team_id:
            raise ValidationFailed(
                "a team cannot be below itself (that would make a cycle)", field="parent_id"
            )
        seen.add(current)
        current = parents.get(current)


def create_team(session: Session, actor: Actor, data: TeamCreate) -> Team:
    if not actor.can("team:create"):
        raise PermissionDenied("only admins can create teams")
    _check_name(session, data.name)
    _check_parent(session, None, data.parent_id)
    _check_manager(session, data.manager_id)
    team = Team(
        id=uuid.uuid4(), name=data.name, parent_id=data.parent_id, manager_id=data.manager_id
    )
    session.add(team)
    session.flush()
    publish(
        session,
        actor,
        "team.created",
        record_type=OBJECT,
        record_id=team.id,
        payload=TeamCreated(name=team.name, parent_id=team.parent_id, manager_id=team.manager_id),
    )
    return team


def update_team(
    session: Session,
    actor: Actor,
    team_id: uuid.UUID,
    data: TeamUpdate,
    *,
    if_match: int | None = None,
) -> Team:
    if not actor.can("team:write"):
        raise PermissionDenied("only admins can change teams")
    team = get_team(session, actor, team_id)
    if not TeamRepository(session).may_write(actor, team.id):
        raise PermissionDenied("you may not change this team")
    check_version(team, if_match)
    values: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "name" in values:
        if values["name"] is None:
            raise ValidationFailed("name cannot be empty", field="name")
        if values["name"].lower() != team.name.lower():
            _check_name(session, values["name"], team.id)
    if "parent_id" in values:
        _check_parent(session, team.id, values["parent_id"])
    if "manager_id" in values and values["manager_id"] != team.manager_id:
        _check_manager(session, values["manager_id"])
    changes = apply_changes(team, values)
    if changes:
        session.flush()
        publish(
            session,
            actor,
            "team.updated",
            record_type=OBJECT,
            record_id=team.id,
            changes=changes,
            payload=TeamUpdated(name=team.name),
        )
    return team
