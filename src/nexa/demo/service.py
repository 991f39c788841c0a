"""The demo organization, built through the same services the API uses.

Everything is generated from a fixed seed (Faker ``en_US``, seed 2026), so the same sizes give
the same records every time. Each record is looked up by its natural key before it is created
(users by email, teams and accounts by name, contacts by email): a second run creates nothing,
and a run that stopped half-way is completed by the next one.

Records are created by the services with the demo admin as the actor, so audit rows, timeline
entries and outbox rows exist exactly as if a person had typed them. The caller hands in a
unit of work (``session_scope``): each batch of records is one transaction.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from faker import Faker
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nexa.account.schemas import AccountCreate
from nexa.account.service import create_account
from nexa.auth.service import actor_for
from nexa.config import get_settings
from nexa.core.actor import SYSTEM, Actor
from nexa.core.batches import chunks
from nexa.core.db import utcnow
from nexa.core.repository import unscoped
from nexa.core.schemas import Address, MoneyInput
from nexa.core.text import text_key
from nexa.models import Account, Contact, OrgSetting, Team, User
from nexa.user.schemas import UserCreate
from nexa.user.service import create_user

DEMO_PASSWORD = "nexa-demo-2026"  # noqa: S105  (printed on screen: a demo, not a secret)
ADMIN_EMAIL = "admin@demo.nexa"
SEED = 2026
DEFAULT_ACCOUNTS = 300
DEFAULT_CONTACTS = 600
DEFAULT_LEADS = 150
DEFAULT_DEALS = 80
BATCH_SIZE = 100

# Contacts are created by nexa.contact.service when it can be imported; set this to False to
# force plain rows (no audit or timeline entries) — see _contact_writer().
USE_CONTACT_SERVICE = True

UnitOfWork = Callable[[], AbstractContextManager[Session]]
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages are "users", "accounts" and "contacts"."""


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str
    team: str | None
    sells: bool = False  # owns demo accounts and contacts


DEMO_TEAMS: tuple[tuple[str, str | None], ...] = (
    ("Sales", None),
    ("Sales East", "Sales"),
    ("Sales West", "Sales"),
)
TEAM_MANAGERS = {"Sales": "manager@demo.nexa"}

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(ADMIN_EMAIL, "Jordan Blake", "admin", None),
    DemoUser("manager@demo.nexa", "Morgan Reyes", "manager", "Sales"),
    DemoUser("priya.shah@demo.nexa", "Priya Shah", "sales_rep", "Sales East", sells=True),
    DemoUser("daniel.kim@demo.nexa", "Daniel Kim", "sales_rep", "Sales East", sells=True),
    DemoUser("sofia.alvarez@demo.nexa", "Sofia Alvarez", "sales_rep", "Sales West", sells=True),
    DemoUser("marcus.webb@demo.nexa", "Marcus Webb", "sales_rep", "Sales West", sells=True),
    DemoUser("support@demo.nexa", "Hannah Olsen", "support_agent", None),
    DemoUser("marketing@demo.nexa", "Leo Martins", "marketer", None),
    DemoUser("readonly@demo.nexa", "Grace Chen", "read_only", None),
)


@dataclass
class DemoReport:
    users_created: int = 0
    teams_created: int = 0
    accounts_created: int = 0
    contacts_created: int = 0
    products_created: int = 0
    leads_created: int = 0
    deals_created: int = 0
    users: int = 0
    accounts: int = 0
    contacts: int = 0
    contacts_written_by: str = "service"

    @property
    def created_anything(self) -> bool:
        return bool(
            self.users_created
            or self.teams_created
            or self.accounts_created
            or self.leads_created
            or self.deals_created
            or self.contacts_created
        )


# ---- the plan: plain data, generated from the seed --------------------------------------


