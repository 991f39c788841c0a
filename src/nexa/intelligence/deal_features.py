"""Features of a deal AS OF a moment ``t``, the organization's norms as of ``t``, and the risk
rules in words. Pure functions over plain data (``DealFacts``), loaded by nexa.forecast.

No leakage: everything here looks only at what was known at ``t`` — stage history entries with
``at <= t``, activities with ``at <= t``, field values rebuilt from the change log (a field
changed after ``t`` takes the old value of its first later change), and organization norms
from deals closed and stage stays finished by ``t``. The one exception is the line-item
discount (line items keep no history): it is a risk rule for open deals, never a model feature.
"""

from __future__ import annotations

import bisect
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

DAY = 86400.0
NO_ACTIVITY_DAYS = 14  # "no activity in N days"
PUSHES_AT_RISK = 2  # "close date pushed twice or more"
MIN_STALL_DAYS = 7  # no deal is called stalled before a week in its stage (PRODUCT.md)
SNAPSHOT_OFFSETS_DAYS = (0, 14, 30, 60)  # training snapshots inside one stage stay
# timeline events that are interactions with the customer (the deal's own edits are not)
INTERACTION_PREFIXES = ("call.", "meeting.", "note.", "task.", "email.", "quote.", "message.")

FEATURES = (
    "stage_position",
    "stage_probability",
    "days_in_stage",
    "days_in_stage_ratio",
    "amount_ratio",
    "log_amount",
    "activities_30d",
    "days_since_activity",
    "contacts_engaged",
    "close_date_pushes",
    "competitors",
    "owner_win_rate",
    "deal_age_days",
    "close_date_overdue_days",
)


def is_interaction(event: str) -> bool:
    return event.startswith(INTERACTION_PREFIXES)


@dataclass(frozen=True)
class StageInfo:
    key: str
    name: str
    probability: int  # 0–100, the stage's default
    kind: str  # open / won / lost
    position: int
    stall_after_days: int | None = None


@dataclass(frozen=True)
class StageEntry:
    """One stage-history row: the deal entered ``stage`` at ``at``."""

    at: datetime
    stage: str
    amount: float | None = None
    close_date: date | None = None


@dataclass
class DealFacts:
    """What the database holds about one deal, with times, for as-of questions."""

    deal_id: uuid.UUID
    owner_id: uuid.UUID | None
    pipeline_id: uuid.UUID
    created_at: datetime
    entries: list[StageEntry]  # sorted by time
    activities: list[datetime] = field(default_factory=list)  # interactions, sorted
    contacts: list[tuple[datetime, str]] = field(default_factory=list)  # (engaged at, contact)
    # field -> [(at, old, new)] from the deal's own "updated" timeline entries, sorted
    changes: dict[str, list[tuple[datetime, Any, Any]]] = field(default_factory=dict)
    amount_org: float | None = None  # now, in the organization's currency
    amount: float | None = None  # now, in the deal's currency
    close_date: date | None = None
    competitors: int = 0
    discount: bool = False  # a line item with a discount (now)
    outcome: str | None = None  # won / lost once closed
    closed_at: datetime | None = None
    name: str = ""
    probability: int | None = None  # now: the stage's or the owner's, percent

    # -- as of t ---------------------------------------------------------------------------
    def entry_at(self, t: datetime) -> StageEntry | None:
        times = [e.at for e in self.entries]
        i = bisect.bisect_right(times, t)
        return self.entries[i - 1] if i else None

    def value_at(self, name: str, t: datetime, now_value: Any) -> Any:
        """The field's value at ``t``: its current value unless it changed after ``t``."""
        for at, old, _new in self.changes.get(name, ()):
            if at > t:
                return old
        return now_value

    def close_date_at(self, t: datetime) -> date | None:
        value = self.value_at("close_date", t, self.close_date)
        return _as_date(value)

    def pushes_at(self, t: datetime) -> int:
        count = 0
        for at, old, new in self.changes.get("close_date", ()):
            if at > t:
                break
            before, after = _as_date(old), _as_date(new)
            if before is not None and after is not None and after > before:
                count += 1
        return count

    def competitors_at(self, t: datetime) -> int:
        value = self.value_at("competitors", t, None)
        if value is None:
            return self.competitors
        return len(value) if isinstance(value, list | tuple) else 0

    def amount_org_at(self, t: datetime) -> float | None:
        """The amount at ``t`` in the organization's currency (today's rate)."""
        amount = self.value_at("amount", t, self.amount)
        amount_f = _as_float(amount)
        if amount_f is None:
            return None
        if self.amount and self.amount_org is not None:
            return amount_f * self.amount_org / self.amount
        return amount_f

    def activities_until(self, t: datetime) -> list[datetime]:
        return self.activities[: bisect.bisect_right(self.activities, t)]

    def contacts_until(self, t: datetime) -> set[str]:
        return {c for at, c in self.contacts if at <= t}


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _as_float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ts(t: datetime) -> float:
    return t.timestamp()


