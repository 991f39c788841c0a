"""All of the deals' SQL: deals, pipelines and their stages, stage history, exchange rates
and line items."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update

from nexa.core.actor import Actor
from nexa.core.events import OutboxMessage
from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import RecordTeamMember, Repository, unscoped
from nexa.metadata import service as metadata
from nexa.models import (
    Account,
    Activity,
    Contact,
    Deal,
    DealLineItem,
    DealStageChange,
    ExchangeRate,
    Pipeline,
    PipelineStage,
    Product,
    ProductPrice,
)
from nexa.models.deal import DEAL_TYPES, STAGE_KINDS

KINDS = {
    "id": "uuid",
    "name": "str",
    "amount": "decimal",
    "currency": "str",
    "amount_org": "decimal",
    "probability": "int",
    "weighted_value": "decimal",
    "close_date": "date",
    "close_date_pushes": "int",
    "pipeline_id": "uuid",
    "stage": "str",
    "stage_kind": "enum",
    "stage_entered_at": "datetime",
    "closed_at": "datetime",
    "type": "enum",
    "lead_source": "str",
    "lead_id": "uuid",
    "account_id": "uuid",
    "primary_contact_id": "uuid",
    "total_mrr": "decimal",
    "contract_term": "int",
    "owner_id": "uuid",
    "win_probability": "decimal",
    "last_activity_at": "datetime",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {
    "id",
    "name",
    "amount",
    "amount_org",
    "probability",
    "weighted_value",
    "close_date",
    "stage",
    "stage_entered_at",
    "closed_at",
    "created_at",
    "updated_at",
    "last_activity_at",
}
CHOICES = {"stage_kind": STAGE_KINDS, "type": DEAL_TYPES}
TEAM = "deal"


class DealRepository(Repository[Deal]):
    model = Deal
    object_name = "deal"

    def fields(self) -> dict[str, FieldSpec]:
        specs = model_fields(Deal, KINDS, SORTABLE, CHOICES)
        specs.update(metadata.filter_specs(self.session, "deal", Deal.custom_fields))
        return specs

    # -- sales team -----------------------------------------------------------------------
    # -- new deals in bulk (nexa.deal.bulk) -----------------------------------------------------
    @staticmethod
    def new_row_defaults() -> dict[str, Any]:
        """Every column of a new deal with the value the ORM would give it when unset."""
        table = _table(Deal)
        row: dict[str, Any] = {}
        for column in table.columns:
            default = column.default
            arg: Any = getattr(default, "arg", None)
            if default is None:
                row[column.key] = None
            elif getattr(default, "is_scalar", False):
                row[column.key] = arg
            else:
                row[column.key] = arg(None)
        return row

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """New deals, one executemany (every row names every column)."""
        self.session.execute(insert(_table(Deal)), rows)

    def insert_stage_changes(self, rows: list[dict[str, Any]]) -> None:
        """Stage-history rows, one executemany (``DealStageChange`` columns)."""
        if rows:
            self.session.execute(insert(_table(DealStageChange)), rows)

    def insert_timeline_entries(self, rows: list[dict[str, Any]]) -> None:
        """Timeline entries of deal events, one executemany (``Activity`` columns)."""
        if rows:
            self.session.execute(insert(_table(Activity)), rows)

    def insert_outbox_rows(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows of deal events, one executemany (``OutboxMessage`` columns)."""
        if rows:
            self.session.execute(insert(_table(OutboxMessage)), rows)

    def team_members(self, deal_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        if not deal_ids:
            return {}
        rows = self.session.execute(
            select(RecordTeamMember.record_id, RecordTeamMember.user_id)
            .where(RecordTeamMember.record_type == TEAM, RecordTeamMember.record_id.in_(deal_ids))
            .order_by(RecordTeamMember.user_id)
        ).all()
        result: dict[uuid.UUID, list[uuid.UUID]] = {}
        for record_id, user_id in rows:
            result.setdefault(record_id, []).append(user_id)
        return result

    def set_team(self, deal_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
        self.session.execute(
            delete(RecordTeamMember).where(
                RecordTeamMember.record_type == TEAM, RecordTeamMember.record_id == deal_id
            )
        )
        for uid in dict.fromkeys(user_ids):
            self.session.add(RecordTeamMember(record_type=TEAM, record_id=deal_id, user_id=uid))
        self.session.flush()

    # -- pipelines and stages ---------------------------------------------------------------
    def pipelines(self) -> list[Pipeline]:
        return list(
            self.session.scalars(select(Pipeline).order_by(Pipeline.position, Pipeline.name))
        )

    def stages_of(self, pipeline_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PipelineStage]]:
        result: dict[uuid.UUID, list[PipelineStage]] = {pid: [] for pid in pipeline_ids}
        if not pipeline_ids:
            return result
        rows = self.session.scalars(
            select(PipelineStage)
            .where(PipelineStage.pipeline_id.in_(pipeline_ids))
            .order_by(PipelineStage.pipeline_id, PipelineStage.position)
        )
        for stage in rows:
            result[stage.pipeline_id].append(stage)
        return result

    def default_pipeline(self) -> Pipeline | None:
        return self.session.scalars(
            select(Pipeline)
            .where(Pipeline.active.is_(True))
            .order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.name)
            .limit(1)
        ).first()

    def stage(self, pipeline_id: uuid.UUID, key: str) -> PipelineStage | None:
        return self.session.scalars(
            select(PipelineStage).where(
                PipelineStage.pipeline_id == pipeline_id, PipelineStage.key == key
            )
        ).first()

    def first_open_stage(self, pipeline_id: uuid.UUID) -> PipelineStage | None:
        return self.session.scalars(
            select(PipelineStage)
            .where(PipelineStage.pipeline_id == pipeline_id, PipelineStage.kind == "open")
            .order_by(PipelineStage.position)
            .limit(1)
        ).first()

    def stage_names(self, stage_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not stage_ids:
            return {}
        rows = self.session.execute(
            select(PipelineStage.id, PipelineStage.name).where(PipelineStage.id.in_(stage_ids))
        ).all()
        return {sid: name for sid, name in rows}

    def stages_in_use(self, stage_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Stages any deal (live or in the bin) sits in: a system view, whoever owns them."""
        if not stage_ids:
            return set()
        stmt = select(Deal.stage_id).where(Deal.stage_id.in_(stage_ids)).distinct()
        return set(self.session.scalars(unscoped(stmt)))

    def clear_other_defaults(self, pipeline_id: uuid.UUID) -> None:
        self.session.execute(
            update(Pipeline)
            .where(Pipeline.id != pipeline_id, Pipeline.is_default.is_(True))
            .values(is_default=False)
            .execution_options(synchronize_session="fetch")
        )

    # -- stage history ----------------------------------------------------------------------
    def stage_history(self, deal_id: uuid.UUID) -> list[DealStageChange]:
        return list(
            self.session.scalars(
                select(DealStageChange)
                .where(DealStageChange.deal_id == deal_id)
                .order_by(DealStageChange.changed_at, DealStageChange.id)
            )
        )

    # -- exchange rates -----------------------------------------------------------------------
    def rates(self) -> list[ExchangeRate]:
        return list(self.session.scalars(select(ExchangeRate).order_by(ExchangeRate.currency)))

    def rate(self, currency: str) -> Decimal | None:
        row = self.session.get(ExchangeRate, currency)
        return row.rate if row is not None else None

    def largest_open_amount(self, currency: str) -> Decimal | None:
        """The largest amount of the live open deals in ``currency`` (what a new rate
        revalues: a system check over every deal, like the UPDATE it guards)."""
        return self.session.scalar(
            unscoped(
                select(func.max(Deal.amount)).where(
                    Deal.currency == currency,
                    Deal.stage_kind == "open",
                    Deal.deleted_at.is_(None),
                )
            )
        )

    def revalue_open_deals(self, currency: str, rate: Decimal) -> int:
        """Recompute the org-currency amount and weighted value of the open deals in
        ``currency`` in one UPDATE (a system change: a rate applies to every deal)."""
        amount_org = func.round(Deal.amount * rate, 2)
        stmt = (
            update(Deal.__table__)  # type: ignore[arg-type]
            .where(
                Deal.currency == currency,
                Deal.stage_kind == "open",
                Deal.amount.is_not(None),
                Deal.deleted_at.is_(None),
            )
            .values(
                amount_org=amount_org,
                weighted_value=func.round(Deal.amount * rate * Deal.probability / 100, 2),
            )
        )
        result = self.session.execute(stmt)
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, Deal) and obj.currency == currency:
                self.session.expire(obj, ["amount_org", "weighted_value"])
        return int(getattr(result, "rowcount", 0) or 0)

    # -- line items -------------------------------------------------------------------------
    def line_items(self, deal_id: uuid.UUID) -> list[DealLineItem]:
        return list(
            self.session.scalars(
                select(DealLineItem)
                .where(DealLineItem.deal_id == deal_id)
                .order_by(DealLineItem.position, DealLineItem.id)
            )
        )

    def line_item(self, deal_id: uuid.UUID, item_id: uuid.UUID) -> DealLineItem | None:
        return self.session.scalars(
            select(DealLineItem).where(DealLineItem.deal_id == deal_id, DealLineItem.id == item_id)
        ).first()

    def line_totals(self, deal_id: uuid.UUID) -> tuple[int, Decimal, Decimal]:
        """(number of lines, sum of totals, sum of the recurring lines' MRR)."""
        count, total, mrr = self.session.execute(
            select(
                func.count(DealLineItem.id),
                func.coalesce(func.sum(DealLineItem.total), 0),
                func.coalesce(
                    func.sum(DealLineItem.mrr).filter(DealLineItem.is_recurring.is_(True)), 0
                ),
            ).where(DealLineItem.deal_id == deal_id)
        ).one()
        return int(count), Decimal(str(total)), Decimal(str(mrr))

    def has_line_items(self, deal_id: uuid.UUID) -> bool:
        return (
            self.session.scalar(
                select(DealLineItem.id).where(DealLineItem.deal_id == deal_id).limit(1)
            )
            is not None
        )

    def product(self, product_id: uuid.UUID) -> Product | None:
        return self.session.scalars(
            select(Product).where(Product.id == product_id, Product.deleted_at.is_(None))
        ).first()

    def product_price(self, product_id: uuid.UUID, currency: str) -> Decimal | None:
        return self.session.scalar(
            select(ProductPrice.unit_price).where(
                ProductPrice.product_id == product_id, ProductPrice.currency == currency
            )
        )

    # -- the pipeline report ----------------------------------------------------------------
    def pipeline_totals(
        self,
        actor: Actor,
        pipeline_id: uuid.UUID,
        *,
        owner_id: uuid.UUID | None = None,
        close_from: date | None = None,
        close_to: date | None = None,
    ) -> list[Any]:
        """(stage_id, count, sum amount_org, sum weighted_value) per stage: one GROUP BY."""
        stmt = (
            self.readable(actor)
            .with_only_columns(
                Deal.stage_id,
                func.count(Deal.id),
                func.coalesce(func.sum(Deal.amount_org), 0),
                func.coalesce(func.sum(Deal.weighted_value), 0),
            )
            .where(Deal.pipeline_id == pipeline_id)
            .group_by(Deal.stage_id)
        )
        if owner_id is not None:
            stmt = stmt.where(Deal.owner_id == owner_id)
        if close_from is not None:
            stmt = stmt.where(Deal.close_date >= close_from)
        if close_to is not None:
            stmt = stmt.where(Deal.close_date <= close_to)
        return list(self.session.execute(stmt).all())

    def won_totals(
        self,
        actor: Actor,
        *,
        closed_from: datetime,
        closed_to: datetime,
        owner_id: uuid.UUID | None = None,
    ) -> tuple[int, Decimal]:
        """Count and org-currency sum of the closed-won deals ``actor`` may read that were
        closed in [closed_from, closed_to) (one aggregate query)."""
        stmt = (
            self.readable(actor)
            .with_only_columns(func.count(Deal.id), func.coalesce(func.sum(Deal.amount_org), 0))
            .where(
                Deal.stage_kind == "won",
                Deal.closed_at >= closed_from,
                Deal.closed_at < closed_to,
            )
        )
        if owner_id is not None:
            stmt = stmt.where(Deal.owner_id == owner_id)
        count, amount = self.session.execute(stmt).one()
        return int(count), Decimal(str(amount))

    def any_by_id(self, deal_id: uuid.UUID) -> Deal:
        """The deal, whoever owns it and even if binned (system flows such as closed-won)."""
        return self.session.scalars(unscoped(select(Deal).where(Deal.id == deal_id))).one()

    def find_any(self, deal_id: uuid.UUID) -> Deal | None:
        """``any_by_id``, or None when no such deal is stored (purged)."""
        return self.session.scalars(unscoped(select(Deal).where(Deal.id == deal_id))).first()

    def primary_contact_of(self, deal: Deal) -> Contact | None:
        """The deal's primary contact as stored, binned or not (system view)."""
        if deal.primary_contact_id is None:
            return None
        stmt = select(Contact).where(Contact.id == deal.primary_contact_id)
        return self.session.scalars(unscoped(stmt)).first()

    def account_of(self, deal: Deal) -> Account | None:
        """The deal's account as stored, binned or not (system view)."""
        stmt = select(Account).where(Account.id == deal.account_id)
        return self.session.scalars(unscoped(stmt)).first()


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table
