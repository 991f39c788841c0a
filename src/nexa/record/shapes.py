"""One shaper per record type: the one place that decides what of a record leaves the
service, whichever way it leaves — the API answer, the web pages, the export rows and the
life-cycle event payloads (hence the webhooks).

A domain declares its shaper in ``<domain>/shape.py`` (``LEADS = register(Shaper(...))``),
below its endpoints, so that endpoints, web routes, exports and services can all call it.
Field-level rules (hide a field from some actors, mask it…) go in ``FIELD_RULES``: every
path applies ``apply_field_rules`` to what it is about to let out. None exist today, and
with none the shapers answer exactly what the hand-written shaping did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

Out = TypeVar("Out", bound=BaseModel)

# (object name, the fields about to leave) -> the fields that may leave
FieldRule = Callable[[str, dict[str, Any]], dict[str, Any]]

FIELD_RULES: list[FieldRule] = []
"""The hook for field-level rules, applied on every path; empty today."""


def apply_field_rules(object_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """What of ``data`` (one record of ``object_name`` as field -> value) may leave."""
    for rule in FIELD_RULES:
        data = rule(object_name, data)
    return data


@dataclass(frozen=True)
class Shaper(Generic[Out]):
    """How records of ``object_name`` leave: ``one`` (with its own queries) and ``page``
    (a page's extras in one query each) give the output model; ``rows`` the JSON rows of an
    export; ``columns`` and ``payload`` pass a dict already built (the web's list rows, an
    event's payload) through the field rules."""

    object_name: str
    out_model: type[Out]
    to_out: Callable[[Session, Any], Out] | None = None
    to_page: Callable[[Session, list[Any]], list[Out]] | None = None

    def _raw(self, session: Session, record: Any) -> Out:
        if self.to_out is not None:
            return self.to_out(session, record)
        return self.out_model.model_validate(record, from_attributes=True)

    def apply(self, out: Out) -> Out:
        """The field rules on an output model built here or elsewhere."""
        if not FIELD_RULES:
            return out
        data = apply_field_rules(self.object_name, dict(out))
        return type(out).model_construct(_fields_set=out.model_fields_set, **data)

    def one(self, session: Session, record: Any) -> Out:
        return self.apply(self._raw(session, record))

    def page(self, session: Session, records: list[Any]) -> list[Out]:
        if self.to_page is not None:
            outs = self.to_page(session, records)
        else:
            outs = [self._raw(session, r) for r in records]
        return [self.apply(out) for out in outs]

    def rows(self, session: Session, records: list[Any]) -> list[dict[str, Any]]:
        return [out.model_dump(mode="json") for out in self.page(session, records)]

    def columns(self, row: dict[str, Any]) -> dict[str, Any]:
        return apply_field_rules(self.object_name, row)


SHAPERS: dict[str, Shaper[Any]] = {}


def register(shaper: Shaper[Out]) -> Shaper[Out]:
    if shaper.object_name in SHAPERS:
        raise ValueError(f"two shapers for {shaper.object_name!r}")
    SHAPERS[shaper.object_name] = shaper
    return shaper


def shape_payload(object_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An event payload of ``object_name`` as it may leave (services call this: they need
    no shaper, only the field rules)."""
    return apply_field_rules(object_name, payload)
