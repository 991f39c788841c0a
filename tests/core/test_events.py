"""Typed events: each event is declared once with its payload class, ``publish`` accepts
only an instance of that class, and the outbox stores the payload's JSON."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nexa import subscribers
from nexa.core.actor import SYSTEM
from nexa.core.events import (
    REGISTRY,
    UNSET,
    EventPayload,
    OutboxMessage,
    Unset,
    declare,
    json_key,
    payload_schema,
    publish,
)
from nexa.record.events import RecordPayload

SRC = Path(__file__).resolve().parents[2] / "src" / "nexa"


@dataclass(frozen=True, kw_only=True)
class Moved(EventPayload):
    name: str
    from_: str | None = field(metadata=json_key("from"))
    to: str
    reason: str | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class Other(EventPayload):
    name: str


MOVED = declare(
    "test.moved", payload=Moved, permission="audit:read", description="A test event (tests)"
)


def test_payload_json_keeps_field_order_and_leaves_unset_fields_out() -> None:
    assert Moved(name="A", from_="x", to="y").to_json() == {"name": "A", "from": "x", "to": "y"}
    assert list(Moved(name="A", from_=None, to="y", reason=None).to_json()) == [
        "name",
        "from",
        "to",
        "reason",
    ]
    record = RecordPayload(
        name="Ann", details={"email": "a@x.io", "status": "new"}, owner_id="u1", related_id=None
    )
    assert list(record.to_json().items()) == [
        ("name", "Ann"),
        ("email", "a@x.io"),
        ("status", "new"),
        ("related_id", None),
        ("owner_id", "u1"),
    ]


def test_record_payload_of_a_hook_dict_gives_back_the_same_json() -> None:
    hook = {
        "name": "Call",
        "direction": "out",
        "related_type": "lead",
        "related_id": "1",
        "also_on": [["contact", "2"]],
    }
    payload = RecordPayload.of(hook, owner_id="9")
    assert payload.related_type == "lead" and payload.details == {"direction": "out"}
    assert list(payload.to_json().items()) == [*hook.items(), ("owner_id", "9")]
    assert payload.links == [("lead", "1"), ("contact", "2")]
    assert RecordPayload.of({"name": "x", "owner_id": "7"}, owner_id="9").owner == "7"


def test_publish_refuses_a_dict_or_another_payload_class(db: Any) -> None:
    subscribers.install()
    with pytest.raises(TypeError, match="carries Moved, not dict"):
        publish(
            db,
            SYSTEM,
            "test.moved",
            record_type="account",
            record_id=None,
            payload={"name": "A", "from": None, "to": "b"},  # type: ignore[arg-type]
        )
    with pytest.raises(TypeError, match="carries Moved, not Other"):
        publish(db, SYSTEM, "test.moved", record_type="x", record_id=None, payload=Other(name="A"))
    event = publish(
        db,
        SYSTEM,
        "test.moved",
        record_type="x",
        record_id=None,
        payload=Moved(name="A", from_="p", to="q"),
        changes={"stage": ("p", "q")},
    )
    db.flush()
    row = db.get(OutboxMessage, event.id)
    assert row.payload == {"name": "A", "from": "p", "to": "q", "changes": {"stage": ["p", "q"]}}


def test_declare_wants_a_payload_dataclass_and_one_class_per_event() -> None:
    class NotADataclass(EventPayload):
        pass

    with pytest.raises(TypeError, match="frozen dataclass"):
        declare("test.plain", payload=NotADataclass, permission="audit:read", description="-")
    with pytest.raises(TypeError, match="EventPayload class"):
        declare("test.dict", payload=dict, permission="audit:read", description="-")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="declared with Moved and again with Other"):
        declare("test.moved", payload=Other, permission="audit:read", description="-")
    assert "test.plain" not in REGISTRY


def test_payload_schema_names_fields_types_and_optional_ones() -> None:
    schema = payload_schema(Moved)
    assert schema["properties"]["name"] == {"type": "string"}
    assert schema["properties"]["from"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert schema["required"] == ["name", "from", "to", "changes"]  # reason may be left out
    assert "additionalProperties" not in schema
    assert payload_schema(RecordPayload)["additionalProperties"] is True


# ---- every publish site, read from the source ---------------------------------------------


def _publish_calls() -> list[tuple[str, int, ast.expr]]:
    """(file, line, payload argument) of every ``publish(...)`` call under src/nexa."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            name = node.func.id if isinstance(node.func, ast.Name) else name
            if name != "publish":
                continue
            for kw in node.keywords:
                if kw.arg == "payload":
                    found.append((str(path.relative_to(SRC)), node.lineno, kw.value))
    return found


