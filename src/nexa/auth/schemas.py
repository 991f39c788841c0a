"""The auth API's request and answer shapes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import Field, create_model, field_validator

from nexa.core.permissions import API_KEY_SCOPES, DEFAULT_VISIBILITY
from nexa.core.schemas import InputModel, OutputModel

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
