"""Campaign analytics (issue 19): counters per campaign and step, rates, daily series, member
states, cost per lead, ROI, first-touch / last-touch / linear attribution, the step-path
report, and a person's touch history.

Counters come from ``campaign_daily_stats`` (kept as events arrive by ``record_touches``): a
campaign's page sums a few hundred rows in SQL and never reads its touches.

Attribution is computed when asked, not kept in a roll-up table. Why: a deal's credit depends
on touches before the deal's creation, on its stage and amount (which change after it is
created: won, lost, re-priced, converted leads moving to contacts), and on every campaign that
touched the person — a roll-up would have to be rewritten on each of those changes, in other
domains' transactions. Read instead, it costs three bounded, indexed reads: the live deals of
the campaign's members (subqueries on the campaign's members), the leads behind those deals,
and the touches of only those people before their deal (the ``(record_type, record_id, at)``
touch index) — rows in proportion to the members who have deals, whatever the number of
touches in the organization (1M in the benchmark: BENCHMARKS.md).

A lead's deal is the one its conversion created (``leads.converted_deal_id``) or the one that
names it (``deals.lead_id``); a contact's are those where it is the primary contact. A lead
converted mid-sequence continues as its contact: the touches of the lead and of its contact
are one person's. The touches that count are interactions: sent, task, opened, clicked and
replied (enrolment, delivery, bounces and unsubscribes do not). Money is in the
organization's currency (``deals.amount_org``); the campaign's cost is taken to be in it too.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from nexa.campaign import repository as repo_mod
from nexa.campaign.analytics_schemas import (
    METRICS,
    AttributedDeal,
    AttributionTotals,
    CampaignStats,
    Counters,
    DailyPoint,
    PathStats,
    Rates,
    StepStats,
    TouchHistory,
    TouchOut,
)
from nexa.campaign.repository import CampaignRepository
from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.repository import REPOSITORIES
from nexa.models.campaign import CAMPAIGN_LEVEL

ATTRIBUTED_KINDS = ("sent", "task", "opened", "clicked", "replied")
CENT = Decimal("0.01")
MAX_DEALS = 100
MAX_PATH_STEPS = 60


def _counters(values: dict[str, int]) -> Counters:
    return Counters(**{m: values.get(m, 0) for m in METRICS})


def _rates(c: Counters) -> Rates:
    base = c.delivered or c.sent
    if not base:
        return Rates()

    def share(n: int) -> float:
        return round(n / base, 4)

    return Rates(
        delivered=round(c.delivered / c.sent, 4) if c.sent else None,
        opened=share(c.opened),
        clicked=share(c.clicked),
        replied=share(c.replied),
        bounced=round(c.bounced / c.sent, 4) if c.sent else None,
        unsubscribed=share(c.unsubscribed),
    )


def campaign_stats(session: Session, actor: Actor, campaign_id: uuid.UUID) -> CampaignStats:
    """Everything the analytics page and ``GET /campaigns/{id}/stats`` show."""
    if not actor.can("campaign:read"):
        raise PermissionDenied("you may not see campaigns")
    repo = CampaignRepository(session)
    campaign = repo.get(actor, campaign_id)  # 404 when not readable
    steps = repo.steps(campaign.id)
    by_step, by_day = repo_mod.stat_sums(session, campaign.id)

    per_step: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    total: dict[str, int] = defaultdict(int)
    for step_id, metric, n in by_step:
        per_step[step_id][metric] = per_step[step_id].get(metric, 0) + n
        total[metric] += n
    daily_values: dict[object, dict[str, int]] = defaultdict(dict)
    for day, metric, n in by_day:
        daily_values[day][metric] = n
    totals = _counters(total)
    step_stats = []
    for step in steps:
        c = _counters(per_step.get(step.id, {}))
        step_stats.append(
            StepStats(
                step_id=step.id,
                position=step.position,
                name=step.name,
                channel=step.channel,
                counters=c,
                rates=_rates(c),
            )
        )
    members = repo.count_members(campaign.id)
    people = sum(members.values())
    cost = campaign.actual_cost
    cost_per_lead = (cost / people).quantize(CENT) if cost is not None and people else None
    attribution, deals = attribute(session, campaign.id, cost)
    return CampaignStats(
        campaign_id=campaign.id,
        name=campaign.name,
        status=campaign.status,
        currency=get_settings().org_currency.upper(),
        totals=totals,
        rates=_rates(totals),
        steps=step_stats,
        daily=[DailyPoint(day=d, counters=_counters(v)) for d, v in daily_values.items()],
        members=members,
        budget=campaign.budget,
        actual_cost=cost,
        cost_per_lead=cost_per_lead,
        attribution=attribution,
        deals=deals,
        paths=paths(session, campaign.id, [s.id for s in steps]),
    )


def attribute(
    session: Session, campaign_id: uuid.UUID, cost: Decimal | None
) -> tuple[list[AttributionTotals], list[AttributedDeal]]:
    """First-touch, last-touch and linear credit of the campaign for its members' deals."""
    deals = repo_mod.member_deals(session, campaign_id)
    person_of_deal: dict[uuid.UUID, set[tuple[str, uuid.UUID]]] = {d.id: set() for d in deals}
    if deals:
        leads = repo_mod.deal_leads(
            session,
            [d.id for d in deals],
            sorted({d.lead_id for d in deals if d.lead_id is not None}),
            sorted({d.primary_contact_id for d in deals if d.primary_contact_id is not None}),
        )
        # a lead and the contact it became are one person: index the leads three ways
        by_id: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID | None]] = {}
        by_deal: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID | None]]] = defaultdict(list)
        by_contact: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID | None]]] = defaultdict(list)
        for lead_id, contact_id, deal_id in leads:
            by_id[lead_id] = (lead_id, contact_id)
            if deal_id is not None:
                by_deal[deal_id].append((lead_id, contact_id))
            if contact_id is not None:
                by_contact[contact_id].append((lead_id, contact_id))
        for d in deals:
            people = person_of_deal[d.id]
            mine = list(by_deal.get(d.id, []))
            if d.lead_id is not None:
                people.add(("lead", d.lead_id))
                if d.lead_id in by_id:
                    mine.append(by_id[d.lead_id])
            if d.primary_contact_id is not None:
                people.add(("contact", d.primary_contact_id))
                mine += by_contact.get(d.primary_contact_id, [])
            for lead_id, contact_id in mine:
                people.add(("lead", lead_id))
                if contact_id is not None:
                    people.add(("contact", contact_id))
    everyone = sorted({p for ps in person_of_deal.values() for p in ps})
    latest = max((d.created_at for d in deals), default=None)
    touches = (
        repo_mod.touches_before(session, everyone, ATTRIBUTED_KINDS, latest)
        if latest is not None
        else []
    )
    of_person: dict[tuple[str, uuid.UUID], list[tuple[uuid.UUID, datetime]]] = defaultdict(list)
    for record_type, record_id, touch_campaign, at in touches:
        of_person[(record_type, record_id)].append((touch_campaign, at))

    credit = {"first_touch": Decimal(0), "last_touch": Decimal(0), "linear": Decimal(0)}
    pipeline = dict.fromkeys(credit, Decimal(0))
    revenue = dict.fromkeys(credit, Decimal(0))
    out: list[AttributedDeal] = []
    for d in deals:
        before = sorted(
            (at, c)
            for p in person_of_deal[d.id]
            for c, at in of_person.get(p, [])
            if at < d.created_at
        )
        if not before:
            continue
        ours = sum(1 for _, c in before if c == campaign_id)
        if not ours:
            continue
        shares = {
            "first_touch": Decimal(1 if before[0][1] == campaign_id else 0),
            "last_touch": Decimal(1 if before[-1][1] == campaign_id else 0),
            "linear": Decimal(ours) / Decimal(len(before)),
        }
        amount = Decimal(d.amount_org or 0)
        for model, share in shares.items():
            credit[model] += share
            if d.stage_kind in ("open", "won"):
                pipeline[model] += amount * share
            if d.stage_kind == "won":
                revenue[model] += amount * share
        out.append(
            AttributedDeal(
                deal_id=d.id,
                name=d.name,
                stage_kind=d.stage_kind,
                amount_org=d.amount_org,
                created_at=d.created_at,
                touches=len(before),
                first_touch=float(shares["first_touch"]),
                last_touch=float(shares["last_touch"]),
                linear=round(float(shares["linear"]), 4),
            )
        )
    out.sort(key=lambda a: (-(a.amount_org or 0), a.created_at))
    totals = [
        AttributionTotals(
            model=model,
            deals=round(float(credit[model]), 4),
            pipeline=pipeline[model].quantize(CENT),
            revenue=revenue[model].quantize(CENT),
            roi=round(float((revenue[model] - cost) / cost), 4) if cost else None,
        )
        for model in credit
    ]
    return totals, out[:MAX_DEALS]


