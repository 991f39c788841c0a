"""Send time (issue 19, Use Case 4's ``enableOptimization``): per member, the hour of the
week when they open and click, counted on their own wall clock.

What is counted: HUMAN opens and clicks (``email_events`` with ``machine`` false: mail
proxies and scanners are left out), joined to the member through ``email_messages.related_type``
/ ``related_id``. Each event's moment is read in the member's zone
(``nexa.core.localtime.member_zone``) and put in one of 168 hours of the week, 0 = Monday
00:00–00:59 local … 167 = Sunday 23:00–23:59.

How the hour is chosen (``HourChoice.source``):
- ``own``: the member has at least ``MIN_OWN_EVENTS`` events. Their histogram is smoothed
  over neighbouring hours (weights ½, 1, ½: an open at 09:50 and one at 10:05 are one habit),
  and the organization's histogram, scaled to weigh less than one event in total, breaks ties.
  The best hour wins; among equals the earliest.
- ``segment``: fewer own events; the members who share the member's segment. A segment is,
  simply, a lead's country (leads of one country keep similar hours) and a contact's account
  (colleagues at one company); list membership is not used. Needs ``MIN_OWN_EVENTS`` events too.
- ``organization``: every member's events together.
- ``none``: no event at all: ``hour_of_week`` is None (the caller sends when it would anyway).

Queries: members and their own events are read in chunks of ``CHUNK`` ids per record type
(two queries per chunk); when some member falls back, one more query reads every human event
of the organization with its member's zone fields (the segment and organization histograms,
each event in its own member's zone). A campaign of 50 members costs what one of 1 costs.

Scope: an organization-wide model. Its histograms are aggregates of everyone's opens, and the
caller (a campaign's job, acting for the campaign) has already chosen whom it sends to; so the
queries are deliberately unscoped (``nexa.core.repository.unscoped``) and nothing of one
member's record is returned but the hour.

The evaluation (``evaluate``) states its rows, the baseline (the organization's best hour for
everyone) and whether the choice beats it: BENCHMARKS.md, ``bench/eval_send_time.py``.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from nexa.core.localtime import member_zone
from nexa.core.repository import unscoped
from nexa.metadata.organization import organization_zone
from nexa.models import Contact, EmailEvent, EmailMessage, Lead

log = logging.getLogger(__name__)

HOURS_OF_WEEK = 168
MIN_OWN_EVENTS = 5  # fewer own opens and clicks than this: the segment, then the organization
CHUNK = 500
COUNTED_KINDS = ("open", "click")
NEIGHBOUR_WEIGHT = 0.5
MEMBER_TYPES = ("lead", "contact")

Source = Literal["own", "segment", "organization", "none"]
MemberKey = tuple[str, uuid.UUID]


@dataclass(frozen=True)
class HourChoice:
    hour_of_week: int | None  # 0 = Monday 00:00 local … 167 = Sunday 23:00; None: no data
    source: Source
    opens: int  # the human opens and clicks the chosen histogram counted

    @property
    def weekday(self) -> int | None:
        return None if self.hour_of_week is None else self.hour_of_week // 24

    @property
    def hour(self) -> int | None:
        return None if self.hour_of_week is None else self.hour_of_week % 24


def hour_of_week(moment: datetime, zone: tzinfo) -> int:
    local = moment.astimezone(zone)
    return local.weekday() * 24 + local.hour


def best_hour(counts: Counter[int], tie_break: Counter[int] | None = None) -> int | None:
    """The hour of the week with the most events, neighbours counting half; ``tie_break``
    (another histogram) weighs less than one event in all. None for an empty histogram."""
    if not counts:
        return None
    extra_total = sum(tie_break.values()) if tie_break else 0
    best, best_score = None, -1.0
    for h in range(HOURS_OF_WEEK):
        score = counts.get(h, 0) + NEIGHBOUR_WEIGHT * (
            counts.get((h - 1) % HOURS_OF_WEEK, 0) + counts.get((h + 1) % HOURS_OF_WEEK, 0)
        )
        if tie_break and extra_total:
            score += 0.5 * tie_break.get(h, 0) / extra_total
        if score > best_score:
            best, best_score = h, score
    return best


def _chunks(items: Sequence[uuid.UUID]) -> Iterable[Sequence[uuid.UUID]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _model(kind: str) -> Any:
    if kind == "lead":
        return Lead
    if kind == "contact":
        return Contact
    raise ValueError(f"no send times for {kind!r}: leads and contacts only")


def _members(session: Session, kind: str, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Each member's zone fields and segment key, from one query per chunk."""
    model = _model(kind)
    columns: tuple[Any, ...]
    if kind == "lead":
        columns = (Lead.id, Lead.time_zone, Lead.country, Lead.phone)
    else:
        columns = (Contact.id, Contact.time_zone, Contact.phone, Contact.mobile, Contact.account_id)
    rows = session.execute(unscoped(select(*columns).where(model.id.in_(ids)))).mappings().all()
    return {row["id"]: row for row in rows}


