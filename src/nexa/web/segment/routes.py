"""The list page (``/lists/{id}``): the members a reader can see, a page at a time (the same
service as GET /api/v1/lists/{id}/members), a dynamic list's filter in words, and for static
lists adding members found by search and removing them (POST /api/v1/lists/{id}/members and
DELETE …). Who may change which members is the list service's rule; the page only hides the
controls of someone the service would refuse outright."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.core.filtering import MEMBERSHIP, FieldSpec, ListQuery, split_any
from nexa.models import RecordList
from nexa.search import service as search_service
from nexa.segment import service as lists
from nexa.web import references
from nexa.web.csrf import verify_csrf
from nexa.web.generic import ObjectView, detail_context, object_view
from nexa.web.objects import OBJECTS, WebObject
from nexa.web.pages import WebActor, WebSession, humanise, is_htmx, parse_uuid, render

router = APIRouter(prefix="/lists")
CSRF = [Depends(verify_csrf)]
LISTS = OBJECTS["lists"]
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE = 25
MAX_IDS = 200  # records added or removed by one form post
# Columns of the members table per object type: name, email, company/account, owner.
COLUMNS = {
    "lead": ("full_name", "email", "company", "owner_id"),
    "contact": ("full_name", "email", "account_id", "owner_id"),
    "account": ("name", "industry", "type", "owner_id"),
}
PATHS = {"lead": "leads", "contact": "contacts", "account": "accounts"}

OP_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "is less than",
    "lte": "is at most",
    "gt": "is more than",
    "gte": "is at least",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "contains",
    "starts_with": "starts with",
}
DATE_WORDS = {
    "lt": "is before",
    "lte": "is on or before",
    "gt": "is after",
    "gte": "is on or after",
}
TRUE = ("true", "1", "yes")
LIST_WORDS = {
    "eq": "In the list",
    "ne": "Not in the list",
    "in": "In at least one of the lists",
    "not_in": "In none of the lists",
}


# ---- reading ------------------------------------------------------------------------------


def member_object(lst: RecordList) -> WebObject:
    return OBJECTS[PATHS.get(lst.object_type, "contacts")]


def member_count(session: Session, actor: Actor, lst: RecordList) -> int | None:
    """How many members ``actor`` can see; None when a dynamic list's filter no longer parses."""
    try:
        return lists.count_members(session, actor, lst)
    except ValidationFailed:
        return None


def _words_value(value: str, kind: str) -> str:
    if kind == "bool":
        return "yes" if value.lower() in TRUE else "no"
    return value.replace("_", " ") if kind == "enum" else value


def filter_in_words(
    session: Session, actor: Actor, expressions: list[str], fields: dict[str, FieldSpec]
) -> list[str]:
    """Each ``field:op:value`` of a dynamic list as a sentence ("Status is one of new,
    contacted"; "Owner is Ann Smith"; "In the list Trade show"), an ``any(...)`` group as
    "At least one of: …; or …", names of referenced records looked up in one go."""
    split = [_members(e) for e in expressions]
    parsed = [p for group in split for p in group]
    refs = [
        {name: v}
        for name, op, value in parsed
        if name in references.FIELD_TYPES and op != "is_null"
        for v in value.split(",")
    ]
    names = references.resolve(session, actor, refs, {n for n, _, _ in parsed})
    sentences = []
    for expression, group in zip(expressions, split, strict=True):
        said = [_sentence(row, fields, names) for row in group]
        if expression.startswith("any(") and said:
            sentences.append("At least one of: " + "; or ".join(said))
        elif said:
            sentences.append(said[0])
    return sentences


def _members(expression: str) -> list[tuple[str, str, str]]:
    """The (field, op, value) rows of one expression (a group's members, or itself)."""
    try:
        members = split_any(expression) or [expression]
    except ValidationFailed:
        return []
    rows = [m.split(":", 2) for m in members]
    return [(r[0], r[1], r[2]) for r in rows if len(r) == 3]


def _sentence(
    row: tuple[str, str, str], fields: dict[str, FieldSpec], names: references.Names
) -> str:
    name, op, value = row
    spec = fields.get(name)
    kind = spec.kind if spec is not None else "str"
    label = humanise(name)
    if op == "is_null":
        empty = value.lower() in TRUE
        return f"{label} is {'empty' if empty else 'not empty'}"
    values = [v for v in value.split(",") if v] if op in ("in", "not_in") else [value]
    shown = []
    for v in values:
        ref = names.get(name, v) if name in references.FIELD_TYPES else None
        shown.append(ref[0] if ref else _words_value(v, kind))
    if kind == MEMBERSHIP:
        return f"{LIST_WORDS.get(op, op)} {', '.join(shown)}"
    if op in ("contains", "starts_with"):
        shown = [f"“{v}”" for v in shown]
    words = DATE_WORDS.get(op) if kind in ("date", "datetime") else None
    return f"{label} {words or OP_WORDS.get(op, op)} {', '.join(shown)}"


def _limit(request: Request) -> int:
    try:
        limit = int(request.query_params.get("limit", DEFAULT_PAGE))
    except ValueError:
        return DEFAULT_PAGE
    return limit if limit in PAGE_SIZES else DEFAULT_PAGE


def can_change_members(actor: Actor, lst: RecordList) -> bool:
    """Whether to offer add/remove: the service refuses dynamic lists and people without
    ``list:add_member``; record by record checks stay with the service."""
    return lst.kind == "static" and actor.scope_for("list:add_member") is not None


