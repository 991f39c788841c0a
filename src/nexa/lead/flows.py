"""Lead conversion: one transaction that turns a qualified lead into a contact, an account
and (optionally) a deal — creating each or linking to an existing match — and archives the
lead as converted with links to what it became.

Matching (what a user would expect, and what the preview shows before confirming):
* contact: an explicit ``contact_id``, else a live contact with the lead's email;
* account: an explicit ``account_id``, else the matched contact's account, else a live
  account with the lead's company name (case-insensitive), else one whose website has the
  domain of the lead's website or (non-free-mail) email; else a new account named after the
  company (no company → no account).
Matches are looked up among records the actor can read; a twin the actor cannot see (names
and emails are unique) answers 409 naming the field, instead of leaking or duplicating it.

Lead intake (``intake_leads``): every new lead, whoever creates it (the API, the web form,
an import, the demo), goes through the same ordered steps — enrich and score (before the INSERT,
so the row is written once with what they derive), insert and publish ``lead.created``
(audit, timeline, search document, outbox: the cross-cutting subscribers), then route
(which notifies the assignee). One lead is a batch of one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from nexa.account.repository import AccountRepository
from nexa.account.schemas import AccountCreate
from nexa.account.service import create_account
from nexa.contact.repository import ContactRepository
from nexa.contact.schemas import ContactCreate, ContactUpdate
from nexa.contact.service import create_contact, update_contact
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.core.names import person_name
from nexa.core.records import apply_changes
from nexa.deal.schemas import DealCreate
from nexa.deal.service import DealService
from nexa.enrichment.service import enrichment_of_new_leads
from nexa.lead.events import LeadConverted
from nexa.lead.repository import (
    LeadRepository,
    live_account_named,
    readable_account,
    readable_account_named,
    readable_accounts_on_site,
    readable_contact_with_email,
)
from nexa.lead.schemas import full_name
from nexa.models import Account, Contact, Deal, Lead
from nexa.record.service import carry_over, check_reference
from nexa.routing import service as routing
from nexa.scoring.service import record_new_scores, score_new_leads

if TYPE_CHECKING:
    from nexa.lead.service import LeadService

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.ru",
    }
)


@dataclass
class ConversionOptions:
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    create_deal: bool = True
    deal_name: str | None = None
    deal_amount: Decimal | None = None
    deal_currency: str | None = None
    deal_stage: str | None = None
    deal_close_date: date | None = None
    deal_pipeline_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None


@dataclass
class ConversionPlan:
    lead: Lead
    contact: Contact | None
    account: Account | None
    create_contact: bool
    create_account: bool
    create_deal: bool
    account_name: str | None
    deal_name: str | None
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class ConversionResult:
    lead: Lead
    contact: Contact
    account: Account | None
    deal: Deal | None
    created: dict[str, bool]


def _domain(value: str | None) -> str | None:
    if not value:
        return None
    if "@" in value:
        host = value.rsplit("@", 1)[1]
    else:
        host = urlsplit(value if "://" in value else f"https://{value}").hostname or ""
    host = host.lower().removeprefix("www.")
    return host or None


def _lead_domain(lead: Lead) -> str | None:
    site = _domain(lead.website)
    if site:
        return site
    mail = _domain(lead.email)
    return mail if mail and mail not in FREE_MAIL else None


def _match_contact(session: Session, actor: Actor, lead: Lead) -> Contact | None:
    if not lead.email:
        return None
    found = readable_contact_with_email(session, actor, lead.email)
    if found is None and repo_email_taken(session, lead.email):
        raise Conflict(
            f"a contact with email {lead.email} exists that you cannot see; "
            "ask its owner to share it or give contact_id",
            field="contact_id",
        )
    return found


def repo_email_taken(session: Session, email: str) -> bool:
    return ContactRepository(session).email_taken(email)


def _match_account(
    session: Session, actor: Actor, lead: Lead, contact: Contact | None
) -> tuple[Account | None, str]:
    if contact is not None and contact.account_id is not None:
        account = readable_account(session, actor, contact.account_id)
        if account is not None:
            return account, "the contact's account"
    if lead.company:
        by_name = readable_account_named(session, actor, lead.company.strip())
        if by_name is not None:
            return by_name, "same company name"
    domain = _lead_domain(lead)
    if domain:
        for account in readable_accounts_on_site(session, actor, domain, 20):
            if _domain(account.website) == domain:
                return account, f"website domain {domain}"
    if lead.company:
        hidden = live_account_named(session, lead.company.strip())
        if hidden is not None:
            raise Conflict(
                f"an account named {lead.company} exists that you cannot see; "
                "ask its owner to share it or give account_id",
                field="account_id",
            )
    return None, ""


def plan_conversion(
    session: Session, actor: Actor, lead_id: uuid.UUID, options: ConversionOptions
) -> ConversionPlan:
    """What converting would create or link (the preview), with every check of the real
    conversion that needs no writes."""
    lead = LeadRepository(session).get_for(actor, lead_id, "write")
    if lead.status == "converted":
        raise Conflict(
            "this lead was already converted"
            + (f" (to contact {lead.converted_contact_id})" if lead.converted_contact_id else ""),
            field="status",
        )
    if lead.status == "lost":
        raise Conflict("a lost lead cannot be converted; reopen it first", field="status")
    for permission in ("contact:create", "account:create") + (
        ("deal:create",) if options.create_deal else ()
    ):
        if not actor.can(permission):
            raise PermissionDenied(f"converting needs {permission}")
    reasons: dict[str, str] = {}
    if options.contact_id is not None:
        contact = _readable_or_422(
            session, actor, ContactRepository, options.contact_id, "contact_id"
        )
        reasons["contact"] = "chosen"
    else:
        contact = _match_contact(session, actor, lead)
        if contact is not None:
            reasons["contact"] = "same email"
    if options.account_id is not None:
        account = _readable_or_422(
            session, actor, AccountRepository, options.account_id, "account_id"
        )
        reasons["account"] = "chosen"
    else:
        account, why = _match_account(session, actor, lead, contact)
        if account is not None:
            reasons["account"] = why
    account_name = account.name if account else (lead.company.strip() if lead.company else None)
    deal_name = None
    if options.create_deal:
        deal_name = (
            options.deal_name
            or f"{account_name or person_name(lead.first_name, lead.last_name)} - New business"
        )[:200]
    return ConversionPlan(
        lead=lead,
        contact=contact,
        account=account,
        create_contact=contact is None,
        create_account=account is None and account_name is not None,
        create_deal=options.create_deal,
        account_name=account_name,
        deal_name=deal_name,
        reasons=reasons,
    )


def _readable_or_422(
    session: Session, actor: Actor, repository: Any, record_id: uuid.UUID, field_name: str
) -> Any:
    return check_reference(session, actor, repository, record_id, field_name)


def convert_lead(
    session: Session, actor: Actor, lead_id: uuid.UUID, options: ConversionOptions
) -> ConversionResult:
    """Convert in the caller's transaction (the request owns it): all or nothing."""
    plan = plan_conversion(session, actor, lead_id, options)
    lead = plan.lead
    owner_id = options.owner_id or lead.owner_id or actor.user_id
    account = plan.account
    if plan.create_account:
        account = create_account(
            session,
            actor,
            AccountCreate(
                name=plan.account_name,
                industry=lead.industry,
                website=lead.website,
                owner_id=owner_id,
            ),
        )
    contact = plan.contact
    if contact is None:
        contact = create_contact(
            session,
            actor,
            ContactCreate(
                first_name=lead.first_name or "-",
                last_name=lead.last_name,
                email=lead.email,
                phone=lead.phone,
                title=lead.title,
                account_id=account.id if account else None,
                owner_id=owner_id,
            ),
        )
    elif account is not None and contact.account_id is None:
        update_contact(session, actor, contact.id, ContactUpdate(account_id=account.id))
    deal = None
    if plan.create_deal:
        fields: dict[str, Any] = {
            "name": plan.deal_name,
            "account_id": account.id if account else None,
            "primary_contact_id": contact.id,
            "lead_id": lead.id,
            "lead_source": lead.source,
            "owner_id": owner_id,
            "type": "new_business",
        }
        if options.deal_amount is not None:
            fields["amount"] = options.deal_amount
        if options.deal_currency:
            fields["currency"] = options.deal_currency
        if options.deal_stage:
            fields["stage"] = options.deal_stage
        if options.deal_pipeline_id:
            fields["pipeline_id"] = options.deal_pipeline_id
        fields["close_date"] = options.deal_close_date or (date.today() + timedelta(days=90))
        try:
            deal_data = DealCreate(**fields)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else "deal"
            raise ValidationFailed(first["msg"], field=f"deal_{name}") from None
        deal = DealService(session, actor).create(deal_data)
    # the lead's notes, tasks, meetings, calls and emails now belong to the contact; its
    # history shows on the contact, the account and the deal (before lead.converted, which
    # is shown on all of them already)
    carry_over(
        session,
        ("lead", lead.id),
        ("contact", contact.id),
        [
            ("contact", contact.id),
            *([("account", account.id)] if account is not None else []),
            *([("deal", deal.id)] if deal is not None else []),
        ],
    )
    mark_converted(
        session,
        actor,
        lead,
        contact_id=contact.id,
        account_id=account.id if account else None,
        deal_id=deal.id if deal else None,
    )
    return ConversionResult(
        lead=lead,
        contact=contact,
        account=account,
        deal=deal,
        created={
            "contact": plan.create_contact,
            "account": plan.create_account,
            "deal": deal is not None,
        },
    )