@dataclass
class AccountPlan:
    name: str
    industry: str
    type: str
    tier: str
    employees: int
    revenue: Decimal
    website: str
    phone: str
    address: dict[str, str]
    owner_email: str
    parent: str | None = None
    description: str | None = None

    @property
    def domain(self) -> str:
        return self.website.removeprefix("https://").removeprefix("www.").split("/")[0]


@dataclass
class ContactPlan:
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    department: str
    account: str
    owner_email: str
    lifecycle_stage: str
    customer_status: str | None
    reports_to: str | None = None  # email of the manager contact


@dataclass
class DemoPlan:
    accounts: list[AccountPlan] = field(default_factory=list)
    contacts: list[ContactPlan] = field(default_factory=list)


INDUSTRIES = (
    "Software",
    "Manufacturing",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Logistics",
    "Telecommunications",
    "Energy",
    "Education",
    "Construction",
    "Media",
    "Hospitality",
    "Biotechnology",
    "Professional Services",
    "Automotive",
    "Agriculture",
)
INDUSTRY_WORDS = {
    "Software": ("Software", "Systems", "Analytics", "Cloud", "Labs"),
    "Manufacturing": ("Manufacturing", "Industries", "Fabrication", "Components"),
    "Financial Services": ("Capital", "Financial", "Advisors", "Partners"),
    "Healthcare": ("Health", "Medical", "Care Partners", "Clinics"),
    "Retail": ("Outfitters", "Supply", "Market", "Stores"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Distribution"),
    "Telecommunications": ("Networks", "Communications", "Telecom"),
    "Energy": ("Energy", "Power", "Solar", "Utilities"),
    "Education": ("Learning", "Academy", "Education"),
    "Construction": ("Builders", "Construction", "Engineering"),
    "Media": ("Media", "Studios", "Publishing"),
    "Hospitality": ("Hospitality", "Hotels", "Resorts"),
    "Biotechnology": ("Biosciences", "Therapeutics", "Genomics"),
    "Professional Services": ("Consulting", "Associates", "Group"),
    "Automotive": ("Motors", "Automotive", "Mobility"),
    "Agriculture": ("Farms", "Agritech", "Growers"),
}
ACCOUNT_TYPES = (("prospect", 50), ("customer", 35), ("partner", 10), ("vendor", 5))
EMPLOYEE_BANDS = ((3, 19), (20, 199), (200, 999), (1000, 20000))
EMPLOYEE_BAND_WEIGHTS = (20, 40, 28, 12)
SUBSIDIARY_SUFFIXES = (
    "Europe",
    "Canada",
    "Services",
    "Digital",
    "Mexico",
    "Japan",
    "Labs",
    "Holdings",
)
# Area codes of real cities; every number uses the 555-01xx range reserved for fiction.
US_AREA_CODES = (
    "212",
    "415",
    "312",
    "617",
    "206",
    "512",
    "303",
    "404",
    "305",
    "213",
    "646",
    "702",
    "215",
    "612",
    "503",
    "919",
    "615",
    "713",
    "801",
    "858",
)
SENIOR_TITLES = (
    ("Chief Executive Officer", "Executive"),
    ("Chief Technology Officer", "Engineering"),
    ("Chief Financial Officer", "Finance"),
    ("VP of Sales", "Sales"),
    ("VP of Operations", "Operations"),
    ("VP of Marketing", "Marketing"),
    ("Head of IT", "IT"),
    ("Director of Procurement", "Procurement"),
)
STAFF_TITLES = (
    ("Sales Manager", "Sales"),
    ("Account Executive", "Sales"),
    ("Procurement Manager", "Procurement"),
    ("IT Manager", "IT"),
    ("Software Engineer", "Engineering"),
    ("Marketing Manager", "Marketing"),
    ("Operations Analyst", "Operations"),
    ("Financial Analyst", "Finance"),
    ("Office Manager", "Operations"),
    ("Product Manager", "Product"),
    ("Customer Success Manager", "Customer Success"),
    ("HR Business Partner", "Human Resources"),
    ("Data Analyst", "IT"),
    ("Buyer", "Procurement"),
)
LEGAL_WORDS = {
    "and",
    "inc",
    "llc",
    "plc",
    "ltd",
    "group",
    "co",
    "corporation",
    "corp",
    "the",
    "sons",
}


def _tier(employees: int) -> str:
    if employees >= 1000:
        return "enterprise"
    if employees >= 200:
        return "mid-market"
    if employees >= 20:
        return "smb"
    return "startup"


def _slug(name: str) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in LEGAL_WORDS]
    return "-".join(words[:3]) or "company"


