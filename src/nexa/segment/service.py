"""Lists (static and dynamic segments): the business rules.

A static list holds the records added to it (``list_members``); a dynamic list holds a saved
filter in the API's filter language and its members are whatever matches when it is read.
Everything a reader sees of the members goes through the object's ``readable(actor)``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nexa.core.actor import SYSTEM, Actor, Scope
from nexa.core.cache import TableCache
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.core.filtering import (
    Condition,
    FieldSpec,
    ListQuery,
    apply_filters,
    filter_clause,
    list_references,
    parse_filters,
)
from nexa.core.records import keyset_page
from nexa.core.repository import REPOSITORIES, Repository
from nexa.models import ListMember, RecordList
from nexa.models.record_list import LIST_OBJECTS
from nexa.record.events import RecordPayload
from nexa.record.service import RecordService, Unique
from nexa.segment.events import LIST_EVENTS, ListMembersChanged
from nexa.segment.repository import (
    MAX_LIST_DEPTH,
    ListRepository,
    split_filter,
    too_deep,
)

OBJECT = "list"
EVENT_CAP = 100  # records named per event (also_on); bigger changes publish several events


# ---- helpers ---------------------------------------------------------------------------------


def record_repository(session: Session, object_type: str, field: str) -> Repository[Any]:
    """The repository of the list's object, or 422 naming ``field`` when none is installed."""
    repo_cls = REPOSITORIES.get(object_type) if object_type in LIST_OBJECTS else None
    if repo_cls is None:
        raise ValidationFailed(
            f"'{object_type[:40]}' records cannot be put in lists (yet)", field=field
        )
    return repo_cls(session)


def _fields(repo: Repository[Any]) -> dict[str, FieldSpec]:
    return repo.fields()  # type: ignore[attr-defined]


def _list_contains(repo: Repository[Any]) -> Any:
    make = getattr(repo, "list_contains", None)
    return make() if callable(make) else None


def parse_saved_filter(repo: Repository[Any], expressions: list[str]) -> list[Condition]:
    """Parse a dynamic list's filter with the object's fields; 422 field ``filters``."""
    try:
        return parse_filters(expressions, _fields(repo))
    except ValidationFailed as exc:
        raise ValidationFailed(f"filters: {exc.detail}", field="filters") from None


def check_no_cycle(session: Session, list_id: uuid.UUID | None, expressions: list[str]) -> None:
    """Refuse (422 ``filters``) a dynamic list whose filter names itself, directly or through
    other lists (A -> B -> A), or names lists nested deeper than MAX_LIST_DEPTH."""
    repo = ListRepository(session)

    def walk(exprs: list[str], path: list[str], depth: int) -> None:
        for ref in list_references(exprs):
            if list_id is not None and ref == list_id:
                chain = " → ".join([*path, path[0]]) if path else "itself"
                raise ValidationFailed(
                    f"a list cannot contain itself: {chain}"
                    if path
                    else "a list's filter cannot name the list itself",
                    field="filters",
                )
            found = repo.by_id_any(ref)
            if found is None or found.kind != "dynamic":
                continue
            if depth >= MAX_LIST_DEPTH:
                raise too_deep()
            walk(split_filter(found.filter), [*path, found.name], depth + 1)

    own = repo.by_id_any(list_id) if list_id is not None else None
    walk(expressions, [own.name] if own is not None else [], 1)


def _payload(record: RecordList) -> dict[str, Any]:
    return {"name": record.name, "kind": record.kind, "object_type": record.object_type}


# ---- CRUD ------------------------------------------------------------------------------------


