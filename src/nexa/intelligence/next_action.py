"""Next best action: pure rules over a few facts about one lead, deal or contact.

Each rule looks at the facts and, when it applies, proposes an ``Action``: a stable key, a
title a person can turn into a task, the reason in words, the signal behind it (which fact
fired the rule), a priority 0–100 and a suggested due time. ``rank`` orders them: highest
priority first, then the earliest due. No database here: the service gathers the facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from nexa.core.money import money
from nexa.intelligence.bands import display_band

OPEN_LEAD_STATUSES = ("new", "contacted", "qualified")
EXECUTIVE_SENIORITIES = ("c_level", "vp")
SENIORITY_WORDS = {"c_level": "C-level", "vp": "VP-level"}
FOLLOW_UP_AFTER_DAYS = 3
LEAD_QUIET_DAYS = 14
DEAL_QUIET_DAYS = 14
CONTACT_QUIET_DAYS = 30
DEMO_SCORE = 60
BIG_DEAL_FACTOR = Decimal(2)  # "high amount": at least twice the organization's median
EARLY_STAGE_PROBABILITY = 25  # prospecting and qualification by default
PROPOSAL_STAGES = ("qualification", "proposal")


@dataclass(frozen=True)
class Action:
    key: str
    title: str
    reason: str
    signal: str
    priority: int  # 0-100, higher first
    due_at: datetime
    task_id: str | None = None  # an open task already made from this action

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rank(actions: Iterable[Action]) -> list[Action]:
    """Highest priority first; ties: the earliest due, then the key (stable output)."""
    return sorted(actions, key=lambda a: (-a.priority, a.due_at, a.key))


def _clamp(value: float) -> int:
    return max(0, min(100, round(value)))


def _days(now: datetime, then: datetime) -> int:
    return max(0, (now - then).days)


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


# ---- leads ------------------------------------------------------------------------------


@dataclass
class LeadFacts:
    status: str = "new"
    created_at: datetime | None = None
    score: int | None = None
    seniority: str | None = None
    title: str | None = None
    email_kind: str | None = None
    sla_due_at: datetime | None = None
    sla_priority: str | None = None
    first_response_at: datetime | None = None
    last_contacted_at: datetime | None = None
    last_activity_at: datetime | None = None  # the latest call, meeting, note, reply …
    last_reply_at: datetime | None = None  # the latest inbound reply, when we know one
    meetings: int = 0  # meetings booked on the lead (any status but cancelled)


def lead_actions(facts: LeadFacts, now: datetime) -> list[Action]:
    if facts.status not in OPEN_LEAD_STATUSES:
        return []
    found: list[Action] = []
    touched = _latest(facts.last_contacted_at, facts.last_activity_at, facts.last_reply_at)
    quiet_since = touched or facts.created_at

    # call now while the SLA clock runs (or right away when it already ran out)
    if facts.sla_due_at is not None and facts.first_response_at is None:
        left = facts.sla_due_at - now
        minutes = int(left.total_seconds() // 60)
        urgency = {"urgent": 10, "high": 6, "normal": 2}.get(facts.sla_priority or "", 0)
        if left.total_seconds() > 0:
            reason = f"First response is due in {_duration(minutes)}"
            found.append(
                Action("call_now", "Call now while the SLA runs", reason, "sla_due_at",
                       _clamp(88 + urgency), facts.sla_due_at)
            )  # fmt: skip
        else:
            reason = f"The first-response SLA ran out {_duration(-minutes)} ago"
            found.append(
                Action("call_now", "Call now: the SLA has run out", reason, "sla_due_at",
                       _clamp(90 + urgency), now)
            )  # fmt: skip
    elif facts.status == "new" and touched is None and facts.first_response_at is None:
        found.append(
            Action("first_contact", "Make the first contact",
                   "A new lead nobody has contacted yet", "status",
                   _clamp(60 + (facts.score or 0) / 10), now + timedelta(hours=4))
        )  # fmt: skip

    # send the drafted follow-up: contacted, then silence for 3 (but not yet 14) days
    last_out = _latest(facts.last_contacted_at, facts.last_activity_at)
    if (
        facts.status == "contacted"
        and last_out is not None
        and FOLLOW_UP_AFTER_DAYS <= _days(now, last_out) < LEAD_QUIET_DAYS
        and (facts.last_reply_at is None or facts.last_reply_at < last_out)
    ):
        days = _days(now, last_out)
        found.append(
            Action("send_follow_up", "Send the drafted follow-up",
                   f"Contacted {days} days ago and no reply or activity since",
                   "last_contacted_at", _clamp(68 + min(days, 10)), now + timedelta(hours=4))
        )  # fmt: skip

    # schedule a demo: a hot or qualified lead with no meeting booked
    hot = facts.score is not None and facts.score >= DEMO_SCORE
    if (hot or facts.status == "qualified") and facts.meetings == 0:
        if hot:
            band = display_band(facts.score)
            reason = f"Score {facts.score} ({band}) and no meeting booked yet"
            signal = "score"
        else:
            reason, signal = "Qualified and no meeting booked yet", "status"
        priority = 74 + max(0, (facts.score or DEMO_SCORE) - DEMO_SCORE) / 4
        found.append(
            Action("schedule_demo", "Schedule a demo", reason, signal, _clamp(priority),
                   now + timedelta(days=2))
        )  # fmt: skip

    # re-engage after two quiet weeks
    if quiet_since is not None and _days(now, quiet_since) >= LEAD_QUIET_DAYS:
        days = _days(now, quiet_since)
        what = "No activity" if touched is not None else "Nothing has happened"
        found.append(
            Action("re_engage", "Re-engage the lead", f"{what} in {days} days",
                   "last_activity_at", _clamp(45 + min(days - LEAD_QUIET_DAYS, 15)),
                   now + timedelta(days=1))
        )  # fmt: skip

    # bring in an executive for a C-level or VP-level buyer
    if facts.seniority in EXECUTIVE_SENIORITIES:
        words = SENIORITY_WORDS[facts.seniority]
        title = f" ({facts.title})" if facts.title else ""
        found.append(
            Action("bring_in_executive", "Bring in an executive sponsor",
                   f"The lead is {words}{title}: match them with one of our executives",
                   "seniority", 55 if facts.status == "new" else 62, now + timedelta(days=3))
        )  # fmt: skip

    if facts.email_kind == "disposable":
        found.append(
            Action("verify_contact", "Verify the lead's contact details",
                   "The email address is a throw-away (disposable) address", "email_kind",
                   40, now + timedelta(days=1))
        )  # fmt: skip
    return rank(found)


def _duration(minutes: int) -> str:
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} days"


# ---- deals ------------------------------------------------------------------------------


@dataclass
class DealFacts:
    stage: str = "prospecting"
    stage_name: str = "Prospecting"
    stage_kind: str = "open"
    stage_probability: int = 10
    stage_entered_at: datetime | None = None
    stall_after_days: int | None = None
    created_at: datetime | None = None
    amount: Decimal | None = None  # in the organization's currency
    median_amount: Decimal | None = None  # of the organization's deals
    contacts_engaged: int = 0  # the primary contact and contacts met on this deal
    quotes: int = 0
    meetings: int = 0
    last_activity_at: datetime | None = None
    close_date: date | None = None
    risk_factors: list[Any] = field(default_factory=list)


def _stall_in_risks(risks: list[Any]) -> str | None:
    """The words of a stall among the deal's risk factors (strings or {key,label} dicts)."""
    for risk in risks:
        if isinstance(risk, dict):
            text = " ".join(str(risk.get(k) or "") for k in ("key", "feature", "code", "label"))
            label = str(risk.get("label") or risk.get("key") or "stalled")
        else:
            text = label = str(risk)
        if "stall" in text.lower():
            return label
    return None