# ---- organization norms ----------------------------------------------------------------------
@dataclass
class Norms:
    """The organization's typical figures as of a cutoff."""

    median_days: dict[str, float]  # time in a stage (finished stays)
    p75_won_days: dict[str, float]  # time in a stage of deals that were won
    remaining_won_days: dict[str, float]  # from entering a stage to winning
    won_from_stage: dict[str, int]
    median_amount: float | None
    org_win_rate: float | None
    owner_record: dict[uuid.UUID, tuple[int, int]]  # owner -> (won, closed)

    def owner_win_rate(self, owner_id: uuid.UUID | None) -> float | None:
        """Smoothed towards the organization's rate (two pseudo-deals)."""
        base = self.org_win_rate
        won, closed = self.owner_record.get(owner_id, (0, 0)) if owner_id else (0, 0)
        if base is None:
            return won / closed if closed else None
        return (won + 2 * base) / (closed + 2)


class History:
    """The organization's deal history as arrays, to ask for norms as of any cutoff."""

    def __init__(self, facts: Iterable[DealFacts]) -> None:
        stay_end: list[float] = []
        stay_stage: list[str] = []
        stay_days: list[float] = []
        stay_won_at: list[float] = []
        path_closed: list[float] = []
        path_stage: list[str] = []
        path_days: list[float] = []
        created: list[float] = []
        amounts: list[float] = []
        close_at: list[float] = []
        close_owner: list[uuid.UUID | None] = []
        close_won: list[bool] = []
        for f in facts:
            won_at = (
                _ts(f.closed_at) if f.outcome == "won" and f.closed_at is not None else math.inf
            )
            for a, b in zip(f.entries, f.entries[1:], strict=False):
                stay_end.append(_ts(b.at))
                stay_stage.append(a.stage)
                stay_days.append(max(0.0, (b.at - a.at).total_seconds() / DAY))
                stay_won_at.append(won_at)
            if f.outcome == "won" and f.closed_at is not None:
                for e in f.entries:
                    if e.at < f.closed_at:
                        path_closed.append(_ts(f.closed_at))
                        path_stage.append(e.stage)
                        path_days.append((f.closed_at - e.at).total_seconds() / DAY)
            if f.amount_org is not None and f.amount_org > 0:
                created.append(_ts(f.created_at))
                amounts.append(f.amount_org)
            if f.outcome in ("won", "lost") and f.closed_at is not None:
                close_at.append(_ts(f.closed_at))
                close_owner.append(f.owner_id)
                close_won.append(f.outcome == "won")
        self.stay_end = np.array(stay_end, dtype=float)
        self.stay_stage = np.array(stay_stage, dtype=object)
        self.stay_days = np.array(stay_days, dtype=float)
        self.stay_won_at = np.array(stay_won_at, dtype=float)
        self.path_closed = np.array(path_closed, dtype=float)
        self.path_stage = np.array(path_stage, dtype=object)
        self.path_days = np.array(path_days, dtype=float)
        self.created = np.array(created, dtype=float)
        self.amounts = np.array(amounts, dtype=float)
        self.close_at = np.array(close_at, dtype=float)
        self.close_owner = close_owner
        self.close_won = np.array(close_won, dtype=bool)
        self._cache: dict[float, Norms] = {}

    def norms(self, cutoff: datetime) -> Norms:
        key = _ts(cutoff)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._norms(key)
        return cached

    def _norms(self, c: float) -> Norms:
        done = self.stay_end <= c
        won_done = done & (self.stay_won_at <= c)
        median_days: dict[str, float] = {}
        p75: dict[str, float] = {}
        for stage in set(self.stay_stage[done].tolist()):
            in_stage = self.stay_stage == stage
            median_days[stage] = float(np.median(self.stay_days[done & in_stage]))
            won = self.stay_days[won_done & in_stage]
            if won.size:
                p75[stage] = float(np.percentile(won, 75))
        remaining: dict[str, float] = {}
        won_from: dict[str, int] = {}
        paths = self.path_closed <= c
        for stage in set(self.path_stage[paths].tolist()):
            days = self.path_days[paths & (self.path_stage == stage)]
            remaining[stage] = float(np.median(days))
            won_from[stage] = int(days.size)
        made = self.created <= c
        median_amount = float(np.median(self.amounts[made])) if made.any() else None
        closed = self.close_at <= c
        org_rate = float(self.close_won[closed].mean()) if closed.any() else None
        record: dict[uuid.UUID, tuple[int, int]] = {}
        for i in np.flatnonzero(closed):
            owner = self.close_owner[i]
            if owner is None:
                continue
            won_n, n = record.get(owner, (0, 0))
            record[owner] = (won_n + int(self.close_won[i]), n + 1)
        return Norms(median_days, p75, remaining, won_from, median_amount, org_rate, record)


