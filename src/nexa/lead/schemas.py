"""Leads, lead sources and web forms: request and response shapes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from nexa.core.fields import (
    MAX_TAGS,
    EmailValue,
    PhoneValue,
    TagList,
    TimeZoneValue,
    UrlValue,
)
from nexa.core.money import Amount
from nexa.core.money import CurrencyCode as Currency
from nexa.core.names import person_name
from nexa.core.schemas import InputModel, OutputModel, RecordFlag
from nexa.deal.schemas import StageKey

LeadStatus = Literal["new", "contacted", "qualified", "converted", "lost"]
CompanySize = Literal["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"]
SourceKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{2,40}$")]


class _LeadFields(InputModel):
    email: EmailValue = Field(None, max_length=254, description="Unique among live leads")
    phone: PhoneValue = Field(None, max_length=40, description="Stored as E.164")
    company: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=150)
    industry: str | None = Field(None, max_length=120)
    company_size: CompanySize | None = None
    website: UrlValue = Field(None, max_length=500)
    country: str | None = Field(None, description="ISO 3166 alpha-2 code")
    time_zone: TimeZoneValue = Field(
        None,
        max_length=64,
        description="IANA zone, e.g. Europe/Paris; empty: inferred from country and phone",
    )
    source: SourceKey | None = Field(None, description="An active lead source key")
    status: LeadStatus | None = Field(
        None, description="new, contacted, qualified or lost (converted only by conversion)"
    )
    lost_reason: str | None = Field(None, max_length=500, description="Required for lost")
    description: str | None = Field(None, max_length=50_000)
    tags: TagList = Field(None, max_length=MAX_TAGS)
    last_contacted_at: datetime | None = None
    owner_id: uuid.UUID | None = Field(None, description="Reassigning needs lead:reassign")
    custom_fields: dict[str, Any] | None = Field(
        None, description="Values keyed by custom field key"
    )

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if not v:
            return None
        code = v.upper()
        if len(code) != 2 or not code.isascii() or not code.isalpha():
            raise ValueError("use a two-letter ISO 3166 country code such as DE or US")
        return code

    @field_validator("last_contacted_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2026-01-31T09:00:00Z)")
        return v


class LeadCreate(_LeadFields):
    first_name: str | None = Field(None, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    allow_duplicates: bool = Field(
        False, description="Create even when similar leads or contacts exist (not stored)"
    )


class LeadUpdate(_LeadFields):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)


class ScoreFactor(OutputModel):
    feature: str
    label: str = Field(description='In words, e.g. "Referral source"')
    points: int = Field(description="Score points this factor adds (negative: takes away)")


class LeadOut(OutputModel):
    id: uuid.UUID
    first_name: str | None = None
    last_name: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    industry: str | None = None
    company_size: str | None = None
    website: str | None = None
    country: str | None = None
    time_zone: str | None = Field(None, description="As set; empty when inferred")
    time_zone_source: Literal["own", "country", "phone", "utc"] = Field(
        "utc", description="Where effective_time_zone comes from"
    )
    effective_time_zone: str = Field(
        "UTC",
        description="The zone campaigns use: time_zone, else inferred from country and phone,"
        " else UTC",
    )
    source: str | None = None
    status: str
    status_changed_at: datetime | None = None
    lost_reason: str | None = None
    score: int | None = Field(None, description="0-100; see score_factors for why")
    score_probability: float | None = Field(
        None, description="Calibrated conversion probability (learned models only)"
    )
    score_model_version: str | None = None
    scored_at: datetime | None = None
    score_factors: list[ScoreFactor] = Field(default_factory=list)
    routing_rule: str | None = None
    routing_segment: str | None = None
    routed_at: datetime | None = None
    sla_priority: str | None = None
    sla_due_at: datetime | None = None
    sla_breached: bool = False
    first_response_at: datetime | None = None
    email_kind: str | None = None
    seniority: str | None = None
    department: str | None = None
    phone_country: str | None = None
    phone_line_type: str | None = None
    matched_account_id: uuid.UUID | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    last_contacted_at: datetime | None = None
    converted_at: datetime | None = None
    converted_contact_id: uuid.UUID | None = None
    converted_account_id: uuid.UUID | None = None
    converted_deal_id: uuid.UUID | None = None
    web_form_id: uuid.UUID | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    owner_id: uuid.UUID | None = None
    flags: list[RecordFlag] = Field(
        default_factory=list,
        description="Accepted values to look at: a name mixing alphabets within a word",
    )
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class DuplicateCandidateOut(OutputModel):
    record_type: Literal["lead", "contact"]
    id: uuid.UUID
    name: str
    email: str | None = None
    company: str | None = None
    reason: str


class DuplicateList(OutputModel):
    items: list[DuplicateCandidateOut]


# ---- lead sources ------------------------------------------------------------------------


class LeadSourceCreate(InputModel):
    key: SourceKey = Field(description="Stable slug: a-z, 0-9 and _, 2 to 40 characters")
    label: str = Field(min_length=1, max_length=100)


class LeadSourceOut(OutputModel):
    key: str
    label: str
    is_builtin: bool
    active: bool


# ---- web forms ---------------------------------------------------------------------------

FormFieldType = Literal["text", "email", "tel", "textarea", "select"]
FieldKey = Annotated[str, StringConstraints(pattern=r"^(custom\.)?[a-z][a-z0-9_]{0,59}$")]
Host = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        max_length=253,
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$",
    ),
]


class FormField(InputModel):
    key: FieldKey = Field(description="A lead field (email, company …) or custom.<key>")
    label: str = Field(min_length=1, max_length=120)
    required: bool = False
    type: FormFieldType = "text"
    options: list[Annotated[str, StringConstraints(min_length=1, max_length=120)]] | None = Field(
        None, max_length=200, description="Choices of a select"
    )

    @model_validator(mode="after")
    def _options(self) -> FormField:
        if self.type == "select" and not self.options:
            raise ValueError("a select needs options")
        if self.type != "select" and self.options:
            raise ValueError("only a select has options")
        return self


class _WebFormFields(InputModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    fields: list[FormField] | None = Field(None, min_length=1, max_length=50)
    source: SourceKey | None = None
    form_type: str | None = Field(None, max_length=60)
    assign_to_id: uuid.UUID | None = None
    redirect_url: str | None = Field(None, max_length=500)
    success_message: str | None = Field(None, max_length=500)
    honeypot_field: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{1,39}$")
    rate_limit_per_hour: int | None = Field(None, ge=1, le=10_000)
    active: bool | None = None


class WebFormCreate(_WebFormFields):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    fields: list[FormField] = Field(min_length=1, max_length=50)
    source: SourceKey = "website"


class WebFormUpdate(_WebFormFields):
    pass


class WebFormOut(OutputModel):
    id: uuid.UUID
    name: str
    slug: str
    fields: list[dict[str, Any]]
    source: str
    form_type: str | None = None
    assign_to_id: uuid.UUID | None = None
    redirect_url: str | None = None
    success_message: str | None = None
    honeypot_field: str
    rate_limit_per_hour: int
    active: bool
    submission_count: int
    public_url: str
    version: int
    created_at: datetime
    updated_at: datetime


class WebFormSettings(InputModel):
    redirect_hosts: list[Host] = Field(
        default_factory=list, max_length=100, description="Hosts a form may redirect to"
    )


class WebFormSettingsOut(OutputModel):
    redirect_hosts: list[str]


full_name = person_name  # how a lead's name is shown (nexa.core.names)


class LeadConvert(InputModel):
    """Convert a lead: link to (or create) a contact and an account, optionally a deal."""

    account_id: uuid.UUID | None = Field(None, description="Link to this account (else matched)")
    contact_id: uuid.UUID | None = Field(None, description="Link to this contact (else matched)")
    create_deal: bool = True
    deal_name: str | None = Field(None, min_length=1, max_length=200)
    deal_amount: Amount | None = None
    deal_currency: Currency | None = None
    deal_stage: StageKey | None = None
    deal_close_date: date | None = None
    deal_pipeline_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = Field(None, description="Owner of what is created")


class ConversionPreview(OutputModel):
    lead_id: uuid.UUID
    contact_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    create_contact: bool
    create_account: bool
    create_deal: bool
    account_name: str | None = None
    deal_name: str | None = None
    reasons: dict[str, str] = Field(default_factory=dict)


class ConversionOut(OutputModel):
    lead: LeadOut
    contact: dict[str, Any]
    account: dict[str, Any] | None = None
    deal: dict[str, Any] | None = None
    created: dict[str, bool]