def paths(session: Session, campaign_id: uuid.UUID, step_ids: list[uuid.UUID]) -> list[PathStats]:
    """Which step paths convert better (members who skipped steps took other paths). Data
    only: nothing is reordered."""
    rows = repo_mod.step_paths(session, campaign_id, step_ids[:MAX_PATH_STEPS])
    out = [
        PathStats(
            steps=[i for i in range(len(step_ids)) if mask >> i & 1],
            members=n,
            converted=g,
            conversion_rate=round(g / n, 4) if n else 0.0,
        )
        for mask, n, g in rows
    ]
    out.sort(key=lambda p: (-p.conversion_rate, -p.members, p.steps))
    return out


# ---- a person's touch history -----------------------------------------------------------

HISTORY_LIMIT = 200


def touch_history(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID, limit: int = 100
) -> TouchHistory:
    """A lead's or contact's campaign touches, newest first (a contact's include those of the
    lead it was converted from). Readable when the record is: otherwise 404."""
    if record_type not in ("lead", "contact"):
        raise ValidationFailed("touch history is kept for leads and contacts", field="record_type")
    if not 1 <= limit <= HISTORY_LIMIT:
        raise ValidationFailed(f"limit must be 1 to {HISTORY_LIMIT}", field="limit")
    record = REPOSITORIES[record_type](session).get(actor, record_id)
    people = [(record_type, record.id)]
    if record_type == "contact":
        people += [("lead", i) for i in repo_mod.converted_leads_of(session, record.id)]
    rows = repo_mod.touch_history(session, people, limit)
    items = [
        TouchOut(
            at=t.at,
            kind=t.kind,
            channel=t.channel,
            campaign_id=t.campaign_id,
            campaign=name,
            step_id=t.step_id if t.step_id != CAMPAIGN_LEVEL else None,
            step_position=position,
            step_name=step_name,
            record_type=t.record_type,
            record_id=t.record_id,
        )
        for t, name, position, step_name in rows
    ]
    return TouchHistory(record_type=record_type, record_id=record.id, items=items)