def stall_limit(stage: StageInfo | None, norms: Norms) -> float | None:
    """Days in a stage after which a deal counts as stalled: max(7 days, the 75th percentile
    of won deals' time in that stage), else max(7 days, the stage's own
    ``stall_after_days``); None when neither is known. Won deals that passed through a stage
    within hours (a migrated history, a rep clicking through) never make a fresh deal
    "stalled"."""
    if stage is None:
        return None
    p75 = norms.p75_won_days.get(stage.key)
    if p75 is not None:
        return max(float(MIN_STALL_DAYS), p75)
    if stage.stall_after_days:
        return float(max(MIN_STALL_DAYS, stage.stall_after_days))
    return None


# ---- features as of t ------------------------------------------------------------------------
@dataclass
class FeatureRow:
    values: dict[str, float]  # NaN where unknown
    stage: StageInfo | None
    days_in_stage: float
    days_since_activity: float | None
    close_date: date | None
    contacts: int
    pushes: int
    competitors: int
    amount_org: float | None

    def vector(self) -> list[float]:
        return [self.values[name] for name in FEATURES]


def features_as_of(
    facts: DealFacts,
    t: datetime,
    norms: Norms,
    stages: dict[tuple[uuid.UUID, str], StageInfo],
) -> FeatureRow | None:
    """The deal as it stood at ``t``; None before it existed."""
    entry = facts.entry_at(t)
    if entry is None:
        return None
    stage = stages.get((facts.pipeline_id, entry.stage))
    nan = math.nan
    days_in_stage = max(0.0, (t - entry.at).total_seconds() / DAY)
    median = norms.median_days.get(entry.stage)
    acts = facts.activities_until(t)
    last = acts[-1] if acts else None
    since = (t - last).total_seconds() / DAY if last is not None else None
    recent = sum(1 for a in acts if a > t - timedelta(days=30))
    amount = facts.amount_org_at(t)
    contacts = len(facts.contacts_until(t))
    pushes = facts.pushes_at(t)
    competitors = facts.competitors_at(t)
    close = facts.close_date_at(t)
    owner_rate = norms.owner_win_rate(facts.owner_id)
    age = max(0.0, (t - facts.created_at).total_seconds() / DAY)
    values = {
        "stage_position": float(stage.position) if stage else nan,
        "stage_probability": stage.probability / 100 if stage else nan,
        "days_in_stage": days_in_stage,
        "days_in_stage_ratio": days_in_stage / median if median else nan,
        "amount_ratio": (
            amount / norms.median_amount if amount is not None and norms.median_amount else nan
        ),
        "log_amount": math.log1p(amount) if amount is not None and amount >= 0 else nan,
        "activities_30d": float(recent),
        # no activity yet: the deal's age stands in (silence since it was opened)
        "days_since_activity": since if since is not None else age,
        "contacts_engaged": float(contacts),
        "close_date_pushes": float(pushes),
        "competitors": float(competitors),
        "owner_win_rate": owner_rate if owner_rate is not None else nan,
        "deal_age_days": age,
        "close_date_overdue_days": (float((t.date() - close).days) if close is not None else nan),
    }
    return FeatureRow(
        values=values,
        stage=stage,
        days_in_stage=days_in_stage,
        days_since_activity=since,
        close_date=close,
        contacts=contacts,
        pushes=pushes,
        competitors=competitors,
        amount_org=amount,
    )


