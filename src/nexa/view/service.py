"""Saved list views (private or shared) and the columns each user chose for a list.

Filters are stored in the API's filter language and checked against the object's fields
when saved, so a view that loads is a view that runs."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import NotFound, PermissionDenied, ValidationFailed
from nexa.core.filtering import MEMBERSHIP, FieldSpec, parse_filters, parse_sort
from nexa.core.schemas import require_one_line
from nexa.models import ListPreference, SavedView
from nexa.view.repository import ViewRepository

MAX_COLUMNS = 30


def _user(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise PermissionDenied("saved views belong to users, not API keys")
    return actor.user_id


def _check_read(actor: Actor, object_name: str) -> None:
    if not actor.can(f"{object_name}:read"):
        raise PermissionDenied(f"you may not read {object_name} records")


def list_views(session: Session, actor: Actor, object_name: str) -> list[SavedView]:
    """The actor's own views and the shared ones, by name."""
    _check_read(actor, object_name)
    user_id = _user(actor)
    return ViewRepository(session).visible_to(user_id, object_name)


def get_view(session: Session, actor: Actor, view_id: uuid.UUID) -> SavedView:
    view = session.get(SavedView, view_id)
    if view is None or (view.owner_id != actor.user_id and not view.shared):
        raise NotFound("no saved view with this id")
    _check_read(actor, view.object_name)
    return view


def _check_columns(columns: list[str], fields: dict[str, FieldSpec], extra: set[str]) -> list[str]:
    if len(columns) > MAX_COLUMNS:
        raise ValidationFailed(f"at most {MAX_COLUMNS} columns", field="columns")
    unknown = [
        c for c in columns if (c not in fields or fields[c].kind == MEMBERSHIP) and c not in extra
    ]
    if unknown:
        raise ValidationFailed(f"unknown column '{unknown[0][:60]}'", field="columns")
    return list(dict.fromkeys(columns))


def save_view(
    session: Session,
    actor: Actor,
    object_name: str,
    *,
    name: str,
    shared: bool,
    columns: list[str],
    filters: list[str],
    sort: str | None,
    fields: dict[str, FieldSpec],
    extra_columns: set[str] = frozenset(),  # type: ignore[assignment]
) -> SavedView:
    _check_read(actor, object_name)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationFailed("give the view a name of 1 to 120 characters", field="name")
    require_one_line(name, "name")
    if shared and not actor.can(f"{object_name}:write"):
        raise PermissionDenied("sharing a view needs write access to these records", field="shared")
    parse_filters(filters, fields)
    if sort:
        parse_sort(sort, fields, sort)
    view = SavedView(
        object_name=object_name,
        name=name,
        owner_id=_user(actor),
        shared=shared,
        columns=_check_columns(columns, fields, extra_columns),
        filters=list(filters),
        sort=sort or None,
    )
    session.add(view)
    session.flush()
    return view


def delete_view(session: Session, actor: Actor, view_id: uuid.UUID) -> None:
    view = get_view(session, actor, view_id)
    if view.owner_id != actor.user_id and not actor.is_admin:
        raise PermissionDenied("only its owner or an admin can delete a shared view")
    session.delete(view)
    session.flush()


def columns_for(session: Session, actor: Actor, object_name: str) -> list[str] | None:
    if actor.user_id is None:
        return None
    pref = session.get(ListPreference, (actor.user_id, object_name))
    return list(pref.columns) if pref and pref.columns else None


def set_columns(
    session: Session,
    actor: Actor,
    object_name: str,
    columns: list[str],
    fields: dict[str, FieldSpec],
    extra_columns: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    _check_read(actor, object_name)
    checked = _check_columns(columns, fields, extra_columns)
    if not checked:
        raise ValidationFailed("choose at least one column", field="columns")
    pref = session.get(ListPreference, (_user(actor), object_name))
    if pref is None:
        pref = ListPreference(user_id=_user(actor), object_name=object_name)
        session.add(pref)
    pref.columns = checked
    session.flush()
    return checked


def reset_columns(session: Session, actor: Actor, object_name: str) -> None:
    pref = session.get(ListPreference, (_user(actor), object_name))
    if pref is not None:
        session.delete(pref)
        session.flush()


def describe(view: SavedView) -> dict[str, Any]:
    return {"id": view.id, "name": view.name, "shared": view.shared}