def deal_actions(facts: DealFacts, now: datetime) -> list[Action]:
    if facts.stage_kind != "open":
        return []
    found: list[Action] = []
    in_stage = _days(now, facts.stage_entered_at) if facts.stage_entered_at else 0

    # send the proposal within 24 hours
    if facts.stage in PROPOSAL_STAGES and facts.quotes == 0:
        found.append(
            Action("send_proposal", "Send the proposal within 24 h",
                   f"In {facts.stage_name} for {in_stage} days and no quote yet", "stage",
                   80 if facts.stage == "proposal" else 66, now + timedelta(hours=24))
        )  # fmt: skip

    # re-engage a stalled deal
    stall = _stall_in_risks(facts.risk_factors)
    over = facts.stall_after_days is not None and in_stage > facts.stall_after_days
    if stall or over:
        if over:
            reason = (
                f"{in_stage} days in {facts.stage_name}; deals stall here after "
                f"{facts.stall_after_days}"
            )
            signal = "days_in_stage"
        else:
            reason, signal = f"Risk: {stall}", "risk_factors"
        found.append(
            Action("re_engage_stalled", "Re-engage the stalled deal", reason, signal,
                   _clamp(76 + min(in_stage - (facts.stall_after_days or in_stage), 10)),
                   now + timedelta(days=1))
        )  # fmt: skip
    else:
        touched = facts.last_activity_at or facts.created_at
        if touched is not None and _days(now, touched) >= DEAL_QUIET_DAYS:
            days = _days(now, touched)
            found.append(
                Action("re_engage", "Re-engage the buyer", f"No activity in {days} days",
                       "last_activity_at", _clamp(55 + min(days - DEAL_QUIET_DAYS, 15)),
                       now + timedelta(days=1))
            )  # fmt: skip

    # bring in an executive: a big deal resting on one person
    if (
        facts.amount is not None
        and facts.median_amount is not None
        and facts.median_amount > 0
        and facts.amount >= facts.median_amount * BIG_DEAL_FACTOR
        and facts.contacts_engaged <= 1
    ):
        times = facts.amount / facts.median_amount
        who = "only one contact is" if facts.contacts_engaged == 1 else "no contact is"
        found.append(
            Action("bring_in_executive", "Bring in an executive",
                   f"{money(facts.amount)} is {times:.1f}× the median deal "
                   f"({money(facts.median_amount)}) and {who} engaged",
                   "amount", 70, now + timedelta(days=3))
        )  # fmt: skip

    # schedule a demo early on
    if facts.stage_probability <= EARLY_STAGE_PROBABILITY and facts.meetings == 0:
        found.append(
            Action("schedule_demo", "Schedule a demo",
                   f"{facts.stage_name} stage and no meeting booked yet", "stage", 60,
                   now + timedelta(days=2))
        )  # fmt: skip

    if facts.close_date is not None and facts.close_date < now.date():
        found.append(
            Action("update_close_date", "Update the close date",
                   f"The close date {facts.close_date.isoformat()} has passed", "close_date",
                   50, now + timedelta(days=1))
        )  # fmt: skip
    return rank(found)


