"""What the enrichment and next-best-action API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from nexa.core.schemas import InputModel, OutputModel


class AccountMatch(OutputModel):
    id: uuid.UUID
    name: str | None = Field(None, description="None when you cannot read the account")


class EnrichmentPreview(OutputModel):
    email_kind: str | None = Field(None, description="business, free, disposable or role")
    email_domain: str | None = None
    company_guess: str | None = Field(None, description="From a business email's domain")
    website_guess: str | None = None
    phone_valid: bool = False
    phone_country: str | None = Field(None, description="ISO 3166 alpha-2")
    phone_line_type: str | None = Field(
        None, description="mobile, fixed_line, fixed_line_or_mobile, toll_free, voip, …"
    )
    phone_e164: str | None = None
    seniority: str | None = Field(
        None, description="c_level, vp, director, manager, senior, entry or other"
    )
    department: str | None = None
    matched_account: AccountMatch | None = Field(
        None, description="A live account on the email's domain that you can read"
    )


class LeadEnrichment(OutputModel):
    lead_id: uuid.UUID
    email_kind: str | None = None
    email_domain: str | None = None
    company: str | None = None
    website: str | None = None
    phone_country: str | None = None
    phone_line_type: str | None = None
    phone_e164: str | None = None
    seniority: str | None = None
    department: str | None = None
    matched_account: AccountMatch | None = None
    changed: list[str] = Field(default_factory=list, description="Fields this run filled")


class NextAction(OutputModel):
    key: str
    title: str
    reason: str
    signal: str = Field(description="The fact behind the suggestion")
    priority: int = Field(ge=0, le=100)
    due_at: datetime = Field(description="Suggested due time (UTC)")
    task_id: uuid.UUID | None = Field(None, description="The open task already made from it")


class NextActionList(OutputModel):
    record_type: str
    record_id: uuid.UUID
    items: list[NextAction]


class ResponseIn(InputModel):
    """What the person did: Use Case 4's ``response``."""

    kind: Literal[
        "replied",
        "opened",
        "clicked",
        "unsubscribed",
        "bounced",
        "booked_meeting",
        "filled_form",
    ]
    channel: Literal["email", "sms", "voice", "linkedin", "web"] = "email"
    text: str | None = Field(None, max_length=20_000, description="A reply's text")


class NextBestActionIn(InputModel):
    response: ResponseIn
    previous_touches: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=1000,
        description="The touch history (crm.leads.touch_history): counted by kind",
    )


class NextBestActionOut(OutputModel):
    record_type: str
    record_id: uuid.UUID
    action: NextAction | None = Field(description="The one to do now (None: nothing to do)")
    params: dict[str, Any] = Field(
        default_factory=dict, description="How to carry it out (the task, stopping sequences)"
    )
    alternatives: list[NextAction] = Field(default_factory=list)