def mark_converted(
    session: Session,
    actor: Actor,
    lead: Lead,
    *,
    contact_id: uuid.UUID | None,
    account_id: uuid.UUID | None,
    deal_id: uuid.UUID | None,
) -> Lead:
    """Mark ``lead`` converted (called by the conversion flow, which checks permissions and
    creates the records): links, times, and ``lead.converted`` shown on all the records."""
    if lead.deleted_at is not None:
        raise Conflict("this lead is in the bin; restore it first", field="status")
    if lead.status == "converted":
        raise Conflict("this lead is already converted", field="status")
    before = lead.status
    now = utcnow()
    changes = apply_changes(
        lead,
        {
            "status": "converted",
            "status_changed_at": now,
            "converted_at": now,
            "converted_contact_id": contact_id,
            "converted_account_id": account_id,
            "converted_deal_id": deal_id,
        },
    )
    session.flush()
    also_on = [
        [kind, str(rid)]
        for kind, rid in (("contact", contact_id), ("account", account_id), ("deal", deal_id))
        if rid is not None
    ]
    publish(
        session,
        actor,
        "lead.converted",
        record_type="lead",
        record_id=lead.id,
        changes=changes,
        payload=LeadConverted(
            name=full_name(lead.first_name, lead.last_name),
            email=lead.email,
            company=lead.company,
            from_=before,
            to="converted",
            contact_id=str(contact_id) if contact_id else None,
            account_id=str(account_id) if account_id else None,
            deal_id=str(deal_id) if deal_id else None,
            also_on=also_on,
        ),
    )
    return lead


