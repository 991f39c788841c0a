"""Options of the select inputs that come from the organization's data: users, pipelines and
stages, lead sources, linkable record types. Read through the services, as the actor."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import PermissionDenied
from nexa.core.filtering import ListQuery
from nexa.core.repository import LINKABLE
from nexa.deal import pipelines as deal_pipelines
from nexa.lead import service as leads
from nexa.models.record_list import LIST_OBJECTS
from nexa.user import service as users

Choices = list[tuple[str, str]]


def user_choices(session: Session, actor: Actor) -> Choices:
    cache = session.info.setdefault("web_choices", {})
    if "users" not in cache:
        try:
            found, _ = users.list_users(
                session,
                actor,
                ListQuery(filters=["is_active:eq:true"], sort="full_name", limit=200),
            )
        except PermissionDenied:
            found = []
        cache["users"] = [(str(u.id), u.full_name) for u in found]
    return list(cache["users"])


def pipelines(session: Session, actor: Actor) -> list[tuple[Any, list[Any]]]:
    cache = session.info.setdefault("web_choices", {})
    if "pipelines" not in cache:
        cache["pipelines"] = deal_pipelines.list_pipelines(session, actor)
    return list(cache["pipelines"])


def stage_choices(session: Session, actor: Actor, pipeline_id: Any = None) -> Choices:
    found = pipelines(session, actor)
    chosen = None
    for pipeline, stages in found:
        if pipeline_id and str(pipeline.id) == str(pipeline_id):
            chosen = stages
    if chosen is None:
        for pipeline, stages in found:
            if pipeline.is_default or chosen is None:
                chosen = stages
    return [(s.key, s.name) for s in (chosen or [])]


def field_choices(
    session: Session, actor: Actor, obj: Any, name: str, *, values: dict[str, Any] | None = None
) -> Choices | None:
    """(value, label) options for field ``name`` of ``obj``, or None when it is not a select
    filled from data."""
    values = values or {}
    if name == "owner_id":
        return user_choices(session, actor)
    if name == "pipeline_id" and obj.name == "deal":
        return [(str(p.id), p.name) for p, _ in pipelines(session, actor)]
    if name == "stage" and obj.name == "deal":
        return stage_choices(session, actor, values.get("pipeline_id"))
    if name == "source" and obj.name == "lead":
        return [(s.key, s.label) for s in leads.list_sources(session, actor) if s.active]
    if name == "related_type":
        return [(t, t.capitalize()) for t in LINKABLE]
    if name == "object_type" and obj.name == "list":
        return [(t, t.capitalize()) for t in LIST_OBJECTS]
    return None
