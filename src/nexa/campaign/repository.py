"""All of the campaigns' SQL: campaigns, steps and members, the sequence engine's reads and
writes, and the touches with their daily counters (written as they happen — the engine's
sends, the email and SMS events that follow — and read by analytics and attribution)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.orm import Session

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.models import (
    Campaign,
    CampaignDailyStat,
    CampaignMember,
    CampaignStep,
    CampaignStepRun,
    CampaignTouch,
    EmailMessage,
    Lead,
    Meeting,
)
from nexa.models.campaign import (
    CAMPAIGN_GOALS,
    CAMPAIGN_LEVEL,
    CAMPAIGN_STATUSES,
    CAMPAIGN_TYPES,
    LIVE_STATES,
)

KINDS = {
    "id": "uuid",
    "name": "str",
    "description": "str",
    "type": "enum",
    "status": "enum",
    "goal": "enum",
    "starts_on": "date",
    "ends_on": "date",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"name", "created_at", "updated_at", "starts_on"}
CHOICES = {"type": CAMPAIGN_TYPES, "status": CAMPAIGN_STATUSES, "goal": CAMPAIGN_GOALS}
MEMBER_TABLE: Table = CampaignMember.__table__  # type: ignore[assignment]
RUN_TABLE: Table = CampaignStepRun.__table__  # type: ignore[assignment]
STAT_TABLE: Table = CampaignDailyStat.__table__  # type: ignore[assignment]


class CampaignRepository(Repository[Campaign]):
    model = Campaign
    object_name = "campaign"

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(Campaign, KINDS, SORTABLE, CHOICES)

    def lists(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """The live lists among ``ids`` (campaign segments: names and object types)."""
        from nexa.models import RecordList

        if not ids:
            return {}
        stmt = select(RecordList).where(RecordList.id.in_(ids), RecordList.deleted_at.is_(None))
        return {lst.id: lst for lst in self.session.scalars(unscoped(stmt))}

    def ids_of(self, stmt: Any, id_column: Any, limit: int = 100_000) -> list[uuid.UUID]:
        """The ids a readable, filtered statement selects (enrolment by filter)."""
        return list(self.session.scalars(stmt.with_only_columns(id_column).limit(limit)))

    def web_forms(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        from nexa.models import WebForm

        if not ids:
            return set()
        stmt = select(WebForm.id).where(WebForm.id.in_(ids))
        return set(self.session.scalars(unscoped(stmt)))

    # -- steps ------------------------------------------------------------------------------
    def steps(self, campaign_id: uuid.UUID) -> list[CampaignStep]:
        stmt = (
            select(CampaignStep)
            .where(CampaignStep.campaign_id == campaign_id)
            .order_by(CampaignStep.position)
        )
        return list(self.session.scalars(stmt))

    def steps_of(self, campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[CampaignStep]]:
        out: dict[uuid.UUID, list[CampaignStep]] = {i: [] for i in campaign_ids}
        if not campaign_ids:
            return out
        stmt = (
            select(CampaignStep)
            .where(CampaignStep.campaign_id.in_(campaign_ids))
            .order_by(CampaignStep.campaign_id, CampaignStep.position)
        )
        for step in self.session.scalars(stmt):
            out[step.campaign_id].append(step)
        return out

    def delete_steps(self, campaign_id: uuid.UUID) -> None:
        for step in self.steps(campaign_id):
            self.session.delete(step)
        self.session.flush()

    def has_runs(self, campaign_id: uuid.UUID) -> bool:
        stmt = select(CampaignStepRun.id).where(CampaignStepRun.campaign_id == campaign_id)
        return self.session.scalars(stmt.limit(1)).first() is not None

    # -- members ----------------------------------------------------------------------------
    def members_by_record(
        self, campaign_id: uuid.UUID, record_type: str, record_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, CampaignMember]:
        out: dict[uuid.UUID, CampaignMember] = {}
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start : start + 500]
            stmt = select(CampaignMember).where(
                CampaignMember.campaign_id == campaign_id,
                CampaignMember.record_type == record_type,
                CampaignMember.record_id.in_(chunk),
            )
            out.update({m.record_id: m for m in self.session.scalars(stmt)})
        return out

    def insert_members(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(MEMBER_TABLE), rows)

    def restart_members(self, rows: list[dict[str, Any]]) -> None:
        """Enrol again members whose earlier run ended (``b_id`` and the new values)."""
        if not rows:
            return
        self.session.execute(
            update(MEMBER_TABLE)
            .where(MEMBER_TABLE.c.id == bindparam("b_id"))
            .values(
                state="enrolled",
                exit_reason=None,
                step_position=0,
                next_at=bindparam("b_next_at"),
                enrolled_at=bindparam("b_at"),
                enrolled_by_id=bindparam("b_by"),
                source=bindparam("b_source"),
                last_step_at=None,
                ended_at=None,
                updated_at=bindparam("b_at"),
            ),
            rows,
        )
        # the step runs of the earlier enrolment go: each step runs once per enrolment
        ids = [r["b_id"] for r in rows]
        for start in range(0, len(ids), 500):
            self.session.execute(
                RUN_TABLE.delete().where(RUN_TABLE.c.member_id.in_(ids[start : start + 500]))
            )

    def member(self, member_id: uuid.UUID) -> CampaignMember | None:
        return self.session.get(CampaignMember, member_id)

    def members_page(
        self, campaign_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[CampaignMember]:
        stmt = select(CampaignMember).where(CampaignMember.campaign_id == campaign_id)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                (CampaignMember.enrolled_at > at)
                | and_(CampaignMember.enrolled_at == at, CampaignMember.id > last_id)
            )
        stmt = stmt.order_by(CampaignMember.enrolled_at, CampaignMember.id).limit(limit)
        return list(self.session.scalars(stmt))

    def memberships_of(
        self, record_type: str, record_id: uuid.UUID, *, live_only: bool = False
    ) -> list[tuple[CampaignMember, Campaign]]:
        stmt = (
            select(CampaignMember, Campaign)
            .join(Campaign, Campaign.id == CampaignMember.campaign_id)
            .where(
                CampaignMember.record_type == record_type,
                CampaignMember.record_id == record_id,
                Campaign.deleted_at.is_(None),
            )
            .order_by(CampaignMember.enrolled_at.desc())
        )
        if live_only:
            stmt = stmt.where(CampaignMember.state.in_(LIVE_STATES))
        return [(m, c) for m, c in self.session.execute(unscoped(stmt))]

    def end_members(
        self, member_ids: list[uuid.UUID], state: str, reason: str | None, at: datetime
    ) -> None:
        for start in range(0, len(member_ids), 500):
            self.session.execute(
                update(MEMBER_TABLE)
                .where(
                    MEMBER_TABLE.c.id.in_(member_ids[start : start + 500]),
                    MEMBER_TABLE.c.state.in_(LIVE_STATES),
                )
                .values(state=state, exit_reason=reason, next_at=None, ended_at=at, updated_at=at)
            )

    def move_member(self, member_id: uuid.UUID, record_type: str, record_id: uuid.UUID) -> None:
        self.session.execute(
            update(MEMBER_TABLE)
            .where(MEMBER_TABLE.c.id == member_id)
            .values(record_type=record_type, record_id=record_id)
        )

    def count_members(self, campaign_id: uuid.UUID) -> dict[str, int]:
        stmt = (
            select(CampaignMember.state, func.count())
            .where(CampaignMember.campaign_id == campaign_id)
            .group_by(CampaignMember.state)
        )
        return {state: int(n) for state, n in self.session.execute(stmt)}

    # -- the engine -------------------------------------------------------------------------
    def running_campaigns(self) -> list[Campaign]:
        stmt = select(Campaign).where(Campaign.status == "running", Campaign.deleted_at.is_(None))
        return list(self.session.scalars(unscoped(stmt)))

    def due_campaigns(self, now: datetime) -> list[Campaign]:
        """Scheduled campaigns whose start time came."""
        stmt = select(Campaign).where(
            Campaign.status == "scheduled",
            Campaign.start_at <= now,
            Campaign.deleted_at.is_(None),
        )
        return list(self.session.scalars(unscoped(stmt)))

    def due_members(
        self, campaign_id: uuid.UUID, now: datetime, limit: int
    ) -> list[CampaignMember]:
        stmt = (
            select(CampaignMember)
            .where(
                CampaignMember.campaign_id == campaign_id,
                CampaignMember.state.in_(LIVE_STATES),
                CampaignMember.next_at <= now,
            )
            .order_by(CampaignMember.next_at, CampaignMember.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def update_members(self, rows: list[dict[str, Any]]) -> None:
        """Move members on (``b_id``, ``b_state``, ``b_position``, ``b_next_at``,
        ``b_last``, ``b_reason``, ``b_ended``, ``b_at``): one executemany."""
        if not rows:
            return
        self.session.execute(
            update(MEMBER_TABLE)
            .where(MEMBER_TABLE.c.id == bindparam("b_id"))
            .values(
                state=bindparam("b_state"),
                step_position=bindparam("b_position"),
                next_at=bindparam("b_next_at"),
                last_step_at=bindparam("b_last"),
                exit_reason=bindparam("b_reason"),
                ended_at=bindparam("b_ended"),
                updated_at=bindparam("b_at"),
            ),
            rows,
        )

    def runs_done(self, step_id: uuid.UUID, member_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """The members that already have a run of ``step_id`` (a step re-run after a crash)."""
        stmt = select(CampaignStepRun.member_id).where(
            CampaignStepRun.step_id == step_id, CampaignStepRun.member_id.in_(member_ids)
        )
        return set(self.session.scalars(stmt))

    def insert_runs(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(RUN_TABLE), rows)

    def sent_since(self, campaign_ids: list[uuid.UUID], since: datetime) -> int:
        """Emails the engine sent for these campaigns since ``since`` (a mailbox's day)."""
        stmt = select(func.count()).where(
            CampaignStepRun.campaign_id.in_(campaign_ids),
            CampaignStepRun.channel == "email",
            CampaignStepRun.outcome == "sent",
            CampaignStepRun.at >= since,
        )
        return int(self.session.scalar(stmt) or 0)

    def running_campaign_ids_of_owner(self, owner_id: uuid.UUID | None) -> list[uuid.UUID]:
        stmt = select(Campaign.id).where(
            Campaign.owner_id == owner_id, Campaign.deleted_at.is_(None)
        )
        return list(self.session.scalars(unscoped(stmt)))

    # -- conditions -------------------------------------------------------------------------
    def last_email_engagement(
        self, member_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[int, int]]:
        """(human opens, human clicks) of the last email the campaign sent each member."""
        stmt = (
            select(
                CampaignStepRun.member_id,
                CampaignStepRun.at,
                EmailMessage.opens,
                EmailMessage.clicks,
            )
            .join(EmailMessage, EmailMessage.id == CampaignStepRun.message_id)
            .where(
                CampaignStepRun.member_id.in_(member_ids),
                CampaignStepRun.channel == "email",
                CampaignStepRun.outcome == "sent",
            )
            .order_by(CampaignStepRun.at)
        )
        out: dict[uuid.UUID, tuple[int, int]] = {}
        for member_id, _at, opens, clicks in self.session.execute(unscoped(stmt)):
            out[member_id] = (int(opens or 0), int(clicks or 0))
        return out

    def responded(self, record_type: str, since: dict[uuid.UUID, datetime]) -> set[uuid.UUID]:
        """Of these records (→ enrolment time), those that answered since: a message from
        them, a reply to ours, or a meeting with them."""
        if not since:
            return set()
        ids = list(since)
        earliest = min(since.values())
        answered: set[uuid.UUID] = set()
        mail = select(
            EmailMessage.related_id,
            EmailMessage.created_at,
            EmailMessage.replied_at,
            EmailMessage.direction,
        ).where(
            EmailMessage.related_type == record_type,
            EmailMessage.related_id.in_(ids),
            ((EmailMessage.direction == "in") & (EmailMessage.created_at >= earliest))
            | (EmailMessage.replied_at >= earliest),
        )
        for record_id, created, replied, direction in self.session.execute(unscoped(mail)):
            at = created if direction == "in" else replied
            if at is not None and at >= since[record_id]:
                answered.add(record_id)
        meet = select(Meeting.related_id, Meeting.created_at).where(
            Meeting.related_type == record_type,
            Meeting.related_id.in_(ids),
            Meeting.created_at >= earliest,
            Meeting.deleted_at.is_(None),
        )
        for record_id, created in self.session.execute(unscoped(meet)):
            if created >= since[record_id]:
                answered.add(record_id)
        return answered

    def lead_scores(self, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, int | None]:
        stmt = select(Lead.id, Lead.score).where(Lead.id.in_(lead_ids))
        return {i: s for i, s in self.session.execute(unscoped(stmt))}

    def contact_scores(self, contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, int | None]:
        """A contact's score: that of the lead it was converted from (contacts have none)."""
        stmt = select(Lead.converted_contact_id, Lead.score).where(
            Lead.converted_contact_id.in_(contact_ids)
        )
        return {i: s for i, s in self.session.execute(unscoped(stmt))}

    def templates_named(self, names: list[str]) -> dict[str, uuid.UUID]:
        from nexa.models import EmailTemplate

        if not names:
            return {}
        stmt = select(EmailTemplate.name, EmailTemplate.id).where(EmailTemplate.name.in_(names))
        return {n: i for n, i in self.session.execute(unscoped(stmt))}

    def template_texts(self, template_id: uuid.UUID) -> tuple[str, str] | None:
        from nexa.models import EmailTemplate

        stmt = select(EmailTemplate.subject, EmailTemplate.text_body).where(
            EmailTemplate.id == template_id
        )
        row = self.session.execute(unscoped(stmt)).first()
        return (row[0], row[1]) if row is not None else None

    def message_records(self, message_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """record id → message id of messages just written (the bulk send's ids)."""
        stmt = select(EmailMessage.related_id, EmailMessage.id).where(
            EmailMessage.id.in_(message_ids)
        )
        return {r: m for r, m in self.session.execute(unscoped(stmt)) if r is not None}

    def campaign(self, campaign_id: uuid.UUID) -> Campaign | None:
        """System view (the engine): the live campaign."""
        stmt = select(Campaign).where(Campaign.id == campaign_id, Campaign.deleted_at.is_(None))
        return self.session.scalars(unscoped(stmt)).first()

    def variant_stats(self, step_id: uuid.UUID, count: int) -> dict[int, tuple[int, int]]:
        """Per variant of a step: (members who clicked or replied, members sent)."""
        stmt = (
            select(
                CampaignStepRun.variant,
                func.count(),
                func.sum(
                    case(
                        (
                            (EmailMessage.clicks > 0) | EmailMessage.replied_at.is_not(None),
                            1,
                        ),
                        else_=0,
                    )
                ),
            )
            .join(EmailMessage, EmailMessage.id == CampaignStepRun.message_id)
            .where(CampaignStepRun.step_id == step_id, CampaignStepRun.outcome == "sent")
            .group_by(CampaignStepRun.variant)
        )
        out = {i: (0, 0) for i in range(count)}
        for variant, trials, successes in self.session.execute(unscoped(stmt)):
            if variant is not None and variant in out:
                out[variant] = (int(successes or 0), int(trials or 0))
        return out

    def record_owners(
        self, records: list[tuple[str, uuid.UUID]]
    ) -> dict[tuple[str, uuid.UUID], tuple[uuid.UUID | None, str]]:
        """(owner id, name) of leads and contacts (system view: the engine's tasks)."""
        from nexa.models import Contact

        out: dict[tuple[str, uuid.UUID], tuple[uuid.UUID | None, str]] = {}
        for record_type, model in (("lead", Lead), ("contact", Contact)):
            ids = [i for t, i in records if t == record_type]
            for start in range(0, len(ids), 500):
                stmt = select(model.id, model.owner_id, model.first_name, model.last_name).where(
                    model.id.in_(ids[start : start + 500])
                )
                for rid, owner, first, last in self.session.execute(unscoped(stmt)):
                    name = " ".join(p for p in (first, last) if p)
                    out[(record_type, rid)] = (owner, name)
        return out

    def zone_facts(
        self, records: list[tuple[str, uuid.UUID]]
    ) -> dict[tuple[str, uuid.UUID], tuple[Any, Any, Any, Any]]:
        """(time zone, country, phone, mobile) of leads and contacts: what their local time
        needs (a column a type lacks reads as None)."""
        from nexa.models import Contact

        out: dict[tuple[str, uuid.UUID], tuple[Any, Any, Any, Any]] = {}
        for record_type, model in (("lead", Lead), ("contact", Contact)):
            ids = [i for t, i in records if t == record_type]
            cols = [
                getattr(model, name, None) if hasattr(model, name) else literal(None)
                for name in ("time_zone", "country", "phone", "mobile")
            ]
            for start in range(0, len(ids), 500):
                stmt = select(model.id, *cols).where(model.id.in_(ids[start : start + 500]))
                for rid, zone, country, phone, mobile in self.session.execute(unscoped(stmt)):
                    out[(record_type, rid)] = (zone, country, phone, mobile)
        return out

    def due_by_day(self, start: datetime, end: datetime) -> list[tuple[Any, str, str, int]]:
        """(day, campaign, channel of the step due, members) for members due in the window,
        and (day, campaign, "start", 0) for campaigns scheduled to start in it."""
        stmt = (
            select(CampaignMember.next_at, Campaign.name, CampaignStep.channel)
            .join(Campaign, Campaign.id == CampaignMember.campaign_id)
            .join(
                CampaignStep,
                and_(
                    CampaignStep.campaign_id == CampaignMember.campaign_id,
                    CampaignStep.position == CampaignMember.step_position,
                ),
            )
            .where(
                CampaignMember.state.in_(LIVE_STATES),
                CampaignMember.next_at >= start,
                CampaignMember.next_at < end,
                Campaign.status.in_(("running", "paused", "scheduled")),
                Campaign.deleted_at.is_(None),
            )
            .limit(200_000)
        )
        counts: dict[tuple[Any, str, str], int] = {}
        for at, name, channel in self.session.execute(unscoped(stmt)):
            key = (at.date(), name, channel)
            counts[key] = counts.get(key, 0) + 1
        starts = select(Campaign.start_at, Campaign.name).where(
            Campaign.status == "scheduled",
            Campaign.start_at >= start,
            Campaign.start_at < end,
            Campaign.deleted_at.is_(None),
        )
        for at, name in self.session.execute(unscoped(starts)):
            counts[(at.date(), name, "start")] = 0
        return sorted((d, n, c, k) for (d, n, c), k in counts.items())

    # -- events -----------------------------------------------------------------------------
    def runs_of_messages(
        self, message_ids: list[uuid.UUID]
    ) -> list[tuple[CampaignStepRun, CampaignMember]]:
        stmt = (
            select(CampaignStepRun, CampaignMember)
            .join(CampaignMember, CampaignMember.id == CampaignStepRun.member_id)
            .where(CampaignStepRun.message_id.in_(message_ids))
        )
        return [(r, m) for r, m in self.session.execute(stmt)]

    def deal_people(self, deal_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
        from nexa.models import Deal

        stmt = select(Deal.lead_id, Deal.primary_contact_id).where(Deal.id == deal_id)
        row = self.session.execute(unscoped(stmt)).first()
        if row is None:
            return []
        people: list[tuple[str, uuid.UUID]] = []
        if row[0] is not None:
            people.append(("lead", row[0]))
        if row[1] is not None:
            people.append(("contact", row[1]))
        return people

    def deals_people(self, deal_ids: list[uuid.UUID]) -> set[tuple[str, uuid.UUID]]:
        """The leads and primary contacts of many deals (chunks of 500)."""
        from nexa.models import Deal

        people: set[tuple[str, uuid.UUID]] = set()
        for start in range(0, len(deal_ids), 500):
            stmt = select(Deal.lead_id, Deal.primary_contact_id).where(
                Deal.id.in_(deal_ids[start : start + 500])
            )
            for lead_id, contact_id in self.session.execute(unscoped(stmt)):
                if lead_id is not None:
                    people.add(("lead", lead_id))
                if contact_id is not None:
                    people.add(("contact", contact_id))
        return people

    def live_people(self, people: set[tuple[str, uuid.UUID]]) -> set[tuple[str, uuid.UUID]]:
        """Those of ``people`` in a live sequence (one query per 500 ids and type)."""
        found: set[tuple[str, uuid.UUID]] = set()
        for record_type in ("lead", "contact"):
            ids = [i for t, i in people if t == record_type]
            for start in range(0, len(ids), 500):
                stmt = select(CampaignMember.record_id).where(
                    CampaignMember.record_type == record_type,
                    CampaignMember.record_id.in_(ids[start : start + 500]),
                    CampaignMember.state.in_(LIVE_STATES),
                )
                found |= {(record_type, i) for i in self.session.scalars(stmt)}
        return found

    def meeting_people(self, meeting_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
        from nexa.models import MeetingAttendee

        stmt = select(Meeting.related_type, Meeting.related_id).where(Meeting.id == meeting_id)
        row = self.session.execute(unscoped(stmt)).first()
        people: list[tuple[str, uuid.UUID]] = []
        if row is not None and row[0] in ("lead", "contact") and row[1] is not None:
            people.append((row[0], row[1]))
        attendees = select(MeetingAttendee.contact_id).where(
            MeetingAttendee.meeting_id == meeting_id, MeetingAttendee.contact_id.is_not(None)
        )
        people += [("contact", c) for c in self.session.scalars(attendees) if c is not None]
        return people


@dataclass(frozen=True)
class Touch:
    campaign_id: uuid.UUID
    step_id: uuid.UUID | None
    record_type: str
    record_id: uuid.UUID
    channel: str
    kind: str  # sent delivered opened clicked replied bounced unsubscribed goal enrolled
    at: datetime
    message_id: uuid.UUID | None = None


def record_touches(session: Session, touches: list[Touch]) -> None:
    """Store the touches (one executemany) and add them to the daily counters."""
    if not touches:
        return
    session.execute(
        insert(CampaignTouch),
        [
            {
                "id": uuid.uuid4(),
                "campaign_id": t.campaign_id,
                "step_id": t.step_id,
                "record_type": t.record_type,
                "record_id": t.record_id,
                "channel": t.channel,
                "kind": t.kind,
                "message_id": t.message_id,
                "at": t.at,
            }
            for t in touches
        ],
    )
    bump(
        session,
        Counter((t.campaign_id, t.step_id or CAMPAIGN_LEVEL, t.at.date(), t.kind) for t in touches),
    )


def bump(session: Session, counts: Counter[tuple[uuid.UUID, uuid.UUID, date, str]]) -> None:
    """Add to the daily counters: an update per key, an insert for the keys not there yet."""
    table = STAT_TABLE
    for (campaign_id, step_id, day, metric), n in counts.items():
        done = session.execute(
            update(table)
            .where(
                table.c.campaign_id == campaign_id,
                table.c.step_id == step_id,
                table.c.day == day,
                table.c.metric == metric,
            )
            .values(count=table.c.count + n)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            session.execute(
                insert(table).values(
                    id=uuid.uuid4(),
                    campaign_id=campaign_id,
                    step_id=step_id,
                    day=day,
                    metric=metric,
                    count=n,
                )
            )


def totals(session: Session, campaign_id: uuid.UUID) -> dict[tuple[uuid.UUID, str], int]:
    """(step, metric) → count over all days."""
    table = STAT_TABLE
    rows = session.execute(
        select(table.c.step_id, table.c.metric, table.c.count).where(
            table.c.campaign_id == campaign_id
        )
    )
    out: Counter[tuple[uuid.UUID, str]] = Counter()
    for step_id, metric, count in rows:
        out[(step_id, metric)] += count
    return dict(out)


# ---- analytics (nexa.campaign.analytics): counters, attribution, paths, touch history ------
# Each read is bounded by the campaign or by the few people with deals: none reads every
# touch of the organization.


def stat_sums(
    session: Session, campaign_id: uuid.UUID
) -> tuple[list[tuple[uuid.UUID, str, int]], list[tuple[date, str, int]]]:
    """The campaign's counters summed in SQL: per (step, metric) and per (day, metric)."""
    table = STAT_TABLE
    by_step = session.execute(
        select(table.c.step_id, table.c.metric, func.sum(table.c.count))
        .where(table.c.campaign_id == campaign_id)
        .group_by(table.c.step_id, table.c.metric)
    )
    steps = [(s, m, int(n or 0)) for s, m, n in by_step]
    by_day = session.execute(
        select(table.c.day, table.c.metric, func.sum(table.c.count))
        .where(table.c.campaign_id == campaign_id)
        .group_by(table.c.day, table.c.metric)
        .order_by(table.c.day)
    )
    days = [(d, m, int(n or 0)) for d, m, n in by_day]
    return steps, days


@dataclass(frozen=True)
class DealRow:
    id: uuid.UUID
    name: str
    lead_id: uuid.UUID | None
    primary_contact_id: uuid.UUID | None
    stage_kind: str
    amount_org: Any
    created_at: datetime


def member_deals(session: Session, campaign_id: uuid.UUID) -> list[DealRow]:
    """The live deals of the campaign's members: a lead's (``deals.lead_id``, or the one its
    conversion created), a contact's (where it is the primary contact), and those of the lead
    a contact was converted from (a lead converted mid-sequence continues as its contact)."""
    from nexa.models import Deal

    member = CampaignMember
    lead_members = select(member.record_id).where(
        member.campaign_id == campaign_id, member.record_type == "lead"
    )
    contact_members = select(member.record_id).where(
        member.campaign_id == campaign_id, member.record_type == "contact"
    )
    converted_leads = select(Lead.id).where(Lead.converted_contact_id.in_(contact_members))
    converted_deals = select(Lead.converted_deal_id).where(
        Lead.id.in_(lead_members), Lead.converted_deal_id.is_not(None)
    )
    stmt = select(
        Deal.id,
        Deal.name,
        Deal.lead_id,
        Deal.primary_contact_id,
        Deal.stage_kind,
        Deal.amount_org,
        Deal.created_at,
    ).where(
        Deal.deleted_at.is_(None),
        Deal.lead_id.in_(lead_members)
        | Deal.lead_id.in_(converted_leads)
        | Deal.primary_contact_id.in_(contact_members)
        | Deal.id.in_(converted_deals),
    )
    return [DealRow(*row) for row in session.execute(unscoped(stmt))]


def deal_leads(
    session: Session,
    deal_ids: list[uuid.UUID],
    lead_ids: list[uuid.UUID],
    contact_ids: list[uuid.UUID],
) -> list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]]:
    """(lead, its contact, its deal) of the leads named, those whose conversion made these
    deals and those converted into these contacts."""
    if not deal_ids and not lead_ids and not contact_ids:
        return []
    cols = select(Lead.id, Lead.converted_contact_id, Lead.converted_deal_id)
    # one indexed read each (an OR of the three would scan the leads)
    stmt = union(
        cols.where(Lead.id.in_(lead_ids)),
        cols.where(Lead.converted_deal_id.in_(deal_ids)),
        cols.where(Lead.converted_contact_id.in_(contact_ids)),
    )
    return [(a, b, c) for a, b, c in session.execute(unscoped(stmt))]


def touches_before(
    session: Session,
    people: list[tuple[str, uuid.UUID]],
    kinds: tuple[str, ...],
    before: datetime,
) -> list[tuple[str, uuid.UUID, uuid.UUID, datetime]]:
    """(record type, record id, campaign, at) of these people's touches before ``before``,
    in time order (the touch index by record: a few rows per person)."""
    out: list[tuple[str, uuid.UUID, uuid.UUID, datetime]] = []
    for record_type in ("lead", "contact"):
        ids = sorted({i for t, i in people if t == record_type})
        for start in range(0, len(ids), 2000):
            stmt = select(
                CampaignTouch.record_type,
                CampaignTouch.record_id,
                CampaignTouch.campaign_id,
                CampaignTouch.at,
            ).where(
                CampaignTouch.record_type == record_type,
                CampaignTouch.record_id.in_(ids[start : start + 2000]),
                CampaignTouch.at < before,
                CampaignTouch.kind.in_(kinds),
            )
            out.extend((a, b, c, d) for a, b, c, d in session.execute(stmt))
    out.sort(key=lambda t: t[3])
    return out


def step_paths(
    session: Session, campaign_id: uuid.UUID, step_ids: list[uuid.UUID]
) -> list[tuple[int, int, int]]:
    """(path, members, members who reached the goal) per path: a path is the bit set of the
    steps a member actually got (sent or a task; skipped steps are not in it)."""
    if not step_ids:
        return []
    bit = case(
        *[(CampaignStepRun.step_id == s, 1 << i) for i, s in enumerate(step_ids)],
        else_=0,
    )
    per_member = (
        select(
            CampaignStepRun.member_id.label("member_id"),
            func.sum(bit).label("path"),
        )
        .where(
            CampaignStepRun.campaign_id == campaign_id,
            CampaignStepRun.outcome.in_(("sent", "task")),
        )
        .group_by(CampaignStepRun.member_id)
        .subquery()
    )
    reached = case((CampaignMember.state == "goal_reached", 1), else_=0)
    stmt = (
        select(per_member.c.path, func.count(), func.sum(reached))
        .join(CampaignMember, CampaignMember.id == per_member.c.member_id)
        .group_by(per_member.c.path)
    )
    return [(int(p or 0), int(n), int(g or 0)) for p, n, g in session.execute(stmt)]


def touch_history(
    session: Session, people: list[tuple[str, uuid.UUID]], limit: int
) -> list[tuple[CampaignTouch, str, int | None, str | None]]:
    """A person's touches, newest first, with the campaign's name and the step's position and
    name (the touch index by record)."""
    conds = [and_(CampaignTouch.record_type == t, CampaignTouch.record_id == i) for t, i in people]
    if not conds:
        return []
    stmt = (
        select(CampaignTouch, Campaign.name, CampaignStep.position, CampaignStep.name)
        .join(Campaign, Campaign.id == CampaignTouch.campaign_id)
        .outerjoin(CampaignStep, CampaignStep.id == CampaignTouch.step_id)
        .where(or_(*conds), Campaign.deleted_at.is_(None))
        .order_by(CampaignTouch.at.desc(), CampaignTouch.id)
        .limit(limit)
    )
    return [(t, n, p, s) for t, n, p, s in session.execute(unscoped(stmt))]


def converted_leads_of(session: Session, contact_id: uuid.UUID) -> list[uuid.UUID]:
    """The leads converted into this contact (their touches are the contact's history too)."""
    stmt = select(Lead.id).where(Lead.converted_contact_id == contact_id)
    return list(session.scalars(unscoped(stmt)))