class _Generator:
    def __init__(self, seed: int) -> None:
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.names: set[str] = set()
        self.emails: set[str] = set()

    # -- numbers and places --
    def phone(self, country: str) -> str:
        if country == "GB":  # Ofcom's drama range, 020 7946 0000-0999
            return f"+44207946{self.rng.randint(0, 999):04d}"
        if country == "AU":  # ACMA's fictional range, (02) 5550 xxxx
            return f"+6125550{self.rng.randint(0, 9999):04d}"
        return f"+1{self.rng.choice(US_AREA_CODES)}55501{self.rng.randint(0, 99):02d}"

    def us_address(self) -> dict[str, str]:
        return {
            "street": self.fake.street_address(),
            "city": self.fake.city(),
            "state": self.fake.state_abbr(
                include_territories=False, include_freely_associated_states=False
            ),
            "postal_code": self.fake.postcode(),
            "country": "US",
        }

    # -- accounts --
    def unique_name(self, candidate: str) -> str | None:
        key = candidate.lower()
        if key in self.names or len(candidate) > 200:
            return None
        self.names.add(key)
        return candidate

    def company_name(self, industry: str) -> str:
        while True:
            if self.rng.random() < 0.5:
                candidate = self.fake.company()
            else:
                word = self.rng.choice(INDUSTRY_WORDS[industry])
                candidate = f"{self.fake.last_name()} {word}"
                if self.rng.random() < 0.3:
                    candidate += self.rng.choice((" Inc", " LLC", " Group", " Co"))
            if "acme" in candidate.lower():
                continue
            name = self.unique_name(candidate)
            if name:
                return name

    def account(
        self,
        name: str,
        owner_email: str,
        *,
        industry: str | None = None,
        parent: str | None = None,
        employees: int | None = None,
        type_: str | None = None,
    ) -> AccountPlan:
        industry = industry or self.rng.choice(INDUSTRIES)
        if employees is None:
            low, high = self.rng.choices(EMPLOYEE_BANDS, weights=EMPLOYEE_BAND_WEIGHTS)[0]
            employees = self.rng.randint(low, high)
        revenue = Decimal(int(employees * self.rng.uniform(90_000, 320_000)) // 1000 * 1000)
        account_type = (
            type_
            or self.rng.choices(
                [t for t, _ in ACCOUNT_TYPES], weights=[w for _, w in ACCOUNT_TYPES]
            )[0]
        )
        return AccountPlan(
            name=name,
            industry=industry,
            type=account_type,
            tier=_tier(employees),
            employees=employees,
            revenue=revenue,
            website=f"https://www.{_slug(name)}.com",
            phone=self.phone("US"),
            address=self.us_address(),
            owner_email=owner_email,
            parent=parent,
            description=f"{self.fake.catch_phrase()}.",
        )

    # -- contacts --
    def email(self, first: str, last: str, domain: str) -> str:
        local = (
            ".".join(re.sub(r"[^a-z0-9]", "", part.lower()) for part in (first, last)) or "contact"
        )
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate)
        return candidate

    def lifecycle(self, account_type: str) -> tuple[str, str | None]:
        if account_type == "customer":
            stage = self.rng.choices(("customer", "advocate"), weights=(8, 2))[0]
            status = self.rng.choices(("active", "inactive", "churned"), weights=(85, 10, 5))[0]
            return stage, status
        if account_type == "prospect":
            return self.rng.choices(("subscriber", "lead", "opportunity"), weights=(2, 5, 3))[
                0
            ], None
        return self.rng.choice(("subscriber", "lead")), None


