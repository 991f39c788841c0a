"""/api/v1/api-keys, /api/v1/roles and /api/v1/settings/visibility: the admin's access
controls. Parse, call one service, shape the answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import Field, create_model, field_validator

from nexa.api.crud import parse_if_match, with_etag
from nexa.api.deps import ActorDep, SessionDep
from nexa.core.errors import ValidationFailed
from nexa.core.permissions import API_KEY_SCOPES, DEFAULT_VISIBILITY
from nexa.core.schemas import InputModel, OutputModel, Problem
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


# Checked by the service (one clear message); the enum documents the accepted values.
ScopeName = Annotated[
    str, Field(min_length=1, max_length=80, json_schema_extra={"enum": ["*", *API_KEY_SCOPES]})
]


class ApiKeyCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    user_id: uuid.UUID | None = Field(
        None, description="Whose permissions the key carries; default: me"
    )
    scopes: list[ScopeName] = Field(
        min_length=1,
        max_length=400,
        description='Permissions such as "contact:read", or ["*"] for all the user\'s permissions',
    )
    expires_at: datetime | None = Field(
        None, description="UTC unless a zone is given; must be in the future"
    )

    @field_validator("expires_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        try:
            return (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC)
        except OverflowError:
            raise ValueError("the date is out of range") from None


class ApiKeyOut(OutputModel):
    id: uuid.UUID
    name: str
    user_id: uuid.UUID
    prefix: str = Field(description="The first characters of the token, to recognise it")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="Shown once: only its SHA-256 is stored")


@router.get(
    "/api-keys",
    response_model=list[ApiKeyOut],
    tags=["api keys"],
    summary="List API keys (never the tokens)",
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
    summary="Issue an API key; the token is in this answer only",
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
    "/api-keys/{key_id}", status_code=204, tags=["api keys"], summary="Revoke an API key"
)
def revoke_api_key(key_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    service.revoke_api_key(session, actor, key_id)
    return Response(status_code=204)


# ---- roles --------------------------------------------------------------------------------


class RoleOut(OutputModel):
    name: str
    label: str
    record_id: uuid.UUID = Field(description="Names the role in the audit log")
    grants: dict[str, Literal["own", "team", "all"]] = Field(description="{permission: scope}")
    version: int
    updated_at: datetime


class RoleUpdate(InputModel):
    grants: dict[str, str] = Field(
        max_length=1000,
        description='Replaces every grant: {"deal:write": "team", ...}; scopes own, team or all',
    )


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
    "/roles", response_model=list[RoleOut], tags=["roles"], summary="Roles and their grants"
)
def list_roles(session: SessionDep, actor: ActorDep) -> list[RoleOut]:
    return [_role_out(r) for r in service.list_roles(session, actor)]


@router.patch(
    "/roles/{name}",
    response_model=RoleOut,
    tags=["roles"],
    summary="Replace a role's grants",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
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

Visibility = Literal["private", "public_read", "public_read_write"]

VisibilityUpdate = create_model(
    "VisibilityUpdate",
    __base__=InputModel,
    __doc__="The org-wide default of each object to change; objects left out keep theirs.",
    **{obj: (Visibility | None, None) for obj in DEFAULT_VISIBILITY},  # type: ignore[call-overload]
)
VisibilitySettings = create_model(
    "VisibilitySettings",
    __doc__="Who may see records they do not own, per object.",
    **{obj: (Visibility, ...) for obj in DEFAULT_VISIBILITY},  # type: ignore[call-overload]
)


@router.get(
    "/settings/visibility",
    response_model=VisibilitySettings,
    tags=["settings"],
    summary="Org-wide record visibility per object",
)
def get_visibility(session: SessionDep, actor: ActorDep) -> Any:
    return service.get_visibility(session, actor)


@router.put(
    "/settings/visibility",
    response_model=VisibilitySettings,
    tags=["settings"],
    summary="Set org-wide record visibility (private, public_read, public_read_write)",
)
def set_visibility(body: VisibilityUpdate, session: SessionDep, actor: ActorDep) -> Any:
    values = body.model_dump(exclude_none=True)
    return service.set_visibility(session, actor, values)