class ListService(RecordService[RecordList]):
    events = LIST_EVENTS
    model = RecordList
    repository = ListRepository
    label = "list"
    default_sort = "name"
    not_empty = ("name",)
    unique = (Unique("name", "uq_lists_name_live", "list"),)
    computed = ("system_key", "is_locked")

    def payload(self, record: RecordList) -> dict[str, Any]:
        return _payload(record)

    def prepare(self, values: dict[str, Any], record: RecordList | None) -> dict[str, Any]:
        if record is not None and record.is_locked:
            raise Conflict(
                "this list is maintained by Nexa; its definition cannot be changed",
                field="is_locked",
            )
        filters = values.pop("filters", None)
        if filters is not None and values.get("filter") is not None:
            raise ValidationFailed("give filter or filters, not both", field="filters")
        kind = values.get("kind", record.kind if record else "static")
        object_type = values.get("object_type", record.object_type if record else "contact")
        repo = record_repository(self.session, object_type, "object_type")
        if filters is not None:
            expressions = [f.strip() for f in filters if f.strip()]
        elif "filter" in values:
            expressions = split_filter(values["filter"])
        else:
            expressions = split_filter(record.filter) if record else []
        if kind == "static":
            if expressions:
                raise ValidationFailed(
                    "a static list has members, not a filter; use kind dynamic", field="filters"
                )
            values["filter"] = None
            return values
        if not expressions:
            raise ValidationFailed(
                "a dynamic list needs at least one filter expression", field="filters"
            )
        parse_saved_filter(repo, expressions)
        check_no_cycle(self.session, record.id if record else None, expressions)
        values["filter"] = "\n".join(expressions)
        return values

    def delete(self, record_id: uuid.UUID, *, if_match: int | None = None) -> RecordList:
        record = self.get_for(record_id, "delete")
        if record.is_locked:
            raise Conflict("this list is maintained by Nexa; it cannot be deleted")
        return super().delete(record_id, if_match=if_match)


# ---- members ---------------------------------------------------------------------------------


def list_members(
    session: Session, actor: Actor, list_id: uuid.UUID, query: ListQuery
) -> tuple[RecordList, list[Any], str | None]:
    """A keyset page of the list's members that ``actor`` can read; the query's own filters,
    sort and cursor apply on top (dynamic lists: on top of the saved filter)."""
    lst = ListRepository(session).get(actor, list_id)
    repo = record_repository(session, lst.object_type, "object_type")
    model = repo.model
    fields = _fields(repo)
    contains = _list_contains(repo)
    stmt = _members(session, actor, lst, repo)
    sortable = fields.get("created_at")
    default_sort = "-created_at" if sortable is not None and sortable.sortable else "id"
    rows, next_cursor = keyset_page(
        session, stmt, query, fields, model.id, default_sort=default_sort, list_contains=contains
    )
    return lst, rows, next_cursor


def _members(session: Session, actor: Actor, lst: RecordList, repo: Repository[Any]) -> Any:
    """The members of ``lst`` that ``actor`` can read, as a statement."""
    stmt = repo.readable(actor)
    if lst.kind == "static":
        in_list = ListRepository(session).members_of(lst.id)
        return stmt.where(repo.model.id.in_(in_list))
    conditions = parse_saved_filter(repo, split_filter(lst.filter))
    return apply_filters(stmt, conditions, _fields(repo), _list_contains(repo))


def count_members(session: Session, actor: Actor, lst: RecordList) -> int:
    """How many members of ``lst`` ``actor`` can read (one query)."""
    repo = record_repository(session, lst.object_type, "object_type")
    stmt = _members(session, actor, lst, repo).with_only_columns(repo.model.id)
    return ListRepository(session).count_rows(stmt)


def member_ids(
    session: Session, actor: Actor, list_id: uuid.UUID
) -> tuple[RecordList, list[uuid.UUID]]:
    """The list (404 when ``actor`` cannot read it) and the ids of all its members that
    ``actor`` can read, oldest id order not promised (mass email sends to them)."""
    lst = ListRepository(session).get(actor, list_id)
    repo = record_repository(session, lst.object_type, "object_type")
    stmt = _members(session, actor, lst, repo).with_only_columns(repo.model.id)
    return lst, ListRepository(session).id_list(stmt)


def _checked_ids(
    session: Session,
    actor: Actor,
    lst: RecordList | SystemList,
    record_ids: list[uuid.UUID],
    *,
    adding: bool,
) -> list[uuid.UUID]:
    """Who may change membership, and with which records (PRODUCT.md: a sales rep adds own
    records; a marketer any). Scope own: only records the actor may write (403 otherwise);
    scope all: adding needs records the actor can read (422 naming the first bad id)."""
    scope = actor.scope_for("list:add_member")
    if scope is None:
        raise PermissionDenied("you may not change the members of lists")
    if lst.kind != "static":
        raise Conflict("a dynamic list's members follow its filter; edit the filter", field="kind")
    ids = list(dict.fromkeys(record_ids))
    repo = record_repository(session, lst.object_type, "object_type")
    if scope is not Scope.ALL:
        allowed = ListRepository(session).ids_for(repo, actor, ids, action="write")
        bad = next((i for i in ids if i not in allowed), None)
        if bad is not None:
            raise PermissionDenied(
                f"you may add to lists or remove only records you can edit; {bad} is not one",
                field="record_ids",
            )
    elif adding:
        found = ListRepository(session).ids_for(repo, actor, ids, action="read")
        bad = next((i for i in ids if i not in found), None)
        if bad is not None:
            raise ValidationFailed(
                f"no {lst.object_type} {bad} that you can see", field="record_ids"
            )
    return ids


