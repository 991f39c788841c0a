"""The events about leads: their life cycle (record payload), status moves, conversion,
web form submissions. Routing (``nexa.routing.events``) and scoring
(``nexa.scoring.events``) declare the lead events they publish."""

from __future__ import annotations

from dataclasses import dataclass, field

from nexa.core.events import EventPayload, declare, json_key
from nexa.record.events import declare_lifecycle


@dataclass(frozen=True, kw_only=True)
class LeadStatusChanged(EventPayload):
    name: str
    email: str | None
    company: str | None
    status: str
    from_: str | None = field(metadata=json_key("from"))
    to: str


@dataclass(frozen=True, kw_only=True)
class LeadConverted(EventPayload):
    name: str
    email: str | None
    company: str | None
    from_: str | None = field(metadata=json_key("from"))
    to: str
    contact_id: str | None
    account_id: str | None
    deal_id: str | None
    also_on: list[list[str]]


@dataclass(frozen=True, kw_only=True)
class LeadFormSubmitted(EventPayload):
    name: str
    form_id: str
    form: str
    form_type: str | None
    new_lead: bool


LEAD_EVENTS = [
    *declare_lifecycle("lead", "lead"),
    declare(
        "lead.status_changed",
        payload=LeadStatusChanged,
        permission="lead:read",
        description="A lead's status changed",
    ),
    declare(
        "lead.converted",
        payload=LeadConverted,
        permission="lead:read",
        description="A lead was converted into a contact, an account and a deal",
    ),
    declare(
        "lead.form_submitted",
        payload=LeadFormSubmitted,
        permission="lead:read",
        description="Someone submitted a public web form for this lead",
    ),
]
