"""A realistic organization at scale, for benchmarks: ``nexa demo --size medium``.

Built on top of the ordinary demo (its users, teams, pipeline and price book) and written as
plain rows in bulk (Core ``INSERT`` … executemany, a few thousand rows a statement), not through
the services: a million contacts through the services would take hours. What the services
would have left beside each record is written too, in bulk: timeline entries, stage history,
line items, tasks, calls, meetings, notes and the global-search documents (the search index
follows them: FTS5 triggers on SQLite, a generated ``tsvector`` on PostgreSQL).

Everything comes from one seeded ``random.Random``: the same size and seed give the same
organization. Lead outcomes depend on the leads' features (source, company size, seniority,
industry) and deal outcomes on theirs (amount, competitors, activity), so the intelligence has
something real to learn. The size is remembered (org setting ``demo.scale``): a second run of the
same size adds nothing.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from nexa.core.db import Base
from nexa.core.repository import unscoped
from nexa.core.sequence import Counter
from nexa.core.text import text_key
from nexa.models import (
    TEXT_KEYS,
    Account,
    Activity,
    Call,
    Contact,
    Deal,
    DealLineItem,
    DealStageChange,
    Lead,
    Meeting,
    Note,
    OrgSetting,
    Pipeline,
    PipelineStage,
    Product,
    SearchDocument,
    Task,
    Team,
    User,
)
from nexa.search.documents import body_of, document_title

Progress = Callable[[str, int, int], None]
UnitOfWork = Callable[[], AbstractContextManager[Session]]
SETTING_KEY = "demo.scale"
CHUNK = 5_000


@dataclass(frozen=True)
class Size:
    name: str
    reps: int
    accounts: int
    contacts: int
    leads: int
    deals: int


SIZES: dict[str, Size] = {
    "small": Size("small", reps=10, accounts=2_000, contacts=10_000, leads=10_000, deals=2_500),
    "medium": Size(
        "medium", reps=25, accounts=20_000, contacts=100_000, leads=100_000, deals=25_000
    ),
    "large": Size("large", reps=50, accounts=60_000, contacts=300_000, leads=300_000, deals=75_000),
    "xlarge": Size(
        "xlarge",
        reps=100,
        accounts=200_000,
        contacts=1_000_000,
        leads=1_000_000,
        deals=250_000,
    ),
}
ROLLUP_CHILDREN = 1_000  # the parent account the roll-up benchmark reads
ROLLUP_PARENT = "Global Holdings Group"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Betty Mark Sandra Donald Ashley Steven Emily Paul Kimberly Andrew Donna Joshua Michelle "
    "Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca "
    "Priya Wei Aisha Mateo Sofia Lukas Yuki Olga Ahmed Fatima Chen Ingrid Pierre Amara Diego"
)
LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Patel Kim Schmidt Muller Rossi Dubois Novak Tanaka Okafor Kowalski Larsen Silva Haddad"
)
WORD_A = _words(
    "Blue North Bright Iron Silver Green Swift Clear Prime Summit Harbor Pioneer Quantum Atlas "
    "Cedar Falcon Granite Horizon Lumen Maple Nova Orion Polar Redwood Sierra Vertex Willow"
)
WORD_B = _words(
    "Systems Logistics Health Foods Analytics Robotics Energy Labs Capital Media Works Partners "
    "Dynamics Networks Foundry Outfitters Pharma Motors Software Textiles Freight Studios"
)
SUFFIX = ("Inc", "LLC", "Ltd", "GmbH", "Group", "Co")
INDUSTRIES = (
    "Software", "Manufacturing", "Healthcare", "Retail", "Finance", "Logistics", "Education",
    "Energy", "Media", "Telecommunications",
)  # fmt: skip
SIZES_EMPLOYEES = (
    ("1-10", 5), ("11-50", 30), ("51-200", 120), ("201-500", 350), ("501-1000", 750),
    ("1001-5000", 2500), ("5001+", 12000),
)  # fmt: skip
TITLES = (
    ("Chief Executive Officer", 0.9), ("VP of Sales", 0.7), ("Head of Operations", 0.6),
    ("Director of Marketing", 0.55), ("IT Manager", 0.35), ("Procurement Manager", 0.35),
    ("Software Engineer", 0.1), ("Sales Representative", 0.15), ("Analyst", 0.1),
    ("Office Manager", 0.2),
)  # fmt: skip
SOURCES = (
    ("referral", 1.2), ("website", 0.3), ("event", 0.6), ("cold_call", -0.6),
    ("social_media", -0.2),
)  # fmt: skip
COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "CA", "AU", "IN", "BR")
COMPETITORS = ("HubSpot", "Salesforce", "Pipedrive", "Zoho")
LOST_REASONS = ("No budget", "Chose a competitor", "No decision", "Timing")
DEAL_NAMES = ("Growth plan", "Enterprise plan", "Renewal", "Expansion")
LIFECYCLE = ("subscriber", "lead", "opportunity", "customer", "advocate")


@dataclass
class ScaleReport:
    size: str
    created: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: bool = False

    @property
    def rows(self) -> int:
        return sum(self.created.values())


def _noop(stage: str, done: int, total: int) -> None:
    return None


class _Writer:
    """Bulk rows into one table, ``CHUNK`` rows a statement, counted per table."""

    def __init__(
        self, session: Session, report: ScaleReport, commit_every: int | None = None
    ) -> None:
        self.session = session
        self.report = report
        self.commit_every = commit_every
        self.uncommitted = 0
        self.pending: dict[str, list[dict[str, Any]]] = {}

    def add(self, model: type[Base], row: dict[str, Any]) -> None:
        name = model.__tablename__
        for source, key in TEXT_KEYS.get(name, ()):
            row[key] = text_key(row.get(source))
        rows = self.pending.setdefault(name, [])
        rows.append(row)
        if len(rows) >= CHUNK:
            self.flush()

    def flush(self, name: str | None = None) -> None:
        """Write what is pending, parents before children (foreign keys)."""
        order = [t.name for t in Base.metadata.sorted_tables if t.name in self.pending]
        for table in [name] if name else order:
            rows = self.pending.pop(table, [])
            if rows:
                self.session.execute(insert(Base.metadata.tables[table]), rows)
                self.report.created[table] = self.report.created.get(table, 0) + len(rows)
                self.uncommitted += len(rows)
        if name is None and self.commit_every and self.uncommitted >= self.commit_every:
            # everything pending is written, parents first: a consistent point to commit at
            self.session.commit()
            self.uncommitted = 0


def scale_state(session: Session) -> dict[str, Any] | None:
    """What an earlier ``build_scale`` left: size, seed, and whether it completed."""
    row = session.get(OrgSetting, SETTING_KEY)
    return row.value if row is not None and isinstance(row.value, dict) else None


def existing_scale(session: Session) -> str | None:
    state = scale_state(session)
    return None if state is None else state.get("size")


class InterruptedGeneration(RuntimeError):
    """An earlier generation stopped half-way (it commits as it goes): start again afresh."""


def build_scale(
    unit_of_work: UnitOfWork,
    size: Size,
    *,
    seed: int = 2026,
    progress: Progress | None = None,
    now: datetime | None = None,
    commit_every: int | None = None,
) -> ScaleReport:
    """Add ``size``'s records to the demo organization (which must exist: ``build_demo``).

    One transaction by default. ``commit_every`` rows commits as it goes (the CLI does, so the
    database's write-ahead log stays small on large sizes); the marker then says whether the
    generation completed, and a half-done one is refused rather than added to."""
    report_progress = progress or _noop
    report = ScaleReport(size.name)
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    with unit_of_work() as session:
        state = scale_state(session)
        if state is not None and state.get("complete", True):
            report.skipped = True
            return report
        if state is not None:
            raise InterruptedGeneration(
                f"a generation of size {state.get('size')} stopped half-way; "
                "start again on an empty database (nexa demo --reset --size …)"
            )
        marker = {"size": size.name, "seed": seed, "built_at": now.isoformat()}
        session.merge(OrgSetting(key=SETTING_KEY, value={**marker, "complete": False}))
        gen = _Scale(session, size, random.Random(seed), now, report, report_progress)
        gen.out.commit_every = commit_every
        gen.run()
        session.merge(OrgSetting(key=SETTING_KEY, value={**marker, "complete": True}))
    report.seconds = time.perf_counter() - started
    return report


class _Scale:
    def __init__(
        self,
        session: Session,
        size: Size,
        rng: random.Random,
        now: datetime,
        report: ScaleReport,
        progress: Progress,
    ) -> None:
        self.session = session
        self.size = size
        self.rng = rng
        self.now = now
        self.report = report
        self.progress = progress
        self.out = _Writer(session, report)
        self.start = now - timedelta(days=3 * 365)

    # ---- helpers -----------------------------------------------------------------------

    def when(self, low: float = 0.0, high: float = 1.0) -> datetime:
        """A time in the last three years, between fractions ``low`` and ``high`` of it."""
        span = (self.now - self.start).total_seconds()
        return self.start + timedelta(seconds=span * self.rng.uniform(low, high))

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST), self.rng.choice(LAST)

    def tick(self, stage: str, done: int, total: int) -> None:
        if done % CHUNK == 0 or done == total:
            self.progress(f"{self.size.name}: {stage}", done, total)

    def search_doc(self, record_type: str, row: dict[str, Any], account: str | None) -> None:
        record = _Row(row)
        self.out.add(
            SearchDocument,
            {
                "record_type": record_type,
                "record_id": row["id"],
                "owner_id": row.get("owner_id"),
                "title": document_title(record_type, record),
                "body": body_of(record_type, record, account),
                "updated_at": row["updated_at"],
            },
        )

    def timeline(
        self, record_type: str, record_id: uuid.UUID, event: str, summary: str, at: datetime
    ) -> None:
        self.out.add(
            Activity,
            {
                "id": uuid.uuid4(),
                "record_type": record_type,
                "record_id": record_id,
                "event": event,
                "summary": summary,
                "actor_name": "Data generator",
                "occurred_at": at,
                "data": {},
            },
        )

    # ---- the organization --------------------------------------------------------------

    def run(self) -> None:
        session = self.session
        self.reps = self.users()
        self.stages = list(
            session.scalars(
                select(PipelineStage)
                .join(Pipeline, Pipeline.id == PipelineStage.pipeline_id)
                .where(Pipeline.is_default.is_(True))
                .order_by(PipelineStage.position)
            )
        )
        self.products = list(session.scalars(unscoped(select(Product).order_by(Product.sku))))
        accounts = self.accounts()
        contacts = self.contacts(accounts)
        self.leads()
        self.deals(accounts, contacts)
        self.out.flush()
        session.flush()

    def users(self) -> list[uuid.UUID]:
        from nexa.auth.service import check_password_strength, hash_password
        from nexa.demo.service import DEMO_PASSWORD

        session = self.session
        existing = list(
            session.scalars(select(User.id).where(User.role == "sales_rep").order_by(User.email))
        )
        # the bulk rows skip the user service: its password rule is applied here once
        check_password_strength(DEMO_PASSWORD, email="rep1.1@scale.demo.nexa", full_name="")
        password = hash_password(DEMO_PASSWORD)
        reps = list(existing)
        teams = max(1, self.size.reps // 10)
        for t in range(teams):
            team_id = uuid.uuid4()
            manager_id = uuid.uuid4()
            self.out.add(Team, {"id": team_id, "name": f"Field sales {t + 1}"})
            self.out.flush("teams")
            first, last = self.person()
            self.out.add(
                User,
                {
                    "id": manager_id,
                    "email": f"manager{t + 1}@scale.demo.nexa",
                    "full_name": f"{first} {last}",
                    "password_hash": password,
                    "role": "manager",
                    "team_id": team_id,
                },
            )
            for r in range(self.size.reps // teams):
                rep_id = uuid.uuid4()
                first, last = self.person()
                self.out.add(
                    User,
                    {
                        "id": rep_id,
                        "email": f"rep{t + 1}.{r + 1}@scale.demo.nexa",
                        "full_name": f"{first} {last}",
                        "password_hash": password,
                        "role": "sales_rep",
                        "team_id": team_id,
                    },
                )
                reps.append(rep_id)
            self.out.flush("users")
            session.execute(update(Team).where(Team.id == team_id).values(manager_id=manager_id))
        return reps

    def accounts(self) -> list[dict[str, Any]]:
        rng = self.rng
        total = self.size.accounts
        counter = self.session.get(Counter, "account_number")
        number = counter.value if counter is not None else 0
        rows: list[dict[str, Any]] = []
        for i in range(total):
            number += 1
            if i == 0:
                name = ROLLUP_PARENT
            else:
                name = f"{rng.choice(WORD_A)} {rng.choice(WORD_B)} {rng.choice(SUFFIX)} {number}"
            employees = rng.choice(SIZES_EMPLOYEES)[1]
            created = self.when(0.0, 0.9)
            if i == 0:
                parent = None
            elif i <= ROLLUP_CHILDREN:
                parent = rows[0]["id"]
            elif i > ROLLUP_CHILDREN + 50 and rng.random() < 0.1:  # other, smaller groups
                parent = rows[rng.randrange(ROLLUP_CHILDREN + 1, ROLLUP_CHILDREN + 50)]["id"]
            else:
                parent = None
            slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
            row: dict[str, Any] = {
                "id": uuid.uuid4(),
                "name": name,
                "account_number": f"ACC-{number:06d}",
                "industry": rng.choice(INDUSTRIES),
                "type": rng.choice(("prospect", "prospect", "customer", "partner")),
                "website": f"https://{slug}.example.com",
                "phone": f"+1555{rng.randrange(1_000_000, 9_999_999)}",
                "employees": employees,
                "annual_revenue": Decimal(employees * rng.randrange(80, 400) * 1000),
                "annual_revenue_currency": "USD",
                "tier": None,
                "parent_id": parent,
                "custom_fields": {},
                "owner_id": rng.choice(self.reps),
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
            rows.append(row)
            self.out.add(Account, row)
            self.search_doc("account", row, None)
            self.tick("accounts", i + 1, total)
        self.out.flush()
        if counter is None:
            self.session.add(Counter(name="account_number", value=number))
        else:
            counter.value = number
        return rows

    def contacts(self, accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng = self.rng
        total = self.size.contacts
        kept: list[dict[str, Any]] = []
        for i in range(total):
            account = accounts[rng.randrange(len(accounts))]
            first, last = self.person()
            title, _ = rng.choice(TITLES)
            created = max(account["created_at"], self.when(0.0, 0.97))
            domain = account["website"].removeprefix("https://")
            row: dict[str, Any] = {
                "id": uuid.uuid4(),
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}{i}@{domain}",
                "phone": f"+1555{rng.randrange(1_000_000, 9_999_999)}",
                "title": title,
                "department": None,
                "account_id": account["id"],
                "lifecycle_stage": rng.choice(LIFECYCLE),
                "tags": [],
                "custom_fields": {},
                "owner_id": account["owner_id"],
                "last_activity_at": created + timedelta(days=rng.randrange(0, 60)),
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
            self.out.add(Contact, row)
            self.search_doc("contact", row, account["name"])
            if i < self.size.deals * 2:  # deals pick their primary contact from these
                kept.append(row)
            if rng.random() < 0.2:
                self._activity_for("contact", row, created)
            self.tick("contacts", i + 1, total)
        self.out.flush()
        return kept

    def leads(self) -> None:
        rng = self.rng
        total = self.size.leads
        for i in range(total):
            first, last = self.person()
            title, seniority = rng.choice(TITLES)
            source, source_lift = rng.choice(SOURCES)
            size_index = rng.randrange(len(SIZES_EMPLOYEES))
            industry = rng.choice(INDUSTRIES)
            created = self.when(0.0, 1.0)
            age_days = (self.now - created).days
            company = f"{rng.choice(WORD_A)} {rng.choice(WORD_B)} {rng.choice(SUFFIX)}"
            domain = company.split()[0].lower()
            engaged = rng.random() < 0.35
            logit = (
                -2.4
                + source_lift
                + 0.25 * size_index
                + 1.5 * seniority
                + (0.4 if industry in ("Software", "Finance") else 0.0)
                + (0.9 if engaged else 0.0)
            )
            status, changed, converted = "new", None, None
            if age_days > 30 or rng.random() < 0.2:
                changed = created + timedelta(days=rng.randrange(1, 30))
                if rng.random() < 1 / (1 + math.exp(-logit)):
                    status, converted = "converted", changed
                else:
                    status = "lost"
            elif age_days > 3:
                status = rng.choice(("contacted", "qualified"))
            row: dict[str, Any] = {
                "id": uuid.uuid4(),
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}{i}@{domain}.example.org",
                "phone": f"+1555{rng.randrange(1_000_000, 9_999_999)}",
                "company": company,
                "title": title,
                "industry": industry,
                "company_size": SIZES_EMPLOYEES[size_index][0],
                "country": rng.choice(COUNTRIES),
                "source": source,
                "status": status,
                "status_changed_at": changed,
                "lost_reason": rng.choice(LOST_REASONS) if status == "lost" else None,
                "converted_at": converted,
                "tags": [],
                "score_factors": [],
                "custom_fields": {},
                "owner_id": rng.choice(self.reps),
                "created_at": created,
                "updated_at": changed or created,
                "version": 1,
            }
            self.out.add(Lead, row)
            self.search_doc("lead", row, None)
            self.timeline("lead", row["id"], "lead.created", "Lead created", created)
            if engaged:
                self._activity_for("lead", row, created)
            self.tick("leads", i + 1, total)
        self.out.flush()

    def _activity_for(self, record_type: str, row: dict[str, Any], created: datetime) -> None:
        """A call or a note on the record, with its timeline entry."""
        rng = self.rng
        at = created + timedelta(hours=rng.randrange(1, 24 * 20))
        if at > self.now:
            at = self.now
        base = {
            "id": uuid.uuid4(),
            "owner_id": row["owner_id"],
            "related_type": record_type,
            "related_id": row["id"],
            "created_at": at,
            "updated_at": at,
            "version": 1,
        }
        if rng.random() < 0.5:
            self.out.add(
                Call,
                {
                    **base,
                    "subject": "Discovery call",
                    "direction": rng.choice(("outbound", "inbound")),
                    "started_at": at,
                    "duration_seconds": rng.randrange(60, 1800),
                    "outcome": rng.choice(("connected", "voicemail", "no_answer")),
                },
            )
            self.timeline(record_type, row["id"], "call.created", "Call logged", at)
        else:
            self.out.add(Note, {**base, "body": "Spoke about their current tools and budget."})
            self.timeline(record_type, row["id"], "note.created", "Note added", at)

    def deals(self, accounts: list[dict[str, Any]], contacts: list[dict[str, Any]]) -> None:
        rng = self.rng
        total = self.size.deals
        open_stages = [s for s in self.stages if s.kind == "open"]
        won = next(s for s in self.stages if s.kind == "won")
        lost = next(s for s in self.stages if s.kind == "lost")
        names = {a["id"]: a["name"] for a in accounts}
        for i in range(total):
            contact = contacts[i % len(contacts)] if contacts else None
            account_id = contact["account_id"] if contact else accounts[0]["id"]
            owner = contact["owner_id"] if contact else rng.choice(self.reps)
            created = self.when(0.0, 0.98)
            competitors = [c for c in COMPETITORS if rng.random() < 0.15]
            lines: list[dict[str, Any]] = []
            for position in range(rng.randint(1, 3)):
                product = rng.choice(self.products) if self.products else None
                quantity = Decimal(rng.randint(1, 50))
                price = Decimal(rng.choice((29, 59, 2500, 12000)))
                lines.append(
                    {
                        "id": uuid.uuid4(),
                        "product_id": product.id if product else None,
                        "name": product.name if product else "Services",
                        "position": position,
                        "quantity": quantity,
                        "unit_price": price,
                        "discount_percent": Decimal(0),
                        "total": quantity * price,
                    }
                )
            amount: Decimal = sum((line["total"] for line in lines), Decimal(0))
            activity = rng.randint(0, 8)
            # How far it got, and how it ended: older deals are closed, bigger deals with
            # competitors and little activity win less often.
            age = (self.now - created).days
            depth = rng.randint(0, len(open_stages) - 1)
            closed = age > 90 and rng.random() < 0.8
            logit = (
                -0.3
                + 0.25 * activity
                - 0.6 * len(competitors)
                - 0.15 * math.log10(float(amount) + 1)
            )
            outcome = None
            if closed:
                outcome = won if rng.random() < 1 / (1 + math.exp(-logit)) else lost
            path = open_stages[: depth + 1]
            at = created
            deal_id = uuid.uuid4()
            changes: list[dict[str, Any]] = []
            previous: PipelineStage | None = None
            for step in [*path, *([outcome] if outcome else [])]:
                if previous is not None:
                    at = at + timedelta(days=rng.randint(2, 30))
                changes.append(
                    {
                        "id": uuid.uuid4(),
                        "deal_id": deal_id,
                        "from_stage": previous.key if previous else None,
                        "to_stage": step.key,
                        "from_stage_id": previous.id if previous else None,
                        "to_stage_id": step.id,
                        "changed_at": at,
                        "amount": amount,
                        "probability": step.probability,
                    }
                )
                previous = step
            stage = previous
            if stage is None:  # every deal passes at least one stage
                continue
            entered = min(at, self.now)
            close_date = (created + timedelta(days=rng.randint(30, 150))).date()
            if outcome is not None:
                close_date = entered.date()
            probability = stage.probability
            row: dict[str, Any] = {
                "id": deal_id,
                "name": f"{rng.choice(DEAL_NAMES)} {i + 1}",
                "amount": amount,
                "currency": "USD",
                "amount_org": amount,
                "probability": probability,
                "weighted_value": (amount * probability / 100).quantize(Decimal("0.01")),
                "close_date": close_date,
                "close_date_pushes": rng.choice((0, 0, 0, 1, 2)),
                "pipeline_id": stage.pipeline_id,
                "stage_id": stage.id,
                "stage": stage.key,
                "stage_kind": stage.kind,
                "stage_entered_at": entered,
                "closed_at": entered if outcome is not None else None,
                "lost_reason": rng.choice(LOST_REASONS) if outcome is lost else None,
                "account_id": account_id,
                "primary_contact_id": contact["id"] if contact else None,
                "competitors": competitors,
                "tags": [],
                "custom_fields": {},
                "owner_id": owner,
                "last_activity_at": entered - timedelta(days=rng.randint(0, 20)),
                "created_at": created,
                "updated_at": entered,
                "version": len(changes),
            }
            self.out.add(Deal, row)
            for line in lines:
                self.out.add(DealLineItem, {**line, "deal_id": deal_id})
            for change in changes:
                self.out.add(DealStageChange, change)
                self.timeline(
                    "deal",
                    deal_id,
                    "deal.stage_changed",
                    f"Stage: {change['to_stage']}",
                    change["changed_at"],
                )
            self.search_doc("deal", row, names.get(account_id))
            self._deal_work(row, activity, created)
            self.tick("deals", i + 1, total)
        self.out.flush()

    def _deal_work(self, deal: dict[str, Any], activity: int, created: datetime) -> None:
        """Tasks, meetings, calls and notes on a deal, spread over its life."""
        rng = self.rng
        for _ in range(activity // 2):
            self._activity_for("deal", deal, created)
        due = created + timedelta(days=rng.randint(1, 40))
        self.out.add(
            Task,
            {
                "id": uuid.uuid4(),
                "title": "Follow up on the proposal",
                "status": "done" if due < self.now else "open",
                "priority": rng.choice(("normal", "high")),
                "due_at": due,
                "completed_at": due if due < self.now else None,
                "origin": "manual",
                "owner_id": deal["owner_id"],
                "related_type": "deal",
                "related_id": deal["id"],
                "created_at": created,
                "updated_at": created,
                "version": 1,
            },
        )
        if activity >= 4:
            starts = created + timedelta(days=rng.randint(1, 30), hours=rng.randint(8, 16))
            self.out.add(
                Meeting,
                {
                    "id": uuid.uuid4(),
                    "title": "Demo",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(minutes=45),
                    "status": "completed" if starts < self.now else "scheduled",
                    "ics_uid": f"{uuid.uuid4()}@scale.demo.nexa",
                    "owner_id": deal["owner_id"],
                    "related_type": "deal",
                    "related_id": deal["id"],
                    "created_at": created,
                    "updated_at": created,
                    "version": 1,
                },
            )
            self.timeline("deal", deal["id"], "meeting.created", "Meeting booked", starts)


class _Row:
    """Attribute access over a row dict, for the search document builders."""

    def __init__(self, row: dict[str, Any]) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return self._row.get(name)


def analyze(session: Session) -> None:
    """Refresh the planner's statistics after a bulk load."""
    session.execute(text("ANALYZE"))


def counts(session: Session) -> dict[str, int]:
    out = {}
    for model in (Account, Contact, Lead, Deal, Activity, SearchDocument):
        stmt = select(func.count()).select_from(model)
        out[model.__tablename__] = int(session.scalar(unscoped(stmt)) or 0)
    return out


__all__ = [
    "SIZES",
    "InterruptedGeneration",
    "ScaleReport",
    "Size",
    "analyze",
    "build_scale",
    "counts",
    "scale_state",
]