def _publish_members(
    session: Session, actor: Actor, lst: RecordList | SystemList, verb: str, ids: list[uuid.UUID]
) -> None:
    for start in range(0, len(ids), EVENT_CAP):
        chunk = ids[start : start + EVENT_CAP]
        publish(
            session,
            actor,
            f"list.members_{verb}",
            record_type=OBJECT,
            record_id=lst.id,
            payload=ListMembersChanged(
                name=lst.name,
                object_type=lst.object_type,
                count=len(chunk),
                record_ids=[str(i) for i in chunk],
                also_on=[[lst.object_type, str(i)] for i in chunk],
            ),
        )


def _insert_members(
    session: Session,
    actor: Actor,
    lst: RecordList | SystemList,
    ids: list[uuid.UUID],
    *,
    new: bool = False,
) -> int:
    """``new``: ``ids`` are records created in this transaction (in no list yet)."""
    if not new:
        present = ListRepository(session).member_ids(lst.id, ids)
        ids = [i for i in ids if i not in present]
    now = utcnow()
    session.add_all(
        ListMember(list_id=lst.id, record_id=i, added_by_id=actor.user_id, added_at=now)
        for i in ids
    )
    if not new:  # new records are in no list: nothing to collide with before the commit
        session.flush()
    _publish_members(session, actor, lst, "added", ids)
    return len(ids)


def add_members(
    session: Session, actor: Actor, list_id: uuid.UUID, record_ids: list[uuid.UUID]
) -> tuple[int, int]:
    """Add records to a static list (idempotent): (added, already there)."""
    lst = ListRepository(session).get(actor, list_id)
    ids = _checked_ids(session, actor, lst, record_ids, adding=True)
    added = _insert_members(session, actor, lst, ids)
    return added, len(ids) - added


def remove_members(
    session: Session, actor: Actor, list_id: uuid.UUID, record_ids: list[uuid.UUID]
) -> tuple[int, int]:
    """Take records out of a static list (idempotent): (removed, were not there)."""
    repo = ListRepository(session)
    lst = repo.get(actor, list_id)
    ids = _checked_ids(session, actor, lst, record_ids, adding=False)
    present = repo.member_ids(lst.id, ids)
    gone = [i for i in ids if i in present]
    if gone:
        repo.remove_members(lst.id, gone)
        session.flush()
        _publish_members(session, actor, lst, "removed", gone)
    return len(gone), len(ids) - len(gone)


def memberships(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID
) -> list[RecordList]:
    """The lists (static and dynamic) that hold a record ``actor`` can read."""
    target = record_repository(session, record_type, "record_type")
    target.get(actor, record_id)
    lists = ListRepository(session)
    found = lists.static_holding(actor, record_type, record_id)
    dynamic = lists.dynamic_of(actor, record_type)
    fields = _fields(target)
    contains = _list_contains(target)
    model = target.model
    for lst in dynamic:
        try:
            conditions = parse_filters(split_filter(lst.filter), fields)
        except ValidationFailed:
            continue  # a field the filter names is gone (a deleted custom field)
        stmt = target.readable(actor).with_only_columns(model.id).where(model.id == record_id)
        if lists.any_row(apply_filters(stmt, conditions, fields, contains)):
            found.append(lst)
    return sorted(found, key=lambda lst: lst.name.lower())


# ---- the filter language for other domains (campaign conditions, workflows) -----------------

MATCH_CHUNK = 500  # record ids per query