# ---- contacts ---------------------------------------------------------------------------


@dataclass
class ContactFacts:
    created_at: datetime | None = None
    last_activity_at: datetime | None = None
    seniority: str | None = None
    title: str | None = None
    account_name: str | None = None
    account_type: str | None = None
    account_open_deals: int = 0


def contact_actions(facts: ContactFacts, now: datetime) -> list[Action]:
    found: list[Action] = []
    touched = facts.last_activity_at or facts.created_at
    if touched is not None and _days(now, touched) >= CONTACT_QUIET_DAYS:
        days = _days(now, touched)
        what = "No activity" if facts.last_activity_at else "Nothing logged"
        found.append(
            Action("follow_up", "Follow up", f"{what} in {days} days", "last_activity_at",
                   _clamp(50 + min(days - CONTACT_QUIET_DAYS, 20) / 2),
                   now + timedelta(days=2))
        )  # fmt: skip
    if facts.account_type == "customer" and facts.account_open_deals == 0:
        name = facts.account_name or "The account"
        found.append(
            Action("open_deal", "Open an upsell deal",
                   f"{name} is a customer with no open deal", "account_type", 55,
                   now + timedelta(days=7))
        )  # fmt: skip
    if facts.seniority in EXECUTIVE_SENIORITIES and facts.account_open_deals > 0:
        words = SENIORITY_WORDS[facts.seniority]
        found.append(
            Action("bring_in_executive", "Bring in an executive sponsor",
                   f"A {words} contact on an account with an open deal", "seniority", 52,
                   now + timedelta(days=3))
        )  # fmt: skip
    return rank(found)


KNOWN_KEYS = {
    "lead": (
        "call_now", "first_contact", "send_follow_up", "schedule_demo", "re_engage",
        "bring_in_executive", "verify_contact",
    ),
    "deal": (
        "send_proposal", "re_engage_stalled", "re_engage", "bring_in_executive",
        "schedule_demo", "update_close_date",
    ),
    "contact": ("follow_up", "open_deal", "bring_in_executive"),
}  # fmt: skip


# ---- a response to outreach (Use Case 4's handleResponse) ------------------------------------

