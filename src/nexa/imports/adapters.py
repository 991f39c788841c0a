"""One adapter per importable object: which schemas describe a row, how to find an exact twin
(a live record with the same email / name) and fuzzy candidates, and which service creates,
updates and lists the records. Every write goes through the object's own service, so its
validation, events, audit and timeline run exactly as for the API."""

from __future__ import annotations

import functools
import types
import typing
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.core.repository import Repository
from nexa.core.schemas import Money
from nexa.core.text import text_key
from nexa.imports.repository import ImportRepository, as_uuid
from nexa.record.shapes import Shaper, apply_field_rules

OBJECT_TYPES = ("lead", "contact", "account", "deal")
# fields never mapped by header name alone (owner = the acting user unless mapped on purpose)
EXPLICIT_ONLY = {"owner_id"}
# schema fields that are switches of the API call, not data
NOT_DATA = {"allow_duplicates"}


@dataclass
class Shape:
    kind: str  # "plain" | "list" | "nested"
    nested: type[BaseModel] | None = None


@dataclass
class Adapter:
    object_type: str
    model: type[Any]
    repository: type[Repository[Any]]
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    out_model: type[BaseModel]
    create: Callable[[Session, Actor, BaseModel], Any]
    update: Callable[[Session, Actor, uuid.UUID, BaseModel], Any]
    list_page: Callable[[Session, Actor, ListQuery], tuple[list[Any], str | None]]
    twin_field: str | None = None
    references: dict[str, type[Repository[Any]]] = field(default_factory=dict)
    # fuzzy twins: the key rows are grouped by, whether two people look alike, and one
    # query per batch giving (key, first, last, id) of the readable records to compare with
    fuzzy_key: Callable[[BaseModel], str | None] | None = None
    fuzzy_same: Callable[[BaseModel, str | None, str | None], bool] | None = None
    fuzzy_lookup: (
        Callable[[Session, Actor, list[BaseModel]], list[tuple[str, Any, Any, uuid.UUID]]] | None
    ) = None
    extra_check: Callable[[Session, Actor, BaseModel], None] | None = None
    # how a record leaves in an export row (the object's shaper: what the API answers)
    shaper: Shaper[Any] | None = None
    # many creates at once: (session, actor) -> an object with in_bulk(data), prepare(data)
    # (checks, raises what ``create`` raises, returns something with an ``id``) and
    # write(prepared) (leaves what ``create`` leaves for each); None: row by row
    bulk: Callable[[Session, Actor], Any] | None = None

    # -- fields ------------------------------------------------------------------------------
    def shapes(self) -> dict[str, Shape]:
        return field_shapes(self.create_model)

    def standard_fields(self) -> list[str]:
        """Importable targets: plain and list fields, nested ones as ``field.sub``."""
        names: list[str] = []
        for name, shape in self.shapes().items():
            if name in NOT_DATA:
                continue
            if shape.kind == "nested" and shape.nested is not None:
                names.extend(f"{name}.{sub}" for sub in shape.nested.model_fields)
            else:
                names.append(name)
        return names

    def export_fields(self) -> list[str]:
        names: list[str] = []
        for name, shape in field_shapes(self.out_model).items():
            if shape.kind == "nested" and shape.nested is not None:
                names.extend(f"{name}.{sub}" for sub in shape.nested.model_fields)
            else:
                names.append(name)
        return names

    # -- duplicates --------------------------------------------------------------------------
    def twins(self, session: Session, keys: Iterable[str]) -> dict[str, uuid.UUID]:
        """Live records holding one of ``keys`` (``twin_key``), in one query per 500 keys.
        A system view: uniqueness sees every record, readable or not."""
        if self.twin_field is None:
            return {}
        return ImportRepository(session).twins(self.model, self.twin_field, keys)

    def hidden(self, session: Session, actor: Actor, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of the twins ``ids`` ``actor`` cannot read: a report may say that such a
        record exists, never which (PRODUCT.md, duplicates)."""
        wanted = set(ids)
        if not wanted:
            return set()
        return wanted - ImportRepository(session).readable_ids(self.repository, actor, wanted)

    def twin_key(self, data: BaseModel) -> str | None:
        if self.twin_field is None:
            return None
        value = getattr(data, self.twin_field, None)
        # the key uniqueness compares (nexa.core.text): look-alikes are twins too
        return text_key(str(value)) if value else None

    # -- checks a dry run can make without writing ---------------------------------------------
    def check_references(self, session: Session, actor: Actor, data: BaseModel) -> None:
        for name, repository in self.references.items():
            value = getattr(data, name, None)
            if value is None:
                continue
            try:
                repository(session).get(actor, value)
            except NotFound:
                raise ValidationFailed(
                    f"no {repository.object_name} with this id that you can see", field=name
                ) from None
        if self.extra_check is not None:
            self.extra_check(session, actor, data)

    def rows(self, session: Session, records: list[Any]) -> list[dict[str, Any]]:
        if self.shaper is not None:
            return self.shaper.rows(session, records)
        return [
            apply_field_rules(self.object_type, generic_row(self.out_model, r)) for r in records
        ]


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


@functools.cache
def field_shapes(model: type[BaseModel]) -> dict[str, Shape]:
    """The shape of each field of ``model`` (worked out once per model: every row asks)."""
    shapes = {}
    for name, info in model.model_fields.items():
        if name == "custom_fields":
            continue
        inner = _unwrap(info.annotation)
        if typing.get_origin(inner) is list:
            shapes[name] = Shape("list")
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            shapes[name] = Shape("nested", inner)
        else:
            shapes[name] = Shape("plain")
    return shapes


def generic_row(out_model: type[BaseModel], record: Any) -> dict[str, Any]:
    """A record as its output model (money columns ``x`` + ``x_currency`` become Money)."""
    data = {c.key: getattr(record, c.key) for c in record.__mapper__.column_attrs}
    for name, shape in field_shapes(out_model).items():
        if shape.nested is Money and isinstance(data.get(name), Decimal):
            currency = data.get(f"{name}_currency") or data.get("currency") or "USD"
            data[name] = Money(amount=data[name], currency=currency)
    return out_model.model_validate(data).model_dump(mode="json")


# ---- the adapters -----------------------------------------------------------------------


def _contact() -> Adapter:
    from nexa.account.repository import AccountRepository
    from nexa.contact import service
    from nexa.contact.repository import ContactRepository
    from nexa.contact.schemas import ContactCreate, ContactOut, ContactUpdate
    from nexa.contact.shape import CONTACTS
    from nexa.models import Contact

    def key(data: BaseModel) -> str | None:
        last = getattr(data, "last_name", None)
        return last.lower() if last else None

    def same(data: BaseModel, first: str | None, last: str | None) -> bool:
        return (getattr(data, "first_name", "") or "").lower() == (first or "").lower()

    def lookup(
        session: Session, actor: Actor, rows: list[BaseModel]
    ) -> list[tuple[str, Any, Any, uuid.UUID]]:
        keys = sorted({k for k in (key(r) for r in rows) if k})
        return ImportRepository(session).contacts_by_last_name(actor, keys)

    return Adapter(
        object_type="contact",
        model=Contact,
        repository=ContactRepository,
        create_model=ContactCreate,
        update_model=ContactUpdate,
        out_model=ContactOut,
        create=service.create_contact,  # type: ignore[arg-type]
        update=service.update_contact,  # type: ignore[arg-type]
        list_page=service.list_contacts,
        twin_field="email",
        references={"account_id": AccountRepository, "reporting_to_id": ContactRepository},
        fuzzy_key=key,
        fuzzy_same=same,
        fuzzy_lookup=lookup,
        shaper=CONTACTS,
    )


def _account() -> Adapter:
    from nexa.account import service
    from nexa.account.repository import AccountRepository
    from nexa.account.schemas import AccountCreate, AccountOut, AccountUpdate
    from nexa.account.shape import ACCOUNTS
    from nexa.contact.repository import ContactRepository
    from nexa.models import Account

    return Adapter(
        object_type="account",
        model=Account,
        repository=AccountRepository,
        create_model=AccountCreate,
        update_model=AccountUpdate,
        out_model=AccountOut,
        create=service.create_account,  # type: ignore[arg-type]
        update=service.update_account,  # type: ignore[arg-type]
        list_page=service.list_accounts,
        twin_field="name",
        references={"parent_id": AccountRepository, "primary_contact_id": ContactRepository},
        shaper=ACCOUNTS,
    )


def _record_service_adapter(
    object_type: str, module: str, service_name: str, twin_field: str | None
) -> Adapter:
    """Leads and deals: built on their ``RecordService`` subclasses."""
    import importlib

    service_module = importlib.import_module(f"nexa.{module}.service")
    schemas = importlib.import_module(f"nexa.{module}.schemas")
    cls = getattr(service_module, service_name)
    label = object_type.capitalize()
    create_model = getattr(schemas, f"{label}Create")
    update_model = getattr(schemas, f"{label}Update")
    out_model = getattr(schemas, f"{label}Out")

    def create(session: Session, actor: Actor, data: BaseModel) -> Any:
        return cls(session, actor).create(data)

    def update(session: Session, actor: Actor, record_id: uuid.UUID, data: BaseModel) -> Any:
        return cls(session, actor).update(record_id, data)

    def list_page(session: Session, actor: Actor, query: ListQuery) -> Any:
        return cls(session, actor).list(query)

    def prepare_check(session: Session, actor: Actor, data: BaseModel) -> None:
        """The service's own column checks (status rules, sources, stages), without writing."""
        svc = cls(session, actor)
        svc.prepare(svc.values_of(data, partial=False), None)

    return Adapter(
        object_type=object_type,
        model=cls.model,
        repository=cls.repository,
        create_model=create_model,
        update_model=update_model,
        out_model=out_model,
        create=create,
        update=update,
        list_page=list_page,
        twin_field=twin_field,
        extra_check=prepare_check,
    )


def _lead() -> Adapter:
    adapter = _record_service_adapter("lead", "lead", "LeadService", "email")
    plain_create = adapter.create

    def create(session: Session, actor: Actor, data: BaseModel) -> Any:
        # the import has looked for fuzzy twins itself (and create_fuzzy decides)
        return plain_create(session, actor, data.model_copy(update={"allow_duplicates": True}))

    adapter.create = create

    def bulk(session: Session, actor: Actor) -> Any:
        from nexa.lead.bulk import BulkLeads

        return BulkLeads(session, actor)

    adapter.bulk = bulk

    from nexa.lead.shape import LEADS

    adapter.shaper = LEADS

    from nexa.lead.duplicates import company_key, names_match

    def key(data: BaseModel) -> str | None:
        if not getattr(data, "last_name", None):
            return None
        return company_key(getattr(data, "company", None)) or None

    def same(data: BaseModel, first: str | None, last: str | None) -> bool:
        return names_match(
            getattr(data, "first_name", None), getattr(data, "last_name", None), first, last
        )

    keys_of: dict[str, str] = {}  # company -> company_key, for the whole run

    def lookup(
        session: Session, actor: Actor, rows: list[BaseModel]
    ) -> list[tuple[str, Any, Any, uuid.UUID]]:
        """Readable leads and contacts (by their account's name) whose company starts with
        the first word of a row's company key — the lead service's rule (name + company),
        asked once per batch and as plain columns."""
        wanted = {k for k in (key(r) for r in rows) if k}
        prefixes = sorted({k.split()[0] for k in wanted})
        found: list[tuple[str, Any, Any, uuid.UUID]] = []
        for company, first, last, rid in ImportRepository(session).people_by_company_prefix(
            actor, prefixes
        ):
            company_key_ = keys_of.get(company)
            if company_key_ is None:
                company_key_ = keys_of[company] = company_key(company)
            if company_key_ in wanted:  # the others can never be compared with
                found.append((company_key_, first, last, as_uuid(rid)))
        return found

    adapter.fuzzy_key = key
    adapter.fuzzy_same = same
    adapter.fuzzy_lookup = lookup
    return adapter


def _deal() -> Adapter:
    adapter = _record_service_adapter("deal", "deal", "DealService", None)
    from nexa.deal.shape import DEALS

    adapter.shaper = DEALS

    def bulk(session: Session, actor: Actor) -> Any:
        from nexa.deal.bulk import BulkDeals

        return BulkDeals(session, actor)

    adapter.bulk = bulk
    return adapter


BUILDERS: dict[str, Callable[[], Adapter]] = {
    "lead": _lead,
    "contact": _contact,
    "account": _account,
    "deal": _deal,
}


def adapter_for(object_type: str) -> Adapter:
    builder = BUILDERS.get(object_type)
    if builder is None:
        raise ValidationFailed(
            f"cannot import or export '{object_type[:40]}'; choose one of: "
            + ", ".join(OBJECT_TYPES),
            field="object_type",
        )
    try:
        return builder()
    except (ImportError, AttributeError):
        raise ValidationFailed(
            f"{object_type} records cannot be imported or exported yet", field="object_type"
        ) from None
