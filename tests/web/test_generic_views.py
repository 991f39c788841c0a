"""The generic record pages are view classes a domain subclasses (no route surgery): the
registered subclass serves its object's pages, each route is added once, and what an object
does not offer (a create form for orders, an export of tasks) has no route at all."""

from __future__ import annotations

from typing import Any

from nexa.web.generic import (
    DEFAULT_VIEWS,
    EXPORTABLE,
    ObjectEditView,
    ObjectListView,
    ObjectView,
    object_router,
    view_of,
)
from nexa.web.objects import OBJECTS
from tests.web.test_route_rules import routes_of


def test_domains_subclass_the_record_page(built_app: Any) -> None:
    from nexa.web.lead.routes import LeadView

    view = view_of(OBJECTS["leads"], ObjectView)
    assert type(view) is LeadView
    assert view.template == "lead/detail.html"
    # an object without a page of its own gets the generic one
    assert type(view_of(OBJECTS["products"], ObjectView)) is ObjectView
    assert type(view_of(OBJECTS["leads"], ObjectListView)) is ObjectListView


def test_every_route_is_added_once(built_app: Any) -> None:
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for path, route, _ in routes_of(built_app):
        for method in route.methods or ():
            key = (method, path)
            name = f"{route.endpoint.__module__}.{route.endpoint.__qualname__}"
            if key in seen and path != "/":  # "/": the dashboard, before the plain home page
                clashes.append(f"{method} {path}: {seen[key]} and {name}")
            seen.setdefault(key, name)
    assert not clashes


def _paths(obj_path: str) -> set[tuple[str, str]]:
    router = object_router(OBJECTS[obj_path])
    return {(m, r.path) for r in router.routes for m in getattr(r, "methods", ())}


def test_what_an_object_does_not_offer_has_no_route() -> None:
    assert ("GET", "/orders/new") not in _paths("orders")
    assert ("POST", "/orders/new") not in _paths("orders")
    assert ("GET", "/leads/new") in _paths("leads")
    for path, obj in OBJECTS.items():
        assert (("GET", f"/{path}/export.{{fmt}}") in _paths(path)) == (obj.name in EXPORTABLE)


def test_fixed_paths_come_before_the_record_id() -> None:
    """/leads/new and /leads/export.csv must not be read as a record id."""
    router = object_router(OBJECTS["leads"])
    order = [r.path for r in router.routes]
    assert order.index("/leads/new") < order.index("/leads/{record_id}")
    assert order.index("/leads/export.{fmt}") < order.index("/leads/{record_id}")
    assert [v.kind for v in DEFAULT_VIEWS][:3] == ["list", "bulk", ObjectEditView.kind]
