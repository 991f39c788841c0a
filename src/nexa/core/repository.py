"""The base repository. ``readable(actor)`` is the ONE place where rows are scoped.

Every ORM select of an owned record must go through ``readable``/``writable``: they tag the
statement, and a session event refuses untagged selects of owned tables (``ScopeBypass``),
so a query that forgets the actor fails loudly in tests instead of leaking rows.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Uuid,
    and_,
    event,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from nexa.core.actor import Actor, Scope
from nexa.core.db.base import Base, OwnedMixin
from nexa.core.errors import NotFound, PermissionDenied

M = TypeVar("M", bound=Base)
SCOPED = "nexa_scoped"


class ScopeBypass(RuntimeError):
    """An owned table was queried without the actor's scope."""


class RecordTeamMember(Base):
    """Members of a record's team (account team, deal team) read and write that record."""

    __tablename__ = "record_team_members"

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(60), nullable=False, default="member")


def unscoped(stmt: Any) -> Any:
    """Mark a statement as deliberately unscoped (uniqueness checks, system jobs)."""
    return stmt.execution_options(**{SCOPED: True})


@event.listens_for(Session, "do_orm_execute")
def _refuse_unscoped(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_relationship_load or state.is_column_load:
        return
    if state.execution_options.get(SCOPED) or state.session.info.get("unscoped_ok"):
        return
    for mapper in state.all_mappers:
        if issubclass(mapper.class_, OwnedMixin):
            raise ScopeBypass(
                f"select of {mapper.class_.__name__} without readable(actor); "
                "use the repository, or unscoped() on purpose"
            )


REPOSITORIES: dict[str, type[Repository[Any]]] = {}


class Repository(Generic[M]):
    """Subclasses register under ``object_name`` (links to any record, timeline, search)."""

    model: ClassVar[type[Any]]
    object_name: ClassVar[str]

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "object_name" in cls.__dict__:
            REPOSITORIES[cls.object_name] = cls

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- scoping ----------------------------------------------------------------------------
    def visibility_clause(self, actor: Actor, action: str = "read") -> ColumnElement[bool]:
        """Which rows ``actor`` may ``action`` (read/write/delete/reassign)."""
        scope = actor.scope_for(f"{self.object_name}:{action}")
        if scope is None:
            return false()
        if scope is Scope.ALL or not issubclass(self.model, OwnedMixin):
            return true()
        default = actor.visibility.get(self.object_name, "private")
        if default == "public_read_write" or (default == "public_read" and action == "read"):
            return true()
        owner_col = self.model.owner_id
        owner_clause: ColumnElement[bool]
        if scope is Scope.TEAM:
            members = set(actor.team_member_ids)
            if actor.user_id is not None:
                members.add(actor.user_id)
            owner_clause = owner_col.in_(members) if members else false()
        else:
            owner_clause = owner_col == actor.user_id if actor.user_id else false()
        if actor.user_id is None:
            return owner_clause
        on_team = self.model.id.in_(  # type: ignore[attr-defined]
            select(RecordTeamMember.record_id).where(
                RecordTeamMember.record_type == self.object_name,
                RecordTeamMember.user_id == actor.user_id,
            )
        )
        return or_(owner_clause, on_team)

    def readable(
        self, actor: Actor, *, action: str = "read", include_deleted: bool = False
    ) -> Select[Any]:
        stmt = select(self.model).where(self.visibility_clause(actor, action))
        if not include_deleted and hasattr(self.model, "deleted_at"):
            stmt = stmt.where(self.model.deleted_at.is_(None))
        return stmt.execution_options(**{SCOPED: True})

    # -- lookups ----------------------------------------------------------------------------
    def get(self, actor: Actor, record_id: uuid.UUID, *, include_deleted: bool = False) -> M:
        """The record if ``actor`` may read it; otherwise 404 (existence is not leaked)."""
        row = self.session.scalars(
            self.readable(actor, include_deleted=include_deleted).where(self.model.id == record_id)
        ).first()
        if row is None:
            raise NotFound(f"no such {self.object_name.replace('_', ' ')}, or you may not see it")
        return row

    def can_read(self, actor: Actor, record_id: uuid.UUID) -> bool:
        """Whether ``actor`` reads the record ``record_id`` (in the bin or not): what a 409
        may tell about the record that holds a unique value."""
        stmt = (
            select(true())
            .select_from(self.model)
            .where(self.model.id == record_id, self.visibility_clause(actor, "read"))
            .execution_options(**{SCOPED: True})
        )
        return bool(self.session.scalar(stmt))

    def require(self, actor: Actor, record: M, action: str) -> None:
        """403 when the actor can see ``record`` but may not ``action`` it."""
        if action == "read":
            return
        if not actor.can(f"{self.object_name}:{action}"):
            raise PermissionDenied(f"you may not {action} {self.object_name} records")
        allowed = self.session.scalar(
            select(true())  # type: ignore[arg-type]
            .select_from(self.model)
            .where(self.model.id == record.id, self.visibility_clause(actor, action))  # type: ignore[attr-defined]
            .execution_options(**{SCOPED: True})
        )
        if not allowed:
            raise PermissionDenied(f"you may not {action} this {self.object_name}")

    def get_for(self, actor: Actor, record_id: uuid.UUID, action: str, **kw: Any) -> M:
        row = self.get(actor, record_id, **kw)
        self.require(actor, row, action)
        return row


# Objects a task, meeting, call or note can be linked to.
LINKABLE = ("lead", "contact", "account", "deal", "quote", "order")


class LinkedRepository(Repository[M]):
    """Tasks, meetings, calls and notes: besides the owner rule, anyone who may read these
    objects at all reads the ones linked to a record they can read ("own + on records they
    can read", PRODUCT.md). Writing stays with the owner rule."""

    def visibility_clause(self, actor: Actor, action: str = "read") -> ColumnElement[bool]:
        base = super().visibility_clause(actor, action)
        if action != "read" or actor.scope_for(f"{self.object_name}:read") is None:
            return base
        links = []
        for name in LINKABLE:
            repo_cls = REPOSITORIES.get(name)
            if repo_cls is None:
                continue
            target = repo_cls(self.session)
            readable_ids = select(repo_cls.model.id).where(target.visibility_clause(actor, "read"))
            links.append(
                and_(self.model.related_type == name, self.model.related_id.in_(readable_ids))
            )
        return or_(base, *links) if links else base