def _segment(kind: str, row: Any) -> tuple[str, Any] | None:
    if kind == "lead":
        return ("country", row["country"]) if row["country"] else None
    return ("account", row["account_id"]) if row["account_id"] else None


def _human_events() -> Any:
    return (
        select(EmailMessage.related_type, EmailMessage.related_id, EmailEvent.at)
        .select_from(EmailEvent)
        .join(EmailMessage, EmailMessage.id == EmailEvent.message_id)
        .where(EmailEvent.machine.is_(False), EmailEvent.kind.in_(COUNTED_KINDS))
    )


class _Zones:
    """Members' zones, computed once per member (inference parses phones)."""

    def __init__(self, default: tzinfo | None) -> None:
        self.default = default
        self.known: dict[MemberKey, tzinfo] = {}

    def of(self, key: MemberKey, row: Any) -> tzinfo:
        zone = self.known.get(key)
        if zone is None:
            zone = self.known[key] = member_zone(_Fields(row), self.default)
        return zone


class _Fields:
    """A row's zone fields read as attributes (what ``member_zone`` reads)."""

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        try:
            return self._row[name]
        except KeyError:
            return None


def _organization_histograms(
    session: Session, zones: _Zones
) -> tuple[Counter[int], dict[tuple[str, Any], Counter[int]]]:
    """Every human open and click in its member's zone: the organization's histogram and one
    per segment (one query)."""
    query = (
        _human_events()
        .add_columns(
            Lead.time_zone.label("lead_zone"),
            Lead.country,
            Lead.phone.label("lead_phone"),
            Contact.time_zone.label("contact_zone"),
            Contact.phone.label("contact_phone"),
            Contact.mobile,
            Contact.account_id,
        )
        .outerjoin(
            Lead, and_(EmailMessage.related_type == "lead", Lead.id == EmailMessage.related_id)
        )
        .outerjoin(
            Contact,
            and_(EmailMessage.related_type == "contact", Contact.id == EmailMessage.related_id),
        )
        .where(or_(Lead.id.is_not(None), Contact.id.is_not(None)))
    )
    organization: Counter[int] = Counter()
    segments: dict[tuple[str, Any], Counter[int]] = defaultdict(Counter)
    for row in session.execute(unscoped(query)).mappings():
        kind = row["related_type"]
        if kind == "lead":
            fields = {"time_zone": row["lead_zone"], "country": row["country"],
                      "phone": row["lead_phone"], "account_id": None}  # fmt: skip
        else:
            fields = {"time_zone": row["contact_zone"], "phone": row["contact_phone"],
                      "mobile": row["mobile"], "account_id": row["account_id"],
                      "country": None}  # fmt: skip
        h = hour_of_week(row["at"], zones.of((kind, row["related_id"]), fields))
        organization[h] += 1
        segment = _segment(kind, fields)
        if segment is not None:
            segments[segment][h] += 1
    return organization, segments