def _acme_family(gen: _Generator, owner: str) -> list[AccountPlan]:
    acme = gen.account(
        "Acme Corporation", owner, industry="Manufacturing", employees=18500, type_="customer"
    )
    acme.website = "https://www.acme-corporation.com"
    acme.revenue = Decimal("4200000000")
    acme.description = (
        "Global manufacturer of industrial equipment; parent of three regional subsidiaries."
    )
    acme.address = {
        "street": "1 Acme Plaza",
        "city": "Chicago",
        "state": "IL",
        "postal_code": "60601",
        "country": "US",
    }
    acme.phone = "+13125550100"
    usa = gen.account(
        "Acme USA",
        owner,
        industry="Manufacturing",
        parent=acme.name,
        employees=9200,
        type_="customer",
    )
    usa.website = "https://us.acme-corporation.com"
    uk = gen.account(
        "Acme UK",
        owner,
        industry="Manufacturing",
        parent=acme.name,
        employees=3100,
        type_="customer",
    )
    uk.website = "https://uk.acme-corporation.com"
    uk.phone = gen.phone("GB")
    uk.address = {
        "street": "12 Fleet Street",
        "city": "London",
        "postal_code": "EC4Y 1AA",
        "country": "GB",
    }
    apac = gen.account(
        "Acme APAC",
        owner,
        industry="Manufacturing",
        parent=acme.name,
        employees=2400,
        type_="customer",
    )
    apac.website = "https://apac.acme-corporation.com"
    apac.phone = gen.phone("AU")
    apac.address = {
        "street": "200 George Street",
        "city": "Sydney",
        "state": "NSW",
        "postal_code": "2000",
        "country": "AU",
    }
    family = [acme, usa, uk, apac]
    gen.names.update(plan.name.lower() for plan in family)
    return family