def snapshot_times(facts: DealFacts) -> list[datetime]:
    """Training snapshots of a closed deal: when it entered each open stage, and 14/30/60
    days into that stay while it was still there (so time-in-stage is learnable)."""
    end = facts.closed_at
    if end is None:
        return []
    out: list[datetime] = []
    for i, entry in enumerate(facts.entries):
        if entry.at >= end:
            break
        leave = facts.entries[i + 1].at if i + 1 < len(facts.entries) else end
        for offset in SNAPSHOT_OFFSETS_DAYS:
            t = entry.at + timedelta(days=offset)
            if t < leave and t < end:
                out.append(t)
    return out


def training_rows(
    all_facts: list[DealFacts],
    history: History,
    stages: dict[tuple[uuid.UUID, str], StageInfo],
    *,
    closed_before: datetime | None = None,
) -> tuple[list[list[float]], list[int], list[datetime]]:
    """(X, y, times) over the snapshots of closed deals (optionally only deals closed before
    a moment, for backtests). Norms are taken as of the first of the snapshot's month (they
    are earlier than the snapshot, so nothing leaks, and a month shares one computation)."""
    xs: list[list[float]] = []
    ys: list[int] = []
    times: list[datetime] = []
    for facts in all_facts:
        if facts.outcome not in ("won", "lost") or facts.closed_at is None:
            continue
        if closed_before is not None and facts.closed_at >= closed_before:
            continue
        for t in snapshot_times(facts):
            entry = facts.entry_at(t)
            stage = stages.get((facts.pipeline_id, entry.stage)) if entry else None
            if stage is None or stage.kind != "open":
                continue
            cutoff = t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            row = features_as_of(facts, t, history.norms(cutoff), stages)
            if row is None:
                continue
            xs.append(row.vector())
            ys.append(1 if facts.outcome == "won" else 0)
            times.append(t)
    return xs, ys, times


