"""Enrichment of leads from what we hold locally (rules in nexa.intelligence.enrichment).

``enrich_lead`` runs inside the transaction that creates or changes a lead (see
subscribers.py, before the score). It derives the email kind, seniority, department, phone
country and line type, fills company, website and country only where they are empty (what
a person typed is never overwritten) and links the lead to a live account on its business
email's domain (free-mail and disposable addresses never match).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nexa.account.repository import AccountRepository
from nexa.core.actor import Actor
from nexa.core.cache import TableCache
from nexa.core.errors import NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.enrichment.repository import EnrichmentRepository
from nexa.enrichment.schemas import AccountMatch, EnrichmentPreview, LeadEnrichment
from nexa.intelligence.enrichment import enrich, is_company_domain
from nexa.lead.repository import LeadRepository
from nexa.lead.schemas import full_name
from nexa.models import Account, Contact, Lead
from nexa.record.events import RecordPayload

# the lead fields whose change means enrichment runs again
SOURCE_FIELDS = frozenset({"email", "phone", "title", "company", "country", "website"})
# derived fields: always recomputed from the sources
DERIVED_FIELDS = (
    "email_kind",
    "seniority",
    "department",
    "phone_country",
    "phone_line_type",
    "matched_account_id",
)
ENRICHMENT_SOURCE = "enrichment"
DOMAIN_CACHE = "enrichment_domains"
MAX_COMPANY = 200
MAX_WEBSITE = 500


def enrich_lead(session: Session, lead: Lead) -> dict[str, tuple[Any, Any]]:
    """Derive and fill the lead's enrichment fields; the changes, field by field.

    Written with a Core UPDATE, like the score: enrichment is the system's output, not a
    person's edit, so the lead's version (its ETag) does not move and nobody's open edit
    turns into a 412. The loaded lead shows the new values at once.

    A system step (it runs for whoever created the lead): the account match looks at every
    live account; readers see the matched account only if they can read it."""
    found = enrich(email=lead.email, phone=lead.phone, title=lead.title, country=lead.country)
    changes = _changes(session, found, lambda name: getattr(lead, name))
    if changes:
        EnrichmentRepository(session).write_lead(lead.id, {k: v for k, (_, v) in changes.items()})
        for name, (_, value) in changes.items():
            set_committed_value(lead, name, value)  # seen by the loaded lead, not "dirty"
    return changes


def enrichment_of_new_leads(session: Session, leads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ``enrich_lead`` would write on each of these leads right after their insert
    (``leads``: their column values), the batch's email domains matched to accounts
    together: one pass over the accounts' websites and contacts' emails tells which domains
    can match at all, and only those are looked up as ``enrich_lead`` looks them up."""
    found = [
        enrich(email=v.get("email"), phone=v.get("phone"), title=v.get("title"),
               country=v.get("country"))
        for v in leads
    ]  # fmt: skip
    _prime_domains(
        session,
        {f.email_domain for f in found if is_company_domain(f.email_kind) and f.email_domain},
    )
    return [
        {k: new for k, (_, new) in _changes(session, f, values.get).items()}
        for f, values in zip(found, leads, strict=True)
    ]


def _changes(
    session: Session, found: Any, current: Callable[[str], Any]
) -> dict[str, tuple[Any, Any]]:
    """The enrichment fields that differ from ``current`` (name -> value), as (old, new)."""
    account: tuple[uuid.UUID, str] | None = None
    if is_company_domain(found.email_kind) and found.email_domain:
        account = _account_on(session, found.email_domain)
    values: dict[str, Any] = {
        "email_kind": found.email_kind,
        "seniority": found.seniority,
        "department": found.department,
        "phone_country": found.phone_country,
        "phone_line_type": found.phone_line_type,
        "matched_account_id": account[0] if account is not None else None,
    }
    # fill what is empty, never overwrite what a person typed
    company = account[1] if account is not None else found.company_guess
    fills = {
        "company": company[:MAX_COMPANY] if company else None,
        "website": found.website_guess[:MAX_WEBSITE] if found.website_guess else None,
        "country": found.phone_country,
    }
    for name, value in fills.items():
        if value and not (current(name) or "").strip():
            values[name] = value
    return {
        name: (current(name), value) for name, value in values.items() if current(name) != value
    }


# the domains of live accounts' websites and their contacts' emails, read by every lead
# create (core.cache: any account or contact write empties it)
_domains_in_use = TableCache("domains in use", [Account.__tablename__, Contact.__tablename__])


