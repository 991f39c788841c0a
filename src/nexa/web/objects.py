"""The record types the web UI lists, shows and edits, described once.

Every page of the generic list/detail/form goes through a ``WebObject``: which service does
the work (the same services as the API), which schemas parse a form, how a record is shaped
for display (the object's ``Shaper``, so the UI shows what the API returns, field rules
included), the default list columns and the related lists of the 360° view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.account.schemas import AccountCreate, AccountUpdate
from nexa.account.service import AccountService
from nexa.account.shape import ACCOUNTS
from nexa.call.schemas import CallCreate, CallUpdate
from nexa.call.service import CallService
from nexa.call.shape import CALLS
from nexa.campaign.schemas import CampaignCreate, CampaignUpdate
from nexa.campaign.service import CampaignService
from nexa.campaign.shape import CAMPAIGNS
from nexa.contact.schemas import ContactCreate, ContactUpdate
from nexa.contact.service import ContactService
from nexa.contact.shape import CONTACTS
from nexa.core.actor import Actor
from nexa.core.filtering import FieldSpec
from nexa.core.names import person_name
from nexa.deal.schemas import DealCreate, DealUpdate
from nexa.deal.service import DealService
from nexa.deal.shape import DEALS
from nexa.lead.schemas import LeadCreate, LeadUpdate
from nexa.lead.service import LeadService
from nexa.lead.shape import LEADS
from nexa.meeting.schemas import MeetingCreate, MeetingUpdate
from nexa.meeting.service import MeetingService
from nexa.meeting.shape import MEETINGS
from nexa.note.schemas import NoteCreate, NoteUpdate
from nexa.note.service import NoteService
from nexa.note.shape import NOTES
from nexa.order.schemas import OrderCreate, OrderUpdate
from nexa.order.service import OrderService
from nexa.order.shape import ORDERS
from nexa.product.schemas import ProductCreate, ProductUpdate
from nexa.product.service import ProductService
from nexa.product.shape import PRODUCTS
from nexa.quote.schemas import QuoteCreate, QuoteUpdate
from nexa.quote.service import QuoteService
from nexa.quote.shape import QUOTES
from nexa.record.shapes import Shaper
from nexa.segment.schemas import ListCreate, ListUpdate
from nexa.segment.service import ListService
from nexa.segment.shape import LISTS
from nexa.task.schemas import TaskCreate, TaskUpdate
from nexa.task.service import TaskService
from nexa.task.shape import TASKS


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


@dataclass(frozen=True)
class WebObject:
    name: str  # the object name of permissions and events ("lead")
    path: str  # the URL segment ("leads")
    label: str
    plural: str
    ops: Callable[[Session, Actor], Any]
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    shaper: Shaper[Any]
    columns: tuple[str, ...]
    title_field: str = "name"
    # a list row from the record's columns (cheap), or None: the shaper's page
    list_row: Callable[[Any], dict[str, Any]] | None = _columns
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

    def shape(self, session: Session, record: Any) -> BaseModel:
        return self.shaper.one(session, record)

    def list_rows(self, session: Session, records: list[Any]) -> list[dict[str, Any]]:
        """The rows of a list page, through the object's shaper (its field rules)."""
        if self.list_row is None:
            return [out.model_dump() for out in self.shaper.page(session, records)]
        return [self.shaper.columns(self.list_row(r)) for r in records]

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
            shaper=LEADS,
            columns=("full_name", "company", "email", "status", "source", "score", "owner_id"),
            title_field="full_name",
            list_row=_person,
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
            shaper=CONTACTS,
            columns=("full_name", "email", "phone", "title", "account_id", "owner_id"),
            title_field="full_name",
            list_row=_person,
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
            shaper=ACCOUNTS,
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
            shaper=DEALS,
            columns=("name", "amount", "stage_name", "close_date", "account_id", "owner_id"),
            list_row=None,
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
            shaper=TASKS,
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
            shaper=MEETINGS,
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
            shaper=CALLS,
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
            shaper=NOTES,
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
            shaper=PRODUCTS,
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
            shaper=QUOTES,
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
            shaper=ORDERS,
            columns=("number", "status", "order_date", "account_id", "owner_id"),
            title_field="number",
            creatable=False,
        ),
        WebObject(
            name="campaign",
            path="campaigns",
            label="Campaign",
            plural="Campaigns",
            ops=CampaignService,
            create_model=CampaignCreate,
            update_model=CampaignUpdate,
            shaper=CAMPAIGNS,
            columns=("name", "type", "status", "goal", "owner_id", "updated_at"),
            form_exclude=(
                "steps",
                "list_ids",
                "segment",
                "optimize",
                "ai_optimized",
                "exit_on",
                "channels",
                "goal_event",
            ),
            frozen=lambda c: c.status == "completed",
            timeline=True,
        ),
        WebObject(
            name="list",
            path="lists",
            label="List",
            plural="Lists",
            ops=ListService,
            create_model=ListCreate,
            update_model=ListUpdate,
            shaper=LISTS,
            columns=("name", "kind", "object_type", "owner_id", "updated_at"),
            frozen=lambda lst: bool(lst.is_locked),
            timeline=False,
        ),
    )
}
BY_NAME: dict[str, WebObject] = {o.name: o for o in OBJECTS.values()}
