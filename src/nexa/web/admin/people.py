"""Admin pages for people: users, teams (a tree) and roles (grants and visibility)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nexa.core.actor import Actor, Scope
from nexa.core.errors import NotFound
from nexa.core.filtering import ListQuery
from nexa.core.permissions import (
    DEFAULT_VISIBILITY,
    EXTRA_PERMISSIONS,
    OBJECTS,
    RECORD_ACTIONS,
    ROLE_LABELS,
    ROLES,
    VISIBILITY_CHOICES,
)
from nexa.models import Role, Team
from nexa.team import service as teams
from nexa.team.schemas import TeamCreate, TeamUpdate
from nexa.user import service as users
from nexa.user.schemas import UserCreate, UserUpdate
from nexa.web.admin.common import (
    CSRF,
    Failure,
    attempt,
    done,
    guard,
    integer,
    page,
    posted,
    text,
)
from nexa.web.choices import user_choices
from nexa.web.pages import PostedForm, WebSession
from nexa.web.references import resolve

router = APIRouter()

UsersActor = Annotated[Actor, Depends(guard("users"))]
TeamsActor = Annotated[Actor, Depends(guard("teams"))]
RolesActor = Annotated[Actor, Depends(guard("roles"))]

ROLE_OPTIONS = [(r, ROLE_LABELS.get(r, r)) for r in ROLES]
USERS_PER_PAGE = 100
SCOPES = tuple(s.value for s in Scope)


# ---- teams as a tree ---------------------------------------------------------------------


def team_paths(all_teams: list[Team]) -> dict[uuid.UUID, str]:
    """Each team's name with its parents ("Sales › East"), for pickers."""
    by_id = {t.id: t for t in all_teams}
    out: dict[uuid.UUID, str] = {}
    for team in all_teams:
        names: list[str] = []
        seen: set[uuid.UUID] = set()
        current: Team | None = team
        while current is not None and current.id not in seen:
            seen.add(current.id)
            names.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id else None
        out[team.id] = " › ".join(reversed(names))
    return out


def team_options(all_teams: list[Team]) -> list[tuple[str, str]]:
    paths = team_paths(all_teams)
    return sorted(((str(tid), path) for tid, path in paths.items()), key=lambda o: o[1].lower())


def team_tree(all_teams: list[Team]) -> list[dict[str, Any]]:
    """Nested nodes {team, children} from the flat list (roots: teams without a visible
    parent); a cycle cannot loop."""
    ids = {t.id for t in all_teams}
    children: dict[uuid.UUID | None, list[Team]] = {}
    for team in all_teams:
        parent = team.parent_id if team.parent_id in ids else None
        children.setdefault(parent, []).append(team)
    seen: set[uuid.UUID] = set()

    def build(parent: uuid.UUID | None) -> list[dict[str, Any]]:
        nodes = []
        for team in sorted(children.get(parent, []), key=lambda t: t.name.lower()):
            if team.id in seen:
                continue
            seen.add(team.id)
            nodes.append({"team": team, "children": build(team.id)})
        return nodes

    return build(None)


# ---- users -------------------------------------------------------------------------------


def _user_filters(role: str | None, active: str | None) -> list[str]:
    filters = []
    if role in ROLES:
        filters.append(f"role:eq:{role}")
    if active in ("true", "false"):
        filters.append(f"is_active:eq:{active}")
    return filters