def _prime_domains(session: Session, domains: set[str]) -> None:
    """Fill the transaction's domain cache for ``domains``: ``None`` without a query for
    those no live account website or contact email is on, ``_account_on`` for the rest."""
    cache: dict[str, tuple[uuid.UUID, str] | None] = session.info.setdefault(DOMAIN_CACHE, {})
    missing = domains - cache.keys()
    if not missing:
        return
    in_use = _domains_in_use.get(None, EnrichmentRepository(session).domains_in_use)
    possible = missing if in_use is None else missing & in_use
    for domain in sorted(missing):
        if domain in possible:
            _account_on(session, domain)
        else:
            cache[domain] = None


def _account_on(session: Session, domain: str) -> tuple[uuid.UUID, str] | None:
    """(id, name) of the account on ``domain``, remembered for the session's transaction
    (an import enriches many leads of the same companies); any account or contact event
    forgets it (subscribers.py)."""
    cache: dict[str, tuple[uuid.UUID, str] | None] = session.info.setdefault(DOMAIN_CACHE, {})
    if domain not in cache:
        account = EnrichmentRepository(session).account_for_domain(domain)
        cache[domain] = (account.id, account.name) if account is not None else None
    return cache[domain]


def forget_domains(session: Session) -> None:
    session.info.pop(DOMAIN_CACHE, None)


def _match_for(session: Session, actor: Actor, account_id: uuid.UUID | None) -> AccountMatch | None:
    if account_id is None:
        return None
    try:
        account = AccountRepository(session).get(actor, account_id)
    except NotFound:
        return AccountMatch(id=account_id, name=None)
    return AccountMatch(id=account.id, name=account.name)


def preview(
    session: Session,
    actor: Actor,
    *,
    email: str | None = None,
    phone: str | None = None,
    title: str | None = None,
    country: str | None = None,
) -> EnrichmentPreview:
    """What enrichment would derive from these values (GET /enrichment/preview)."""
    if not actor.can("lead:read"):
        raise PermissionDenied("you may not read leads")
    if country is not None and country.strip():
        country = country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationFailed(
                "use a two-letter ISO 3166 country code such as DE or US", field="country"
            )
    found = enrich(email=email, phone=phone, title=title, country=country or None)
    match = None
    if is_company_domain(found.email_kind) and found.email_domain:
        account = EnrichmentRepository(session).account_for_domain(found.email_domain)
        if account is not None:
            visible = _match_for(session, actor, account.id)
            match = visible if visible is not None and visible.name is not None else None
    return EnrichmentPreview(**found.as_dict(), matched_account=match)


def _view(
    session: Session, actor: Actor, lead: Lead, changed: list[str] | None = None
) -> LeadEnrichment:
    found = enrich(email=lead.email, phone=lead.phone, title=lead.title, country=lead.country)
    return LeadEnrichment(
        lead_id=lead.id,
        email_kind=lead.email_kind,
        email_domain=found.email_domain,
        company=lead.company,
        website=lead.website,
        phone_country=lead.phone_country,
        phone_line_type=lead.phone_line_type,
        phone_e164=found.phone_e164,
        seniority=lead.seniority,
        department=lead.department,
        matched_account=_match_for(session, actor, lead.matched_account_id),
        changed=changed or [],
    )


def lead_enrichment(session: Session, actor: Actor, lead_id: uuid.UUID) -> LeadEnrichment:
    """What we know about a lead the actor can read (the "What we know" panel)."""
    lead = LeadRepository(session).get(actor, lead_id)
    return _view(session, actor, lead)


def reenrich_lead(session: Session, actor: Actor, lead_id: uuid.UUID) -> LeadEnrichment:
    """Run enrichment again on a lead the actor may write (POST /leads/{id}/enrich). Filled
    fields are published as ``lead.updated`` (timeline, audit, and a new score)."""
    lead = LeadRepository(session).get_for(actor, lead_id, "write")
    if lead.status == "converted":
        raise ValidationFailed("this lead was converted; enrich its contact instead")
    changes = enrich_lead(session, lead)
    if changes:
        publish(
            session,
            actor,
            "lead.updated",
            record_type="lead",
            record_id=lead.id,
            changes=changes,
            payload=RecordPayload(
                name=full_name(lead.first_name, lead.last_name),
                details={"email": lead.email, "company": lead.company, "status": lead.status},
                source=ENRICHMENT_SOURCE,
            ),
        )
    return _view(session, actor, lead, sorted(changes))