def candidates(
    session: Session, actor: Actor, lst: RecordList, q: str
) -> tuple[list[Any], set[str]]:
    """Records of the list's type matching ``q`` (global search), and which are members."""
    text = q.strip()
    if len(text) < 2:
        return [], set()
    hits = search_service.search(session, actor, text, types=lst.object_type, limit=15)
    if not hits:
        return [], set()
    ids = ",".join(str(h.id) for h in hits)
    query = ListQuery(filters=[f"id:in:{ids}"], limit=len(hits))
    _, present, _ = lists.list_members(session, actor, lst.id, query)
    return hits, {str(r.id) for r in present}


@object_view("list")
class ListView(ObjectView):
    template = "segment/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        lst: RecordList = record
        obj = member_object(lst)
        params = request.query_params
        cursor = params.get("cursor") or None
        limit = _limit(request)
        columns = COLUMNS.get(lst.object_type, COLUMNS["contact"])
        members_error = None
        try:
            _, members, next_cursor = lists.list_members(
                session, actor, lst.id, ListQuery(cursor=cursor, limit=limit)
            )
        except ValidationFailed as exc:
            members_error, members, next_cursor = exc.detail, [], None
        rows = obj.list_rows(session, members)
        names = references.resolve(session, actor, rows, columns)
        words: list[str] = []
        if lst.kind == "dynamic":
            repo = lists.record_repository(session, lst.object_type, "object_type")
            fields: dict[str, FieldSpec] = repo.fields()  # type: ignore[attr-defined]
            words = filter_in_words(session, actor, lists.split_filter(lst.filter), fields)
        can_change = can_change_members(actor, lst)
        q = (params.get("q") or "")[:200]
        hits, present = candidates(session, actor, lst, q) if can_change and q else ([], set())
        return {
            "list": lst,
            "member_obj": obj,
            "member_rows": rows,
            "member_columns": columns,
            "member_names": names,
            "member_count": member_count(session, actor, lst),
            "members_error": members_error,
            "member_change_error": None,
            "member_next": next_cursor,
            "member_cursor": cursor or "",
            "member_limit": limit,
            "filter_words": words,
            "can_change_members": can_change,
            "q": q,
            "hits": hits,
            "present": present,
        }


# ---- adding and removing --------------------------------------------------------------------


@router.get("/{list_id}/candidates", response_class=HTMLResponse)
def candidate_search(
    request: Request,
    list_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The search results of the add-members form (an htmx fragment; a page without htmx)."""
    if not is_htmx(request):
        target = f"/lists/{list_id}?{urlencode({'q': q})}#add-members"
        return RedirectResponse(target, status_code=303)
    lst = LISTS.service(session, actor).get(list_id)
    hits: list[Any] = []
    present: set[str] = set()
    if can_change_members(actor, lst):
        hits, present = candidates(session, actor, lst, q)
    return render(
        request,
        "segment/_candidates.html",
        actor,
        session,
        lst=lst,
        q=q,
        hits=hits,
        present=present,
    )


def _ids(values: list[str]) -> list[uuid.UUID]:
    ids = [i for i in (parse_uuid(v) for v in values[: MAX_IDS + 1]) if i is not None]
    if not ids:
        raise ValidationFailed("choose at least one record", field="record_ids")
    if len(ids) > MAX_IDS:
        raise ValidationFailed(f"at most {MAX_IDS} records at a time", field="record_ids")
    return ids


def _back(list_id: uuid.UUID, cursor: str) -> str:
    query = urlencode({"cursor": cursor}) if cursor else ""
    return f"/lists/{list_id}" + (f"?{query}" if query else "")


def _refused(
    request: Request, session: Session, actor: Actor, list_id: uuid.UUID, exc: DomainError
) -> HTMLResponse:
    """The list page again, with the service's reason beside the members."""
    ctx = detail_context(request, session, actor, LISTS, list_id)
    ctx["member_change_error"] = exc.detail
    return render(
        request,
        ListView.template,
        actor,
        session,
        status_code=exc.status,
        **ctx,
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@router.post("/{list_id}/members/add", dependencies=CSRF)
def add_members(
    request: Request,
    list_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    record_ids: Annotated[list[str], Form()] = [],  # noqa: B006
    cursor: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        ids = _ids(record_ids)
        with session.begin_nested():
            added, already = lists.add_members(session, actor, list_id, ids)
    except DomainError as exc:
        return _refused(request, session, actor, list_id, exc)
    message = f"{_plural(added, 'record')} added to the list"
    if already:
        message += f"; {already} already in it"
    request.session["flash"] = message
    return RedirectResponse(_back(list_id, cursor), status_code=303)


@router.post("/{list_id}/members/remove", dependencies=CSRF)
def remove_members(
    request: Request,
    list_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    record_ids: Annotated[list[str], Form()] = [],  # noqa: B006
    cursor: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        ids = _ids(record_ids)
        with session.begin_nested():
            removed, _ = lists.remove_members(session, actor, list_id, ids)
    except DomainError as exc:
        return _refused(request, session, actor, list_id, exc)
    request.session["flash"] = f"{_plural(removed, 'record')} removed from the list"
    return RedirectResponse(_back(list_id, cursor), status_code=303)