def best_hours(
    session: Session,
    members: Sequence[tuple[str, uuid.UUID]],
    *,
    default_zone: tzinfo | None = None,
) -> dict[MemberKey, HourChoice]:
    """The best hour of the week to send to each member (``("lead"|"contact", id)``), in
    their own time zone; ``default_zone``: for members whose zone is not known (the
    organization's, read from its profile, when not given; see ``member_zone``)."""
    zones = _Zones(default_zone or organization_zone(session))
    by_kind: dict[str, list[uuid.UUID]] = defaultdict(list)
    for kind, member_id in dict.fromkeys(members):
        _model(kind)
        by_kind[kind].append(member_id)
    rows: dict[MemberKey, Any] = {}
    own: dict[MemberKey, Counter[int]] = defaultdict(Counter)
    for kind, ids in by_kind.items():
        for chunk in _chunks(ids):
            found = _members(session, kind, chunk)
            rows.update({(kind, i): row for i, row in found.items()})
            query = _human_events().where(
                EmailMessage.related_type == kind, EmailMessage.related_id.in_(chunk)
            )
            for related_type, related_id, at in session.execute(unscoped(query)):
                key = (related_type, related_id)
                if key in rows:
                    own[key][hour_of_week(at, zones.of(key, rows[key]))] += 1
    organization: Counter[int] | None = None
    segments: dict[tuple[str, Any], Counter[int]] = {}
    if any(sum(own[key].values()) < MIN_OWN_EVENTS for key in rows):
        organization, segments = _organization_histograms(session, zones)
    choices: dict[MemberKey, HourChoice] = {}
    for key in dict.fromkeys(members):
        counts = own.get(key, Counter())
        total = sum(counts.values())
        if total >= MIN_OWN_EVENTS:
            choices[key] = HourChoice(best_hour(counts, organization), "own", total)
            continue
        row = rows.get(key)
        segment = _segment(key[0], row) if row is not None else None
        seg_counts = segments.get(segment) if segment is not None else None
        if seg_counts and sum(seg_counts.values()) >= MIN_OWN_EVENTS:
            choices[key] = HourChoice(
                best_hour(seg_counts, organization), "segment", sum(seg_counts.values())
            )
        elif organization:
            choices[key] = HourChoice(
                best_hour(organization), "organization", sum(organization.values())
            )
        else:
            choices[key] = HourChoice(None, "none", 0)
    return choices


# ---- evaluation (the house rule: rows, baseline, whether it beats it) ----------------------


@dataclass(frozen=True)
class SendTimeEvaluation:
    rows: int  # members evaluated: those with at least ``min_opens`` human opens
    accuracy: float  # share whose chosen hour is their true one
    baseline: float  # share for whom the organization's best hour is their true one
    baseline_hour: int | None
    min_opens: int

    @property
    def beats_baseline(self) -> bool:
        return self.accuracy > self.baseline

    def summary(self) -> str:
        verdict = "beats" if self.beats_baseline else "does not beat"
        return (
            f"send time: chosen hour = true hour for {self.accuracy:.1%} of {self.rows} members"
            f" with >= {self.min_opens} opens; baseline (the organization's best hour for"
            f" everyone) {self.baseline:.1%}; {verdict} it"
        )


def evaluate(
    session: Session,
    truth: dict[MemberKey, int],
    opens: dict[MemberKey, int],
    *,
    min_opens: int = 10,
    default_zone: tzinfo | None = None,
) -> SendTimeEvaluation:
    """How often ``best_hours`` finds each member's true hour (``truth``: hour of week), over
    the members with at least ``min_opens`` human opens (``opens``)."""
    members = [key for key in truth if opens.get(key, 0) >= min_opens]
    choices = best_hours(session, members, default_zone=default_zone)
    zones = _Zones(default_zone or organization_zone(session))
    organization, _ = _organization_histograms(session, zones)
    baseline_hour = best_hour(organization)
    hits = sum(1 for key in members if choices[key].hour_of_week == truth[key])
    base_hits = sum(1 for key in members if truth[key] == baseline_hour)
    result = SendTimeEvaluation(
        rows=len(members),
        accuracy=hits / len(members) if members else 0.0,
        baseline=base_hits / len(members) if members else 0.0,
        baseline_hour=baseline_hour,
        min_opens=min_opens,
    )
    log.info("%s", result.summary())
    return result
