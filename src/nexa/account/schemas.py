from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from nexa.core.fields import PhoneValue, UrlValue
from nexa.core.schemas import (
    MAX_INT,
    Address,
    InputModel,
    Money,
    MoneyInput,
    OutputModel,
    RecordFlag,
)

AccountType = Literal["prospect", "customer", "partner", "vendor"]
AccountTier = Literal["enterprise", "mid-market", "smb", "startup"]


class _AccountFields(InputModel):
    industry: str | None = Field(None, max_length=120)
    type: AccountType | None = None
    website: UrlValue = Field(None, max_length=500)
    phone: PhoneValue = Field(None, max_length=40)
    employees: int | None = Field(None, ge=0, le=MAX_INT)
    annual_revenue: MoneyInput | None = None
    tier: AccountTier | None = None
    parent_id: uuid.UUID | None = None
    primary_contact_id: uuid.UUID | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    description: str | None = Field(None, max_length=20_000)
    owner_id: uuid.UUID | None = Field(None, description="Reassigning needs account:reassign")
    account_team: list[uuid.UUID] | None = Field(
        None, max_length=50, description="Users who share this account"
    )
    custom_fields: dict[str, Any] | None = Field(
        None, description="Values keyed by custom field key"
    )


class AccountCreate(_AccountFields):
    name: str = Field(min_length=1, max_length=200)


class AccountUpdate(_AccountFields):
    name: str | None = Field(None, min_length=1, max_length=200)


class AccountOut(OutputModel):
    id: uuid.UUID
    name: str
    account_number: str
    industry: str | None = None
    type: str
    website: str | None = None
    phone: str | None = None
    employees: int | None = None
    annual_revenue: Money | None = None
    tier: str | None = None
    parent_id: uuid.UUID | None = None
    primary_contact_id: uuid.UUID | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    description: str | None = None
    health_score: int | None = None
    owner_id: uuid.UUID | None = None
    account_team: list[uuid.UUID] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    flags: list[RecordFlag] = Field(
        default_factory=list,
        description="Accepted values to look at: a name mixing alphabets within a word",
    )
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class AccountRollup(OutputModel):
    account_id: uuid.UUID
    name: str
    child_accounts: int = Field(description="Direct children")
    descendant_accounts: int = Field(description="All accounts below, at any depth")
    contacts: int = Field(description="Contacts of this account alone")
    contacts_rolled_up: int = Field(description="Contacts of this account and every descendant")
    employees_rolled_up: int
    annual_revenue_rolled_up: Money | None = None
    deal_currency: str = Field(description="The organization's currency: deal totals are in it")
    deals_total: Decimal = Field(description="This account's live deals (any stage)")
    closed_won_total: Decimal = Field(description="This account's closed-won deals")
    open_pipeline: Decimal = Field(description="This account's open deals")
    open_weighted: Decimal = Field(description="This account's open deals × probability")
    deals_total_rolled_up: Decimal = Field(description="Deals of this account and descendants")
    closed_won_total_rolled_up: Decimal
    open_pipeline_rolled_up: Decimal
    open_weighted_rolled_up: Decimal


class AccountTreeNode(OutputModel):
    id: uuid.UUID
    name: str
    account_number: str
    type: str
    contacts_rolled_up: int
    children: list[AccountTreeNode] = Field(default_factory=list)
