from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from nexa.core.fields import (
    MAX_TAGS,
    EmailValue,
    PhoneValue,
    TagList,
    TimeZoneValue,
    UrlValue,
)
from nexa.core.names import person_name
from nexa.core.schemas import InputModel, OutputModel, RecordFlag

LifecycleStage = Literal["subscriber", "lead", "opportunity", "customer", "advocate"]
CustomerStatus = Literal["active", "inactive", "churned"]


class _ContactFields(InputModel):
    email: EmailValue = Field(None, max_length=254, description="Unique among live contacts")
    phone: PhoneValue = Field(None, max_length=40, description="Stored as E.164")
    mobile: PhoneValue = Field(None, max_length=40, description="Stored as E.164")
    time_zone: TimeZoneValue = Field(
        None, max_length=64, description="IANA zone, e.g. Europe/Paris; empty: from the phones"
    )
    title: str | None = Field(None, max_length=150)
    department: str | None = Field(None, max_length=120)
    linkedin_url: UrlValue = Field(None, max_length=500)
    account_id: uuid.UUID | None = Field(None, description="An account you can read")
    reporting_to_id: uuid.UUID | None = Field(None, description="The contact this one reports to")
    lifecycle_stage: LifecycleStage | None = None
    customer_status: CustomerStatus | None = None
    tags: TagList = Field(None, max_length=MAX_TAGS)
    owner_id: uuid.UUID | None = Field(None, description="Reassigning needs contact:reassign")
    custom_fields: dict[str, Any] | None = Field(
        None, description="Values keyed by custom field key"
    )


class ContactCreate(_ContactFields):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)


class ContactUpdate(_ContactFields):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)


class ContactOut(OutputModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    time_zone: str | None = Field(None, description="As set; empty when inferred")
    time_zone_source: Literal["own", "country", "phone", "utc"] = Field(
        "utc", description="Where effective_time_zone comes from"
    )
    effective_time_zone: str = Field(
        "UTC", description="The zone campaigns use: time_zone, else from the phones, else UTC"
    )
    title: str | None = None
    department: str | None = None
    linkedin_url: str | None = None
    account_id: uuid.UUID | None = None
    reporting_to_id: uuid.UUID | None = None
    lifecycle_stage: str
    customer_status: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    owner_id: uuid.UUID | None = None
    last_activity_at: datetime | None = None
    flags: list[RecordFlag] = Field(
        default_factory=list,
        description="Accepted values to look at: a name mixing alphabets within a word",
    )
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


full_name = person_name  # how a contact's name is shown (nexa.core.names)
