"""/api/v1/api-keys, /api/v1/roles and /api/v1/settings/visibility: the admin's access
controls. Parse, call one service, shape the answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from nexa.api.crud import parse_if_match, with_etag
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import SESSION_ONLY, needs
from nexa.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    RoleOut,
    RoleUpdate,
    VisibilitySettings,
    VisibilityUpdate,
)
from nexa.core.errors import ValidationFailed
from nexa.core.schemas import Problem
from nexa.models import ApiKey, Role
from nexa.user import service

router = APIRouter(
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    }
)

# ---- API keys -----------------------------------------------------------------------------


@router.get(
    "/api-keys",
    response_model=list[ApiKeyOut],
    tags=["api keys"],
    summary="List API keys (never the tokens)",
    openapi_extra=needs("api_key:read"),
)
def list_api_keys(
    session: SessionDep, actor: ActorDep, user_id: Annotated[uuid.UUID | None, Query()] = None
) -> list[ApiKeyOut]:
    return [
        ApiKeyOut.model_validate(k) for k in service.list_api_keys(session, actor, user_id=user_id)
    ]


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    tags=["api keys"],
    summary="Issue an API key (refused to API keys: the web UI or `nexa keys create` do it)",
    openapi_extra=needs(SESSION_ONLY),
)
def create_api_key(body: ApiKeyCreate, session: SessionDep, actor: ActorDep) -> ApiKeyCreated:
    user_id = body.user_id or actor.user_id
    if user_id is None:
        raise ValidationFailed("say whose key this is", field="user_id")
    key, token = service.create_api_key(
        session,
        actor,
        user_id=user_id,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
    )
    return ApiKeyCreated(**_key_data(key), token=token)


def _key_data(key: ApiKey) -> dict[str, Any]:
    return ApiKeyOut.model_validate(key).model_dump()


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    tags=["api keys"],
    summary="Revoke an API key",
    openapi_extra=needs("api_key:delete"),
)
def revoke_api_key(key_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    service.revoke_api_key(session, actor, key_id)
    return Response(status_code=204)


# ---- roles --------------------------------------------------------------------------------


def _role_out(role: Role) -> RoleOut:
    return RoleOut(
        name=role.name,
        label=role.label,
        record_id=service.role_record_id(role.name),
        grants=dict(sorted(role.grants.items())),
        version=role.version,
        updated_at=role.updated_at,
    )


@router.get(
    "/roles",
    response_model=list[RoleOut],
    tags=["roles"],
    summary="Roles and their grants",
    openapi_extra=needs("role:read"),
)
def list_roles(session: SessionDep, actor: ActorDep) -> list[RoleOut]:
    return [_role_out(r) for r in service.list_roles(session, actor)]


@router.patch(
    "/roles/{name}",
    response_model=RoleOut,
    tags=["roles"],
    summary="Replace a role's grants",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
    openapi_extra=needs("role:write"),
)
def update_role(
    name: Annotated[str, Path(max_length=40)],
    body: RoleUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> RoleOut:
    role = service.update_role_grants(
        session, actor, name, body.grants, if_match=parse_if_match(if_match)
    )
    with_etag(response, role.version)
    return _role_out(role)


# ---- org-wide visibility defaults ---------------------------------------------------------


@router.get(
    "/settings/visibility",
    response_model=VisibilitySettings,
    tags=["settings"],
    summary="Org-wide record visibility per object",
    openapi_extra=needs("settings:read"),
)
def get_visibility(session: SessionDep, actor: ActorDep) -> Any:
    return service.get_visibility(session, actor)


@router.put(
    "/settings/visibility",
    response_model=VisibilitySettings,
    tags=["settings"],
    summary="Set org-wide record visibility (private, public_read, public_read_write)",
    openapi_extra=needs("settings:write"),
)
def set_visibility(body: VisibilityUpdate, session: SessionDep, actor: ActorDep) -> Any:
    values = body.model_dump(exclude_none=True)
    return service.set_visibility(session, actor, values)
