"""The record types the web UI lists, shows and edits, described once.

Every page of the generic list/detail/form goes through a ``WebObject``: which service does
the work (the same services as the API), which schemas parse a form, how a record is shaped
for display (the API's own ``to_out``, so the UI shows what the API returns), the default
list columns and the related lists of the 360° view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.account import endpoints as account_api
from nexa.account.schemas import AccountCreate, AccountUpdate
from nexa.account.service import AccountService
from nexa.call import endpoints as call_api
from nexa.call.schemas import CallCreate, CallUpdate
from nexa.call.service import CallService
from nexa.contact import endpoints as contact_api
from nexa.contact.schemas import ContactCreate, ContactUpdate
from nexa.contact.service import ContactService
from nexa.core.actor import Actor
from nexa.core.filtering import FieldSpec
from nexa.core.names import person_name
from nexa.deal import endpoints as deal_api
from nexa.deal import service as deal_service
from nexa.deal.schemas import DealCreate, DealUpdate
from nexa.deal.service import DealService
from nexa.lead import endpoints as lead_api
from nexa.lead.schemas import LeadCreate, LeadUpdate
from nexa.lead.service import LeadService
from nexa.meeting import endpoints as meeting_api
from nexa.meeting.schemas import MeetingCreate, MeetingUpdate
from nexa.meeting.service import MeetingService
from nexa.note.schemas import NoteCreate, NoteOut, NoteUpdate
from nexa.note.service import NoteService
from nexa.order import endpoints as order_api
from nexa.order.schemas import OrderCreate, OrderUpdate
from nexa.order.service import OrderService
from nexa.product import endpoints as product_api
from nexa.product.schemas import ProductCreate, ProductUpdate
from nexa.product.service import ProductService
from nexa.quote import endpoints as quote_api
from nexa.quote.schemas import QuoteCreate, QuoteUpdate
from nexa.quote.service import QuoteService
from nexa.segment import endpoints as segment_api
from nexa.segment.schemas import ListCreate, ListUpdate
from nexa.segment.service import ListService
from nexa.task.schemas import TaskCreate, TaskOut, TaskUpdate
from nexa.task.service import TaskService


@dataclass(frozen=True)
class Related:
    """A list on the 360° page: records of ``path`` whose ``field`` points at this record."""

    label: str
    path: str
    field: str
    linked: bool = False  # a related_type/related_id link ("tasks on this lead")


def _columns(record: Any) -> dict[str, Any]:
    return {c.key: getattr(record, c.key) for c in type(record).__mapper__.column_attrs}


def _person(record: Any) -> dict[str, Any]:
    row = _columns(record)
    row["full_name"] = person_name(record.first_name, record.last_name)
    return row


def _deal_rows(session: Session, records: list[Any]) -> list[dict[str, Any]]:
    teams, names = deal_service.deal_extras(session, records)
    return [
        deal_api.deal_out(r, teams.get(r.id), names.get(r.stage_id)).model_dump() for r in records
    ]


def _column_rows(_session: Session, records: list[Any]) -> list[dict[str, Any]]:
    return [_columns(r) for r in records]


def _plain_rows(row: Callable[[Any], dict[str, Any]]) -> Callable[..., list[dict[str, Any]]]:
    def rows(_session: Session, records: list[Any]) -> list[dict[str, Any]]:
        return [row(r) for r in records]

    return rows


@dataclass(frozen=True)
class WebObject:
    name: str  # the object name of permissions and events ("lead")
    path: str  # the URL segment ("leads")
    label: str
    plural: str
    ops: Callable[[Session, Actor], Any]
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    shape: Callable[[Session, Any], BaseModel]
    columns: tuple[str, ...]
    title_field: str = "name"
    list_rows: Callable[[Session, list[Any]], list[dict[str, Any]]] = _column_rows
    related: tuple[Related, ...] = ()
    form_exclude: tuple[str, ...] = ()
    timeline: bool = True
    creatable: bool = True  # False: made only by a flow (orders)
    # a record its page offers no edit for (the service refuses it anyway)
    frozen: Callable[[Any], bool] | None = None
    custom_fields: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def service(self, session: Session, actor: Actor) -> Any:
        return self.ops(session, actor)

    def fields(self, session: Session, actor: Actor) -> dict[str, FieldSpec]:
        return self.service(session, actor).repo.fields()

    def title(self, row: dict[str, Any]) -> str:
        value = row.get(self.title_field) or row.get("name") or row.get("title")
        return str(value) if value else f"{self.label} {str(row.get('id', ''))[:8]}"


ACTIVITY_RELATED = (
    Related("Tasks", "tasks", "related_id", linked=True),
    Related("Meetings", "meetings", "related_id", linked=True),
    Related("Calls", "calls", "related_id", linked=True),
    Related("Notes", "notes", "related_id", linked=True),
)

OBJECTS: dict[str, WebObject] = {
    o.path: o
    for o in (
        WebObject(
            name="lead",
            path="leads",
            label="Lead",
            plural="Leads",
            ops=LeadService,
            create_model=LeadCreate,
            update_model=LeadUpdate,
            shape=lead_api.to_out,
            columns=("full_name", "company", "email", "status", "source", "score", "owner_id"),
            title_field="full_name",
            list_rows=_plain_rows(_person),
            related=ACTIVITY_RELATED,
            form_exclude=("allow_duplicates", "score", "last_contacted_at"),
            custom_fields=True,
        ),
        WebObject(
            name="contact",
            path="contacts",
            label="Contact",
            plural="Contacts",
            ops=ContactService,
            create_model=ContactCreate,
            update_model=ContactUpdate,
            shape=lambda _s, c: contact_api.to_out(c),
            columns=("full_name", "email", "phone", "title", "account_id", "owner_id"),
            title_field="full_name",
            list_rows=_plain_rows(_person),
            related=(Related("Deals", "deals", "primary_contact_id"), *ACTIVITY_RELATED),
            custom_fields=True,
        ),
        WebObject(
            name="account",
            path="accounts",
            label="Account",
            plural="Accounts",
            ops=AccountService,
            create_model=AccountCreate,
            update_model=AccountUpdate,
            shape=account_api._one,
            columns=("name", "type", "industry", "country", "owner_id", "updated_at"),
            related=(
                Related("Contacts", "contacts", "account_id"),
                Related("Deals", "deals", "account_id"),
                Related("Child accounts", "accounts", "parent_id"),
                Related("Quotes", "quotes", "account_id"),
                Related("Orders", "orders", "account_id"),
                *ACTIVITY_RELATED,
            ),
            custom_fields=True,
        ),
        WebObject(
            name="deal",
            path="deals",
            label="Deal",
            plural="Deals",
            ops=DealService,
            create_model=DealCreate,
            update_model=DealUpdate,
            shape=deal_api._one,
            columns=("name", "amount", "stage_name", "close_date", "account_id", "owner_id"),
            list_rows=_deal_rows,
            related=(
                Related("Quotes", "quotes", "deal_id"),
                Related("Orders", "orders", "deal_id"),
                *ACTIVITY_RELATED,
            ),
            custom_fields=True,
        ),
        WebObject(
            name="task",
            path="tasks",
            label="Task",
            plural="Tasks",
            ops=TaskService,
            create_model=TaskCreate,
            update_model=TaskUpdate,
            shape=lambda _s, t: TaskOut.model_validate(t, from_attributes=True),
            columns=("title", "status", "priority", "due_at", "related_type", "owner_id"),
            title_field="title",
        ),
        WebObject(
            name="meeting",
            path="meetings",
            label="Meeting",
            plural="Meetings",
            ops=MeetingService,
            create_model=MeetingCreate,
            update_model=MeetingUpdate,
            shape=meeting_api.to_out,
            columns=("title", "starts_at", "ends_at", "location", "status", "owner_id"),
            title_field="title",
        ),
        WebObject(
            name="call",
            path="calls",
            label="Call",
            plural="Calls",
            ops=CallService,
            create_model=CallCreate,
            update_model=CallUpdate,
            shape=call_api.to_out,
            columns=(
                "subject",
                "direction",
                "started_at",
                "duration_seconds",
                "outcome",
                "owner_id",
            ),
            title_field="subject",
        ),
        WebObject(
            name="note",
            path="notes",
            label="Note",
            plural="Notes",
            ops=NoteService,
            create_model=NoteCreate,
            update_model=NoteUpdate,
            shape=lambda _s, n: NoteOut.model_validate(n, from_attributes=True),
            columns=("body", "owner_id", "created_at", "related_type", "pinned"),
            title_field="body",
        ),
        WebObject(
            name="product",
            path="products",
            label="Product",
            plural="Products",
            ops=ProductService,
            create_model=ProductCreate,
            update_model=ProductUpdate,
            shape=product_api.to_out,
            columns=("name", "sku", "family", "billing_period", "active"),
            custom_fields=True,
            timeline=False,
        ),
        WebObject(
            name="quote",
            path="quotes",
            label="Quote",
            plural="Quotes",
            ops=QuoteService,
            create_model=QuoteCreate,
            update_model=QuoteUpdate,
            shape=quote_api.to_out,
            columns=("number", "name", "status", "total", "currency", "valid_until", "owner_id"),
            frozen=lambda quote: quote.status != "draft",
        ),
        WebObject(
            name="order",
            path="orders",
            label="Order",
            plural="Orders",
            ops=OrderService,
            create_model=OrderCreate,
            update_model=OrderUpdate,
            shape=order_api.to_out,
            columns=("number", "status", "order_date", "account_id", "owner_id"),
            title_field="number",
            creatable=False,
        ),
        WebObject(
            name="list",
            path="lists",
            label="List",
            plural="Lists",
            ops=ListService,
            create_model=ListCreate,
            update_model=ListUpdate,
            shape=segment_api.to_out,
            columns=("name", "kind", "object_type", "owner_id", "updated_at"),
            frozen=lambda lst: bool(lst.is_locked),
            timeline=False,
        ),
    )
}
BY_NAME: dict[str, WebObject] = {o.name: o for o in OBJECTS.values()}