def check_expressions(
    session: Session, object_type: str, expressions: list[str], field: str
) -> list[str]:
    """Validate filter expressions for ``object_type`` records (an unknown field, a value of
    the wrong type, an unknown list, a malformed any(...) group): 422 naming ``field`` with
    the expression's problem. Returns the expressions, stripped, empty ones left out."""
    repo = record_repository(session, object_type, field)
    cleaned = [e.strip() for e in expressions if e and e.strip()]
    try:
        parse_filters(cleaned, _fields(repo))
    except ValidationFailed as exc:
        raise ValidationFailed(f"{field}: {exc.detail}", field=field) from None
    return cleaned


def matching_ids(
    session: Session,
    actor: Actor,
    object_type: str,
    expressions: list[str],
    record_ids: list[uuid.UUID],
) -> set[uuid.UUID]:
    """Those of ``record_ids`` that ``actor`` can read and that match every expression
    (AND; any(...) groups and list membership included). The expressions are parsed once;
    then one query per MATCH_CHUNK ids, whatever the chunk's size."""
    repo = record_repository(session, object_type, "object_type")
    fields = _fields(repo)
    conditions = parse_filters([e.strip() for e in expressions if e.strip()], fields)
    contains = _list_contains(repo)
    # built once (dynamic lists are read here), then reused by every chunk's query
    clauses = [filter_clause(c, fields, contains) for c in conditions]
    model = repo.model
    ids = list(dict.fromkeys(record_ids))
    lists = ListRepository(session)
    found: set[uuid.UUID] = set()
    for start in range(0, len(ids), MATCH_CHUNK):
        chunk = ids[start : start + MATCH_CHUNK]
        stmt = repo.readable(actor).with_only_columns(model.id).where(model.id.in_(chunk))
        found |= lists.ids_of(stmt.where(*clauses))
    return found


# ---- lists the product maintains (closed-won: the customer-success handoff) -------------------


@dataclass(frozen=True)
class SystemList:
    """A list the product maintains, as adding members needs it."""

    id: uuid.UUID
    name: str
    kind: str
    object_type: str

    @classmethod
    def of(cls, row: RecordList) -> SystemList:
        return cls(row.id, row.name, row.kind, row.object_type)


# read by every routed lead create (the nurture list): core.cache
_system_lists = TableCache("system lists", [RecordList.__tablename__])


def system_list(session: Session, key: str, *, name: str, object_type: str) -> SystemList:
    """The locked static list ``key`` (owned by no one), created on first use; cached per
    process (core.cache)."""
    return _system_lists.get(
        key, lambda: SystemList.of(_system_list_row(session, key, name, object_type))
    )


def _system_list_row(session: Session, key: str, name: str, object_type: str) -> RecordList:
    """Get or create the list's row. Safe under a race: the loser of a concurrent create
    falls back to the winner's row."""
    repo = ListRepository(session)
    existing = repo.by_system_key(key)
    if existing is not None:
        return existing
    record_repository(session, object_type, "object_type")
    label = name
    if repo.live_name_taken(label):
        label = f"{name} (Nexa)"
    lst = RecordList(
        id=uuid.uuid4(),
        name=label,
        kind="static",
        object_type=object_type,
        system_key=key,
        is_locked=True,
        owner_id=None,
    )
    try:
        with session.begin_nested():
            session.add(lst)
            session.flush()
    except IntegrityError:
        found = repo.by_system_key(key)
        if found is None:
            raise
        return found
    publish(
        session,
        SYSTEM,
        "list.created",
        record_type=OBJECT,
        record_id=lst.id,
        payload=RecordPayload.of(_payload(lst)),
    )
    return lst


def add_members_as_system(
    session: Session, list_: SystemList, record_ids: list[uuid.UUID], *, new: bool = False
) -> int:
    """Add records to a list as Nexa itself (inside the caller's transaction): the number
    added. Records that do not exist (or are in the bin) are refused with 422. ``new``:
    records created in this transaction (live, and in no list yet), so neither is read
    back: one INSERT."""
    if not record_ids:
        return 0
    if new:
        if list_.kind != "static":
            raise Conflict(
                "a dynamic list's members follow its filter; edit the filter", field="kind"
            )
        return _insert_members(session, SYSTEM, list_, list(dict.fromkeys(record_ids)), new=True)
    ids = _checked_ids(session, SYSTEM, list_, record_ids, adding=True)
    return _insert_members(session, SYSTEM, list_, ids)
