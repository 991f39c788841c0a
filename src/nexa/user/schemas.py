from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from nexa.core.fields import normalise_email, single_script
from nexa.core.schemas import InputModel, OutputModel

RoleName = Literal["admin", "manager", "sales_rep", "support_agent", "marketer", "read_only"]

DateFormat = Literal["iso", "us", "eu", "long"]


class UserCreate(InputModel):
    email: str = Field(max_length=254)
    full_name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(
        None, min_length=10, max_length=200, description="At least 10 characters"
    )
    role: RoleName = "sales_rep"
    team_id: uuid.UUID | None = None
    timezone: str = Field("UTC", max_length=60)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return normalise_email(v)

    @field_validator("full_name")
    @classmethod
    def _name(cls, v: str) -> str:
        return single_script(v)


class UserUpdate(InputModel):
    full_name: str | None = Field(None, min_length=1, max_length=200)
    role: RoleName | None = None
    team_id: uuid.UUID | None = None
    is_active: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=200)
    timezone: str | None = Field(None, max_length=60)

    @field_validator("full_name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return single_script(v) if v else v


class UserOut(OutputModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: str
    team_id: uuid.UUID | None = None
    is_active: bool
    timezone: str
    date_format: str = "iso"
    notify_by_email: bool = False
    last_login_at: datetime | None = None
    locked_until: datetime | None = None
    version: int
    created_at: datetime


class MeUpdate(InputModel):
    """What everyone may change about themselves; role, team and activity are refused."""

    full_name: str | None = Field(None, min_length=1, max_length=200)
    timezone: str | None = Field(
        None, min_length=1, max_length=60, description="IANA zone, e.g. Europe/Paris"
    )

    notify_by_email: bool | None = Field(
        None, description="Each notification also comes by email (when email is set up)"
    )
    date_format: DateFormat | None = Field(
        None, description="iso 2026-12-07, us 12/07/2026, eu 07/12/2026, long 7 Dec 2026"
    )

    @field_validator("full_name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return single_script(v) if v else v

    password: str | None = Field(
        None,
        min_length=10,
        max_length=200,
        description="Needs current_password; never with an API key (sign in to the web UI)",
    )
    current_password: str | None = Field(None, max_length=1000)


class MeOut(UserOut):
    permissions: dict[str, str] = Field(
        default_factory=dict, description="{permission: scope} in effect"
    )


class WebSessionOut(OutputModel):
    """A live web sign-in (the token itself is never shown, nor kept)."""

    created_at: datetime
    last_seen_at: datetime = Field(description="Updated at most every few minutes")
    expires_at: datetime
    client: str = Field(description="The address it signed in from")
    user_agent: str


class SessionsEndedOut(OutputModel):
    ended: int = Field(description="How many web sessions were live and are now ended")