# Words that turn a reply into a refusal or a request to stop (checked before the positive ones:
# "not interested" holds "interested"). A rule list, stated here, not a model.
REFUSALS = (
    "not interested",
    "no thanks",
    "no thank you",
    "unsubscribe",
    "stop emailing",
    "stop contacting",
    "remove me",
    "take me off",
    "not a fit",
    "no budget",
    "we chose",
    "went with",
)
LATER = ("next quarter", "next year", "later this year", "not now", "reach out in", "after the")
POSITIVE = (
    "interested",
    "let's talk",
    "lets talk",
    "call me",
    "book",
    "schedule",
    "demo",
    "pricing",
    "sounds good",
    "tell me more",
    "available",
)


@dataclass(frozen=True)
class ResponseFacts:
    """What the person did (``kind``: replied, opened, clicked, unsubscribed, bounced,
    booked_meeting, filled_form) on which channel, with the text of a reply, and how many
    touches came before (opens and clicks among them)."""

    kind: str
    channel: str = "email"
    text: str | None = None
    touches: int = 0
    opens: int = 0
    clicks: int = 0


def reply_tone(text: str | None) -> str:
    """refusal, later, positive or neutral — from the phrases above."""
    words = " ".join((text or "").lower().split())
    if any(p in words for p in REFUSALS):
        return "refusal"
    if any(p in words for p in LATER):
        return "later"
    if any(p in words for p in POSITIVE):
        return "positive"
    return "neutral"


def response_actions(resp: ResponseFacts, now: datetime) -> list[tuple[Action, dict[str, Any]]]:
    """The actions a response calls for, each with the parameters to carry it out (the task
    to create, the sequence to stop): the spec's ``nextBestAction({context: {response}})``."""
    found: list[tuple[Action, dict[str, Any]]] = []
    seen = f"after {resp.touches} touch{'es' if resp.touches != 1 else ''}"
    if resp.kind == "replied":
        tone = reply_tone(resp.text)
        if tone == "refusal":
            found.append(
                (
                    Action(
                        "stop_outreach",
                        "Stop the outreach and mark the lead as not interested",
                        f"They declined ({seen})",
                        "reply",
                        90,
                        now,
                    ),
                    {"stop_sequences": True, "status": "lost"},
                )
            )
        elif tone == "later":
            found.append(
                (
                    Action(
                        "follow_up_later",
                        "Follow up when they asked",
                        f"They asked to talk later ({seen})",
                        "reply",
                        70,
                        now + timedelta(days=60),
                    ),
                    {"stop_sequences": True, "task_due_in_days": 60},
                )
            )
        else:
            priority = 95 if tone == "positive" else 85
            found.append(
                (
                    Action(
                        "book_meeting",
                        "Answer the reply and propose a meeting time",
                        f"They replied by {resp.channel} ({seen})",
                        "reply",
                        priority,
                        now + timedelta(hours=1),
                    ),
                    {"stop_sequences": True, "task_due_in_hours": 1},
                )
            )
    elif resp.kind in ("booked_meeting", "filled_form"):
        what = "booked a meeting" if resp.kind == "booked_meeting" else "filled in a form"
        found.append(
            (
                Action(
                    "prepare_meeting",
                    "Prepare for the conversation",
                    f"They {what}",
                    resp.kind,
                    90,
                    now + timedelta(hours=4),
                ),
                {"stop_sequences": True},
            )
        )
    elif resp.kind == "clicked" or (resp.kind == "opened" and resp.opens >= 3):
        signal = "clicks" if resp.kind == "clicked" else "opens"
        count = resp.clicks if resp.kind == "clicked" else resp.opens
        found.append(
            (
                Action(
                    "call_while_warm",
                    "Call while they are reading",
                    f"{count} {signal} so far ({seen})",
                    signal,
                    80,
                    now + timedelta(hours=2),
                ),
                {"task_due_in_hours": 2, "channel": "voice"},
            )
        )
    elif resp.kind == "unsubscribed":
        found.append(
            (
                Action(
                    "respect_opt_out",
                    "Stop marketing; reach out one to one only if they ask",
                    "They unsubscribed",
                    "unsubscribe",
                    60,
                    now,
                ),
                {"stop_sequences": True},
            )
        )
    elif resp.kind == "bounced":
        found.append(
            (
                Action(
                    "fix_address",
                    "Find a working email address",
                    "The address bounced",
                    "bounce",
                    65,
                    now + timedelta(days=1),
                ),
                {"channel": "linkedin"},
            )
        )
    return found
