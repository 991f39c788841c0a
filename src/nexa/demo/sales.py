"""The demo organization's sales data: a price book, a web form, leads in every status and
source, and deals across the pipeline (with their stage history, closed-won effects,
tasks, notes and meetings) — all written through the services, so audit rows, timelines
and the search index are what real use would leave. Idempotent: skipped when leads exist."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.repository import unscoped
from nexa.models import Account, Contact, Lead

PRODUCTS = (
    ("Nexa Starter (per seat, monthly)", "NX-START", "monthly", Decimal("29"), Decimal("27")),
    ("Nexa Growth (per seat, monthly)", "NX-GROW", "monthly", Decimal("59"), Decimal("55")),
    ("Nexa Enterprise (annual)", "NX-ENT", "annual", Decimal("50000"), Decimal("46000")),
    ("Onboarding package", "NX-ONB", "one_time", Decimal("2500"), Decimal("2300")),
)
LEAD_SOURCES = ("website", "referral", "event", "cold_call", "social_media")
INDUSTRIES = ("Software", "Manufacturing", "Healthcare", "Retail", "Finance", "Logistics")
SIZES = ("11-50", "51-200", "201-500", "501-1000", "1001-5000")
OPEN_STAGES = ("prospecting", "qualification", "proposal", "negotiation")
LOST_REASONS = ("No budget", "Chose a competitor", "No decision", "Timing")
COMPETITORS = ("HubSpot", "Salesforce", "Pipedrive", "Zoho")
PLANS = ("Growth plan", "Enterprise plan", "Renewal")


@dataclass
class SalesReport:
    products: int = 0
    leads: int = 0
    deals: int = 0


def build_sales(
    session: Session, actor: Actor, rep_ids: list[uuid.UUID], seed: int, leads: int, deals: int
) -> SalesReport:
    from nexa.deal.schemas import DealCreate
    from nexa.deal.service import DealService
    from nexa.deal.stages import move_stage
    from nexa.lead.schemas import LeadCreate, WebFormCreate
    from nexa.lead.service import LeadService
    from nexa.lead.webform import create_form
    from nexa.meeting.schemas import MeetingCreate
    from nexa.meeting.service import MeetingService
    from nexa.note.schemas import NoteCreate
    from nexa.note.service import NoteService
    from nexa.product.schemas import ProductCreate
    from nexa.product.service import ProductService
    from nexa.task.schemas import TaskCreate
    from nexa.task.service import TaskService

    report = SalesReport()
    if session.scalar(unscoped(select(func.count()).select_from(Lead))):
        return report
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    products = ProductService(session, actor)
    for name, sku, period, usd, eur in PRODUCTS:
        products.create(
            ProductCreate(
                name=name,
                sku=sku,
                billing_period=period,
                prices=[
                    {"currency": "USD", "unit_price": usd},
                    {"currency": "EUR", "unit_price": eur},
                ],
            )
        )
        report.products += 1
    create_form(
        session,
        actor,
        WebFormCreate(
            name="Request a demo",
            slug="request-demo",
            source="website",
            form_type="demo_request",
            assign_to_id=rep_ids[0],
            fields=[
                {"key": "first_name", "label": "First name", "required": True},
                {"key": "last_name", "label": "Last name", "required": True},
                {"key": "email", "label": "Work email", "type": "email", "required": True},
                {"key": "company", "label": "Company", "required": True},
                {"key": "title", "label": "Job title"},
            ],
        ),
    )
    lead_service = LeadService(session, actor)
    for i in range(leads):
        first, last = fake.first_name(), fake.last_name()
        company = fake.company()
        status = rng.choices(("new", "contacted", "qualified", "lost"), weights=(5, 4, 2, 2))[0]
        lead_service.create(
            LeadCreate(
                first_name=first,
                last_name=last,
                email=f"{first}.{last}.{i}@{_domain(company)}".lower(),
                company=company,
                title=rng.choice(("CEO", "VP Sales", "Head of Operations", "IT Manager", "CFO")),
                industry=rng.choice(INDUSTRIES),
                company_size=rng.choice(SIZES),
                source=rng.choice(LEAD_SOURCES),
                status=status,
                lost_reason=rng.choice(LOST_REASONS) if status == "lost" else None,
                owner_id=rng.choice(rep_ids),
                allow_duplicates=True,
            )
        )
        report.leads += 1
    accounts = session.execute(
        unscoped(
            select(Account.id, Account.name, Account.owner_id).where(Account.parent_id.is_(None))
        )
    ).all()[: max(deals, 1)]
    contacts = dict(
        session.execute(
            unscoped(select(Contact.account_id, Contact.id).where(Contact.account_id.is_not(None)))
        ).all()
    )
    deal_service = DealService(session, actor)
    tasks, notes, meetings = (
        TaskService(session, actor),
        NoteService(session, actor),
        MeetingService(session, actor),
    )
    today = date.today()
    for i, (account_id, account_name, owner_id) in enumerate(accounts[:deals]):
        owner = owner_id or rng.choice(rep_ids)
        amount = Decimal(rng.randrange(5, 120)) * 1000
        deal = deal_service.create(
            DealCreate(
                name=f"{account_name} - {rng.choice(PLANS)}",
                amount=amount,
                stage="prospecting",
                close_date=today + timedelta(days=rng.randint(-20, 120)),
                type=rng.choice(("new_business", "upsell", "renewal")),
                account_id=account_id,
                primary_contact_id=contacts.get(account_id),
                competitors=[rng.choice(COMPETITORS)] if rng.random() < 0.4 else [],
                owner_id=owner,
            )
        )
        target = rng.choices(
            (*OPEN_STAGES, "closed_won", "closed_lost"), weights=(3, 3, 3, 2, 2, 2)
        )[0]
        path = [s for s in OPEN_STAGES[1:] if OPEN_STAGES.index(s) <= _rank(target)]
        for stage in path:
            move_stage(session, actor, deal, stage)
        if target in ("closed_won", "closed_lost"):
            reason = rng.choice(LOST_REASONS) if target == "closed_lost" else None
            move_stage(session, actor, deal, target, lost_reason=reason)
        else:
            tasks.create(
                TaskCreate(
                    title=f"Follow up with {account_name}",
                    due_at=utcnow() + timedelta(days=rng.randint(-3, 10)),
                    priority=rng.choice(("normal", "high")),
                    related_type="deal",
                    related_id=deal.id,
                    owner_id=owner,
                )
            )
        if i % 3 == 0:
            notes.create(
                NoteCreate(
                    body=f"Spoke with the buying committee at {account_name}; budget confirmed.",
                    related_type="deal",
                    related_id=deal.id,
                    owner_id=owner,
                )
            )
        if i % 4 == 0:
            start = utcnow() + timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 6))
            meetings.create(
                MeetingCreate(
                    title=f"Demo for {account_name}",
                    starts_at=start,
                    ends_at=start + timedelta(minutes=45),
                    related_type="deal",
                    related_id=deal.id,
                    owner_id=owner,
                )
            )
        report.deals += 1
    return report


def _rank(stage: str) -> int:
    return OPEN_STAGES.index(stage) if stage in OPEN_STAGES else len(OPEN_STAGES) - 1


def _domain(company: str) -> str:
    words = "".join(ch for ch in company.lower() if ch.isalnum() or ch == " ").split()
    return f"{'-'.join(words[:2]) or 'example'}.example"


__all__: list[Any] = ["SalesReport", "build_sales"]