# ---- lead intake ---------------------------------------------------------------------------

# closed leads (history being imported) are outcomes to learn from, not leads to work:
# they are neither scored nor routed
CLOSED = ("converted", "lost")


def intake_leads(
    service: LeadService,
    rows: list[dict[str, Any]],
    *,
    insert: Callable[[list[dict[str, Any]]], list[Lead] | None] | None = None,
) -> list[Lead] | None:
    """Take in new leads, in order: enrich → score → insert (``lead.created``) → route.

    ``rows``: the column values ``LeadService.new_values`` checked. ``insert`` writes the
    rows and publishes their ``lead.created`` events (default: one ORM insert per lead,
    ``LeadService.insert``; the import's bulk path passes its executemany writer, which
    returns None: nothing loaded). Returns the loaded leads when there are any."""
    session = service.session
    for values, enriched in zip(rows, enrichment_of_new_leads(session, rows), strict=True):
        values.update(enriched)
    scored = [values for values in rows if values.get("status") not in CLOSED]
    score_new_leads(session, scored, now=utcnow())
    todo = [
        routing.should_route_new_lead(
            session,
            service.actor.user_id,
            {"status": values.get("status"), "owner_id": values.get("owner_id")},
        )
        for values in rows
    ]
    # an explicit owner keeps the lead: its SLA clock is set before the INSERT (one write);
    # a lead that routing assigns is inserted unassigned and routed after lead.created,
    # whose subscribers (the owner's notification) must not see the assignee
    started: dict[uuid.UUID, tuple[Lead, routing.Route]] = {}

    def start_clock(lead: Lead) -> None:
        started[lead.id] = (lead, routing.start_route(session, lead, keep_owner=True))

    if insert is not None:
        leads = insert(rows)
    else:
        leads = [
            service.insert(v, before_write=start_clock if what == "clock" else None)
            for v, what in zip(rows, todo, strict=True)
        ]
    record_new_scores(session, scored)
    loaded = {lead.id: lead for lead in leads or []}
    for values, what in zip(rows, todo, strict=True):
        if what is None:
            continue
        if values["id"] in started:
            lead, route = started[values["id"]]
            routing.finish_route(session, lead, route, new=True)
            continue
        found = loaded.get(values["id"]) or routing.lead_for_update(session, values["id"])
        if found is not None:
            routing.route_lead(session, found, keep_owner=what == "clock", new=True)
    return leads


def intake_lead(service: LeadService, values: dict[str, Any]) -> Lead:
    """One new lead through ``intake_leads``."""
    leads = intake_leads(service, [values])
    assert leads is not None
    return leads[0]


__all__ = [
    "ConversionOptions",
    "ConversionPlan",
    "ConversionResult",
    "convert_lead",
    "intake_lead",
    "intake_leads",
    "mark_converted",
    "plan_conversion",
]