def _is_dict(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Dict | ast.DictComp):
        return True
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict"


def test_no_publish_site_passes_a_dict() -> None:
    calls = _publish_calls()
    assert len(calls) >= 25  # the walk found the publish sites
    offenders = [f"{path}:{line}" for path, line, value in calls if _is_dict(value)]
    assert offenders == [], f"publish(payload=<dict>) at {offenders}: build the payload class"


def test_every_publish_site_builds_its_event_s_declared_payload_class(db: Any) -> None:
    """A literal event name published with ``payload=SomeClass(...)`` must name the class
    that event was declared with."""
    subscribers.install()
    _import_every_events_module()
    mismatches = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "publish"):
                continue
            if len(node.args) < 3 or not isinstance(node.args[2], ast.Constant):
                continue
            event_name = node.args[2].value
            payload = next((k.value for k in node.keywords if k.arg == "payload"), None)
            if not (
                isinstance(payload, ast.Call) and isinstance(payload.func, ast.Name | ast.Attribute)
            ):
                continue
            built = payload.func.id if isinstance(payload.func, ast.Name) else payload.func.attr
            declared = REGISTRY[event_name].payload.__name__
            if built not in (declared, "of"):
                mismatches.append(f"{path.relative_to(SRC)}:{node.lineno} {event_name}: {built}")
    assert mismatches == []


def _import_every_events_module() -> list[str]:
    import importlib

    names = []
    for path in sorted(SRC.glob("*/events.py")):
        name = f"nexa.{path.parent.name}.events"
        if path.parent.name != "core":
            importlib.import_module(name)
            names.append(name)
    return names


def test_outbox_rows_keep_the_keys_and_their_order(db: Any, users: Any) -> None:
    """The JSON an outbox row stores is what the untyped dicts gave: same keys, same order."""
    from sqlalchemy import select

    from tests.factories.deal import make_deal
    from tests.factories.lead import make_lead
    from tests.factories.task import make_task

    lead = make_lead(db, users.admin.actor, owner_id=users.rep.user.id, email="o@x.io")
    deal = make_deal(db, users.admin.actor, owner_id=users.rep.user.id)
    task = make_task(db, users.admin.actor, related_type="deal", related_id=deal.id)
    db.flush()
    rows = {
        (m.event, m.record_id): m.payload
        for m in db.scalars(select(OutboxMessage).where(OutboxMessage.event.like("%.created")))
    }
    # SQLite stores the JSON text as written; PostgreSQL's jsonb keeps keys, not their order
    same = (lambda a, b: a == b) if db.get_bind().dialect.name == "sqlite" else _same_items
    assert same(
        list(rows["lead.created", lead.id].items()),
        [
            ("name", f"Sam {lead.last_name}"),
            ("email", "o@x.io"),
            ("company", lead.company),
            ("status", "new"),
            ("owner_id", str(users.rep.user.id)),
            ("changes", {}),
        ],
    )
    assert same(
        list(rows["deal.created", deal.id]),
        [
            "name",
            "stage",
            "amount",
            "currency",
            "owner_id",
            "changes",
        ],
    )
    assert same(
        list(rows["task.created", task.id]),
        [
            "name",
            "status",
            "priority",
            "due_at",
            "related_type",
            "related_id",
            "owner_id",
            "changes",
        ],
    )


def _same_items(found: list[Any], expected: list[Any]) -> bool:
    return sorted(map(repr, found)) == sorted(map(repr, expected))