def plan_demo(
    n_accounts: int = DEFAULT_ACCOUNTS, n_contacts: int = DEFAULT_CONTACTS, seed: int = SEED
) -> DemoPlan:
    """The demo records as plain data; the same arguments always give the same plan."""
    gen = _Generator(seed)
    reps = [u.email for u in DEMO_USERS if u.sells]
    plan = DemoPlan()
    accounts = plan.accounts
    if n_accounts > 0:
        accounts.extend(_acme_family(gen, reps[0])[:n_accounts])
    while len(accounts) < n_accounts:
        owner = gen.rng.choice(reps)
        industry = gen.rng.choice(INDUSTRIES)
        parent = gen.account(gen.company_name(industry), owner, industry=industry)
        accounts.append(parent)
        # About one group in twelve has subsidiaries of its own.
        if parent.tier in ("enterprise", "mid-market") and gen.rng.random() < 0.25:
            stem = (
                " ".join(w for w in parent.name.split() if w.lower().strip(",") not in LEGAL_WORDS)
                or parent.name
            )
            for suffix in gen.rng.sample(SUBSIDIARY_SUFFIXES, gen.rng.randint(1, 3)):
                if len(accounts) >= n_accounts:
                    break
                name = gen.unique_name(f"{stem} {suffix}")
                if name is None:
                    continue
                child = gen.account(
                    name,
                    owner,
                    industry=industry,
                    parent=parent.name,
                    employees=max(20, parent.employees // gen.rng.randint(3, 8)),
                    type_=parent.type,
                )
                accounts.append(child)
    plan.contacts = _plan_contacts(gen, accounts, n_contacts)
    return plan


def _plan_contacts(
    gen: _Generator, accounts: Sequence[AccountPlan], n_contacts: int
) -> list[ContactPlan]:
    if not accounts or n_contacts <= 0:
        return []
    counts = [0] * len(accounts)
    for i in range(min(n_contacts, len(accounts))):
        counts[i] = 1
    weights = [max(1.0, a.employees**0.35) for a in accounts]
    for i in gen.rng.choices(
        range(len(accounts)), weights=weights, k=max(0, n_contacts - len(accounts))
    ):
        counts[i] += 1
    contacts: list[ContactPlan] = []
    for account, count in zip(accounts, counts, strict=True):
        country = account.address.get("country", "US")
        senior_email: str | None = None
        for k in range(count):
            first, last = gen.fake.first_name(), gen.fake.last_name()
            title, department = gen.rng.choice(SENIOR_TITLES if k == 0 else STAFF_TITLES)
            stage, status = gen.lifecycle(account.type)
            email = gen.email(first, last, account.domain)
            contacts.append(
                ContactPlan(
                    first_name=first,
                    last_name=last,
                    email=email,
                    phone=gen.phone(country),
                    title=title,
                    department=department,
                    account=account.name,
                    owner_email=account.owner_email,
                    lifecycle_stage=stage,
                    customer_status=status,
                    reports_to=senior_email,
                )
            )
            if k == 0:
                senior_email = email
    return contacts


# ---- writing it -------------------------------------------------------------------------


def _noop(stage: str, done: int, total: int) -> None:
    return None


def build_demo(
    unit_of_work: UnitOfWork,
    *,
    accounts: int = DEFAULT_ACCOUNTS,
    contacts: int = DEFAULT_CONTACTS,
    seed: int = SEED,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    sales: bool = True,
) -> DemoReport:
    """Create what is missing of the demo organization; one transaction per batch."""
    report_progress = progress or _noop
    plan = plan_demo(accounts, contacts, seed)
    report = DemoReport()
    with unit_of_work() as session:
        user_ids = _ensure_users(session, report, report_progress)
        admin = session.get(User, user_ids[ADMIN_EMAIL])
        actor = actor_for(session, admin) if admin is not None and admin.role == "admin" else SYSTEM
        _ensure_profile(session)
    account_ids = _ensure_accounts(
        unit_of_work, actor, plan.accounts, user_ids, report, report_progress, batch_size
    )
    _ensure_contacts(
        unit_of_work,
        actor,
        plan.contacts,
        user_ids,
        account_ids,
        report,
        report_progress,
        batch_size,
    )
    if sales:
        from nexa.demo.sales import build_sales

        report_progress("sales", 0, 1)
        reps = [user_ids[u.email] for u in DEMO_USERS if u.sells and u.email in user_ids]
        with unit_of_work() as session:
            sales_report = build_sales(
                session, actor, reps, seed, leads=DEFAULT_LEADS, deals=DEFAULT_DEALS
            )
        report.products_created = sales_report.products
        report.leads_created = sales_report.leads
        report.deals_created = sales_report.deals
        with unit_of_work() as session:
            settle_notifications(session)
        report_progress("sales", 1, 1)
    with unit_of_work() as session:
        report.users = session.scalar(select(func.count()).select_from(User)) or 0
        report.accounts = (
            session.scalar(
                unscoped(
                    select(func.count()).select_from(Account).where(Account.deleted_at.is_(None))
                )
            )
            or 0
        )
        report.contacts = (
            session.scalar(
                unscoped(
                    select(func.count()).select_from(Contact).where(Contact.deleted_at.is_(None))
                )
            )
            or 0
        )
    return report


def _ensure_profile(session: Session) -> None:
    """The seller on the demo's quotes (kept when an admin has set one)."""
    from nexa.metadata import organization

    if session.get(OrgSetting, organization.PROFILE_KEY) is not None:
        return
    organization.set_profile(
        session,
        SYSTEM,
        organization.OrganizationProfileIn(
            name=get_settings().org_name,
            address="500 Market Street, Suite 1200\nSan Francisco, CA 94105\nUnited States",
            email="sales@nexa-demo.example",
            phone="+1 415 555 0100",
            website="https://nexa-demo.example",
            tax_id="EIN 12-3456789",
            quote_terms="Payment due within 30 days of invoice. Prices exclude applicable taxes.",
            quote_valid_days=30,
        ),
    )


DEMO_UNREAD = 5  # a rep starts the demo with a handful of unread notifications


def settle_notifications(session: Session, keep: int = DEMO_UNREAD) -> int:
    """Mark each user's notifications read but the newest ``keep``: building the demo
    assigns every rep dozens of records at once, which no real morning does. Returns how
    many were marked read."""
    from nexa.models import Notification

    rows = session.execute(
        select(Notification.id, Notification.user_id)
        .where(Notification.read_at.is_(None))
        .order_by(Notification.user_id, Notification.created_at.desc(), Notification.id)
    ).all()
    seen: dict[uuid.UUID, int] = {}
    older = []
    for note_id, user_id in rows:
        seen[user_id] = seen.get(user_id, 0) + 1
        if seen[user_id] > keep:
            older.append(note_id)
    now = utcnow()
    for start in range(0, len(older), 500):
        session.execute(
            update(Notification)
            .where(Notification.id.in_(older[start : start + 500]))
            .values(read_at=now)
        )
    return len(older)


def _team_service() -> Any | None:
    """nexa.team.service when it can be imported (team events and audit rows), else None."""
    try:
        from nexa.team import service
    except ModuleNotFoundError as exc:
        if exc.name != "nexa.team.service":
            raise
        return None
    return service


def _create_team(session: Session, name: str, parent_id: uuid.UUID | None) -> Team:
    teams = _team_service()
    if teams is not None:
        from nexa.team.schemas import TeamCreate

        team: Team = teams.create_team(session, SYSTEM, TeamCreate(name=name, parent_id=parent_id))
        return team
    team = Team(id=uuid.uuid4(), name=name, parent_id=parent_id)
    session.add(team)
    session.flush()
    return team


def _set_team_manager(session: Session, team: Team, manager_id: uuid.UUID) -> None:
    teams = _team_service()
    if teams is not None:
        from nexa.team.schemas import TeamUpdate

        teams.update_team(session, SYSTEM, team.id, TeamUpdate(manager_id=manager_id))
    else:
        team.manager_id = manager_id


def _ensure_users(session: Session, report: DemoReport, progress: Progress) -> dict[str, uuid.UUID]:
    teams: dict[str, Team] = {}
    for name, parent in DEMO_TEAMS:
        found = session.scalars(select(Team).where(Team.name_key == text_key(name))).first()
        if found is None:
            found = _create_team(session, name, teams[parent].id if parent else None)
            report.teams_created += 1
        teams[name] = found
    user_ids: dict[str, uuid.UUID] = {}
    for done, spec in enumerate(DEMO_USERS, start=1):
        user = session.scalars(select(User).where(User.email_key == text_key(spec.email))).first()
        if user is None:
            user = create_user(
                session,
                SYSTEM,
                UserCreate(
                    email=spec.email,
                    full_name=spec.full_name,
                    role=spec.role,
                    team_id=teams[spec.team].id if spec.team else None,
                    password=DEMO_PASSWORD,
                ),
            )
            report.users_created += 1
        user_ids[spec.email] = user.id
        progress("users", done, len(DEMO_USERS))
    for team_name, manager_email in TEAM_MANAGERS.items():
        if teams[team_name].manager_id is None:
            _set_team_manager(session, teams[team_name], user_ids[manager_email])
    session.flush()
    return user_ids


def _ensure_accounts(
    unit_of_work: UnitOfWork,
    actor: Actor,
    plans: Sequence[AccountPlan],
    user_ids: dict[str, uuid.UUID],
    report: DemoReport,
    progress: Progress,
    batch_size: int,
) -> dict[str, uuid.UUID]:
    """Returns the id of every planned account, keyed by lower-cased name."""
    ids: dict[str, uuid.UUID] = {}
    done = 0
    for chunk in chunks(plans, batch_size):
        with unit_of_work() as session:
            names = [p.name.lower() for p in chunk]
            rows = session.execute(
                unscoped(  # a natural-key lookup over every record, on purpose
                    # demo names are ASCII: lower() is their key (nexa.core.text)
                    select(Account.name_key, Account.id).where(
                        Account.name_key.in_(names), Account.deleted_at.is_(None)
                    )
                )
            ).all()
            ids.update({name: account_id for name, account_id in rows})
            for p in chunk:
                key = p.name.lower()
                if key not in ids:
                    parent_id = ids.get(p.parent.lower()) if p.parent else None
                    account = create_account(
                        session,
                        actor,
                        AccountCreate(
                            name=p.name,
                            industry=p.industry,
                            type=p.type,
                            tier=p.tier,
                            website=p.website,
                            phone=p.phone,
                            employees=p.employees,
                            annual_revenue=MoneyInput(amount=p.revenue, currency="USD"),
                            billing_address=Address(**p.address),
                            parent_id=parent_id,
                            owner_id=user_ids[p.owner_email],
                            description=p.description,
                        ),
                    )
                    ids[key] = account.id
                    report.accounts_created += 1
                done += 1
                progress("accounts", done, len(plans))
    return ids


ContactWriter = Callable[[Session, Actor, dict[str, Any]], uuid.UUID]


def _contact_writer() -> tuple[ContactWriter, str]:
    """The contact service when it exists (audit + timeline), else plain rows."""
    if USE_CONTACT_SERVICE:
        try:
            from nexa.contact.schemas import ContactCreate
            from nexa.contact.service import create_contact
        except ModuleNotFoundError as exc:
            if exc.name not in ("nexa.contact.service", "nexa.contact.schemas"):
                raise
        else:

            def via_service(session: Session, actor: Actor, values: dict[str, Any]) -> uuid.UUID:
                return create_contact(session, actor, ContactCreate(**values)).id

            return via_service, "service"
    return _insert_contact_row, "direct rows"


def _insert_contact_row(session: Session, actor: Actor, values: dict[str, Any]) -> uuid.UUID:
    contact = Contact(id=uuid.uuid4(), tags=[], custom_fields={}, **values)
    session.add(contact)
    session.flush()
    return contact.id


def _ensure_contacts(
    unit_of_work: UnitOfWork,
    actor: Actor,
    plans: Sequence[ContactPlan],
    user_ids: dict[str, uuid.UUID],
    account_ids: dict[str, uuid.UUID],
    report: DemoReport,
    progress: Progress,
    batch_size: int,
) -> None:
    write, report.contacts_written_by = _contact_writer()
    ids: dict[str, uuid.UUID] = {}
    done = 0
    for chunk in chunks(plans, batch_size):
        with unit_of_work() as session:
            emails = [p.email for p in chunk] + [p.reports_to for p in chunk if p.reports_to]
            rows = session.execute(
                unscoped(  # a natural-key lookup over every record, on purpose
                    select(Contact.email_key, Contact.id).where(
                        Contact.email_key.in_(emails), Contact.deleted_at.is_(None)
                    )
                )
            ).all()
            ids.update({email: contact_id for email, contact_id in rows})
            for p in chunk:
                if p.email not in ids:
                    ids[p.email] = write(
                        session,
                        actor,
                        {
                            "first_name": p.first_name,
                            "last_name": p.last_name,
                            "email": p.email,
                            "phone": p.phone,
                            "title": p.title,
                            "department": p.department,
                            "account_id": account_ids.get(p.account.lower()),
                            "reporting_to_id": ids.get(p.reports_to) if p.reports_to else None,
                            "lifecycle_stage": p.lifecycle_stage,
                            "customer_status": p.customer_status,
                            "owner_id": user_ids[p.owner_email],
                        },
                    )
                    report.contacts_created += 1
                done += 1
                progress("contacts", done, len(plans))