def _users_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    params = request.query_params
    role = params.get("role") or None
    active = params.get("active") or None
    rows, next_cursor = users.list_users(
        session,
        actor,
        ListQuery(
            filters=_user_filters(role, active),
            sort="full_name",
            cursor=params.get("cursor") or None,
            limit=USERS_PER_PAGE,
        ),
    )
    all_teams = teams.list_teams(session, actor)
    return page(
        request,
        "admin/users.html",
        actor,
        session,
        "users",
        failure=failure,
        rows=rows,
        next_cursor=next_cursor,
        team_names=team_paths(all_teams),
        team_options=team_options(all_teams),
        role_options=ROLE_OPTIONS,
        role_labels=ROLE_LABELS,
        role=role,
        active=active,
        values=values or {"role": "sales_rep", "timezone": "UTC"},
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    session: WebSession,
    actor: UsersActor,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    return _users_page(request, session, actor)


@router.post("/users/new", dependencies=CSRF)
def create_user(
    request: Request, form: PostedForm, session: WebSession, actor: UsersActor
) -> Response:
    values = posted(form, "email", "full_name", "password", "role", "team_id", "timezone")
    user = attempt(
        session,
        lambda: UserCreate.model_validate({k: v for k, v in values.items() if v is not None}),
        lambda body: users.create_user(session, actor, body),
    )
    if isinstance(user, Failure):
        values.pop("password", None)
        return _users_page(request, session, actor, values=values, failure=user)
    return done(request, f"User {user.full_name} created.", f"/admin/users/{user.id}")


def _user_page(
    request: Request,
    session: Session,
    actor: Actor,
    user_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    user = users.get_user(session, actor, user_id)
    all_teams = teams.list_teams(session, actor)
    keys = users.list_api_keys(session, actor, user_id=user.id) if actor.can("api_key:read") else []
    sign_ins = users.sessions_shown(session, actor, user)
    current = {
        "full_name": user.full_name,
        "role": user.role,
        "team_id": str(user.team_id) if user.team_id else None,
        "is_active": user.is_active,
        "timezone": user.timezone,
    }
    return page(
        request,
        "admin/user.html",
        actor,
        session,
        "users",
        failure=failure,
        user=user,
        keys=keys,
        sign_ins=sign_ins,
        team_options=team_options(all_teams),
        role_options=ROLE_OPTIONS,
        values=current | (values or {}),
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_page(
    request: Request, user_id: uuid.UUID, session: WebSession, actor: UsersActor
) -> HTMLResponse:
    return _user_page(request, session, actor, user_id)


@router.post("/users/{user_id}", dependencies=CSRF)
def update_user(
    request: Request, form: PostedForm, user_id: uuid.UUID, session: WebSession, actor: UsersActor
) -> Response:
    values = posted(form, "full_name", "role", "team_id", "timezone", flags=("is_active",))
    user = attempt(
        session,
        lambda: UserUpdate.model_validate(values),
        lambda body: users.update_user(
            session, actor, user_id, body, if_match=integer(form.get("version"))
        ),
    )
    if isinstance(user, Failure):
        return _user_page(request, session, actor, user_id, values=values, failure=user)
    return done(request, f"User {user.full_name} saved.", f"/admin/users/{user.id}")


@router.post("/users/{user_id}/password", dependencies=CSRF)
def reset_password(
    request: Request, form: PostedForm, user_id: uuid.UUID, session: WebSession, actor: UsersActor
) -> Response:
    password = form.get("password")
    user = attempt(
        session,
        # an empty password is refused by the service ("cannot be empty"), on the field
        lambda: UserUpdate.model_validate({"password": password or None}),
        lambda body: users.update_user(session, actor, user_id, body),
    )
    if isinstance(user, Failure):
        return _user_page(request, session, actor, user_id, failure=user)
    return done(request, f"Password of {user.full_name} changed.", f"/admin/users/{user.id}")


@router.post("/users/{user_id}/sessions/end", dependencies=CSRF)
def end_sessions(
    request: Request, user_id: uuid.UUID, session: WebSession, actor: UsersActor
) -> Response:
    """Sign the user out everywhere: each of their web sessions is refused from now on."""
    user = users.get_user(session, actor, user_id)
    ended = users.end_sessions(session, actor, user.id)
    return done(
        request,
        f"Ended {ended} web session{'s' if ended != 1 else ''} of {user.full_name}.",
        f"/admin/users/{user.id}",
    )


# ---- teams -------------------------------------------------------------------------------


def _teams_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    all_teams = teams.list_teams(session, actor)
    counts = teams.member_counts(session, [t.id for t in all_teams])
    managers = resolve(session, actor, [{"user_id": t.manager_id} for t in all_teams], ["user_id"])
    return page(
        request,
        "admin/teams.html",
        actor,
        session,
        "teams",
        failure=failure,
        tree=team_tree(all_teams),
        counts=counts,
        managers=managers,
        team_options=team_options(all_teams),
        user_options=user_choices(session, actor),
        values=values or {},
    )


@router.get("/teams", response_class=HTMLResponse)
def teams_page(request: Request, session: WebSession, actor: TeamsActor) -> HTMLResponse:
    return _teams_page(request, session, actor)


def _team_values(form: Any) -> dict[str, Any]:
    return posted(form, "name", "parent_id", "manager_id")


@router.post("/teams/new", dependencies=CSRF)
def create_team(
    request: Request, form: PostedForm, session: WebSession, actor: TeamsActor
) -> Response:
    values = _team_values(form)
    team = attempt(
        session,
        lambda: TeamCreate.model_validate(values),
        lambda body: teams.create_team(session, actor, body),
    )
    if isinstance(team, Failure):
        return _teams_page(request, session, actor, values=values, failure=team)
    return done(request, f"Team {team.name} created.", "/admin/teams")


def _team_page(
    request: Request,
    session: Session,
    actor: Actor,
    team_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    team = teams.get_team(session, actor, team_id)
    all_teams = teams.list_teams(session, actor)
    members, _ = users.list_users(
        session, actor, ListQuery(filters=[f"team_id:eq:{team.id}"], sort="full_name", limit=200)
    )
    current = {
        "name": team.name,
        "parent_id": str(team.parent_id) if team.parent_id else None,
        "manager_id": str(team.manager_id) if team.manager_id else None,
    }
    return page(
        request,
        "admin/team.html",
        actor,
        session,
        "teams",
        failure=failure,
        team=team,
        members=members,
        team_options=[o for o in team_options(all_teams) if o[0] != str(team.id)],
        user_options=user_choices(session, actor),
        values=current | (values or {}),
    )


@router.get("/teams/{team_id}", response_class=HTMLResponse)
def team_page(
    request: Request, team_id: uuid.UUID, session: WebSession, actor: TeamsActor
) -> HTMLResponse:
    return _team_page(request, session, actor, team_id)


@router.post("/teams/{team_id}", dependencies=CSRF)
def update_team(
    request: Request, form: PostedForm, team_id: uuid.UUID, session: WebSession, actor: TeamsActor
) -> Response:
    values = _team_values(form)
    team = attempt(
        session,
        lambda: TeamUpdate.model_validate(values),
        lambda body: teams.update_team(
            session, actor, team_id, body, if_match=integer(form.get("version"))
        ),
    )
    if isinstance(team, Failure):
        return _team_page(request, session, actor, team_id, values=values, failure=team)
    return done(request, f"Team {team.name} saved.", "/admin/teams")


# ---- roles and visibility ----------------------------------------------------------------


def _roles_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    visibility: dict[str, str] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    roles = users.list_roles(session, actor)
    if visibility is None:
        visibility = users.get_visibility(session, actor) if actor.can("settings:read") else {}
    return page(
        request,
        "admin/roles.html",
        actor,
        session,
        "roles",
        failure=failure,
        roles=roles,
        visibility=visibility,
        visibility_objects=list(DEFAULT_VISIBILITY),
        visibility_choices=VISIBILITY_CHOICES,
    )


@router.get("/roles", response_class=HTMLResponse)
def roles_page(request: Request, session: WebSession, actor: RolesActor) -> HTMLResponse:
    return _roles_page(request, session, actor)


@router.post("/roles/visibility", dependencies=CSRF)
def set_visibility(
    request: Request, form: PostedForm, session: WebSession, actor: RolesActor
) -> Response:
    # objects left out keep their setting, as in the API
    values = {obj: value for obj in DEFAULT_VISIBILITY if (value := text(form, obj)) is not None}
    saved = attempt(
        session, lambda: values, lambda body: users.set_visibility(session, actor, body)
    )
    if isinstance(saved, Failure):
        shown = users.get_visibility(session, actor) | values
        return _roles_page(request, session, actor, visibility=shown, failure=saved)
    return done(request, "Record visibility saved.", "/admin/roles")


def _role(session: Session, actor: Actor, name: str) -> Role:
    for role in users.list_roles(session, actor):
        if role.name == name:
            return role
    raise NotFound(f"role {name} not found")


def _matrix(grants: dict[str, str]) -> list[dict[str, Any]]:
    """One row per object, one cell per action: (permission, scope or "")."""
    return [
        {
            "object": obj,
            "cells": [(f"{obj}:{a}", a, grants.get(f"{obj}:{a}", "")) for a in RECORD_ACTIONS],
        }
        for obj in OBJECTS
    ]


def _role_page(
    request: Request,
    session: Session,
    actor: Actor,
    name: str,
    *,
    grants: dict[str, str] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    role = _role(session, actor, name)
    shown = grants if grants is not None else {p: str(s) for p, s in role.grants.items()}
    return page(
        request,
        "admin/role.html",
        actor,
        session,
        "roles",
        failure=failure,
        role=role,
        matrix=_matrix(shown),
        actions=RECORD_ACTIONS,
        extras=[(p, shown.get(p, "")) for p in EXTRA_PERMISSIONS],
        scopes=SCOPES,
        can_write=actor.can("role:write"),
    )


@router.get("/roles/{name}", response_class=HTMLResponse)
def role_page(
    request: Request,
    name: Annotated[str, Path(max_length=40)],
    session: WebSession,
    actor: RolesActor,
) -> HTMLResponse:
    return _role_page(request, session, actor, name)


@router.post("/roles/{name}", dependencies=CSRF)
def update_role(
    request: Request,
    form: PostedForm,
    name: Annotated[str, Path(max_length=40)],
    session: WebSession,
    actor: RolesActor,
) -> Response:
    grants: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith("g:") and isinstance(value, str) and value:
            grants[key[2:]] = value
    role = attempt(
        session,
        lambda: grants,
        lambda body: users.update_role_grants(
            session, actor, name, body, if_match=integer(form.get("version"))
        ),
    )
    if isinstance(role, Failure):
        return _role_page(request, session, actor, name, grants=grants, failure=role)
    return done(request, f"Grants of {role.label} saved.", f"/admin/roles/{role.name}")