# ---- risk factors in words -------------------------------------------------------------------
def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def risk_factors(
    row: FeatureRow,
    norms: Norms,
    t: datetime,
    *,
    discount: bool = False,
    no_activity_days: int = NO_ACTIVITY_DAYS,
) -> list[dict[str, str]]:
    """Each rule that fires, as {"rule", "label"}; the rules are independent of each other."""
    out: list[dict[str, str]] = []
    stage = row.stage
    limit = stall_limit(stage, norms)
    if stage is not None and limit is not None and row.days_in_stage > limit:
        known = norms.p75_won_days.get(stage.key)
        own = known if known is not None else stage.stall_after_days
        if own is not None and own < MIN_STALL_DAYS:
            source = "the 7-day minimum"
        elif known is not None:
            source = "the 75th percentile of won deals"
        else:
            source = "the stage's stall limit"
        out.append(
            {
                "rule": "stalled",
                "label": f"Stalled: {int(row.days_in_stage)} days in {stage.name} "
                f"(over {limit:.0f}, {source})",
            }
        )
    since = row.days_since_activity
    if since is None:
        if row.values["deal_age_days"] >= no_activity_days:
            out.append({"rule": "no_activity", "label": "No activity logged on this deal yet"})
    elif since >= no_activity_days:
        out.append({"rule": "no_activity", "label": f"No activity in {int(since)} days"})
    if row.close_date is not None and row.close_date < t.date():
        late = (t.date() - row.close_date).days
        out.append(
            {
                "rule": "close_date_past",
                "label": f"Close date {row.close_date.isoformat()} is {_plural(late, 'day')} past",
            }
        )
    if row.pushes >= PUSHES_AT_RISK:
        out.append({"rule": "close_date_pushed", "label": f"Close date pushed {row.pushes} times"})
    if row.contacts <= 1:
        who = "one contact" if row.contacts == 1 else "no contact"
        out.append({"rule": "single_threaded", "label": f"Single-threaded: {who} engaged"})
    if row.competitors > 0:
        out.append(
            {
                "rule": "competitor",
                "label": f"Competitor present ({_plural(row.competitors, 'competitor')})",
            }
        )
    if discount:
        out.append({"rule": "discount", "label": "Discount requested on a line item"})
    return out


# ---- labels for explanations -----------------------------------------------------------------
def feature_label(name: str, row: FeatureRow, norms: Norms) -> str:
    """The plain-words reading of one feature's value for this deal."""
    v = row.values[name]
    stage_name = row.stage.name if row.stage else "this stage"
    if name in ("stage_position", "stage_probability"):
        prob = row.stage.probability if row.stage else 0
        return f"Stage {stage_name} ({prob} % by default)"
    if name == "days_in_stage":
        return f"{int(v)} days in {stage_name}"
    if name == "days_in_stage_ratio":
        if math.isnan(v):
            return f"{int(row.days_in_stage)} days in {stage_name}"
        usual = norms.median_days.get(row.stage.key if row.stage else "", 0)
        return f"{int(row.days_in_stage)} days in {stage_name} (usually {usual:.0f})"
    if name in ("amount_ratio", "log_amount"):
        if math.isnan(row.values["amount_ratio"]):
            return "Amount not set" if row.amount_org is None else "Amount"
        return f"Amount {row.values['amount_ratio']:.1f}× the typical deal"
    if name == "activities_30d":
        n = int(v)
        if n == 0:
            return "No activity in the last 30 days"
        return f"{n} {'activity' if n == 1 else 'activities'} in the last 30 days"
    if name == "days_since_activity":
        if row.days_since_activity is None:
            return "No activity logged yet"
        return f"Last activity {int(v)} days ago"
    if name == "contacts_engaged":
        return f"{_plural(int(v), 'contact')} engaged"
    if name == "close_date_pushes":
        return "Close date never pushed" if v == 0 else f"Close date pushed {int(v)}×"
    if name == "competitors":
        return "No competitor named" if v == 0 else f"{_plural(int(v), 'competitor')} named"
    if name == "owner_win_rate":
        return "Owner's win rate unknown" if math.isnan(v) else f"Owner wins {v:.0%} of deals"
    if name == "deal_age_days":
        return f"Deal open for {int(v)} days"
    if name == "close_date_overdue_days":
        if math.isnan(v):
            return "No close date"
        return f"Close date {int(v)} days past" if v > 0 else f"Close date in {int(-v)} days"
    return name.replace("_", " ")
