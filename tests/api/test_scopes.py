"""nexa.api.scopes: what a route may declare and how a key's scopes meet it. The routes
themselves are tested against the written policy in tests/permissions/test_key_scopes.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from nexa.api.scopes import SESSION_ONLY, check, needs
from nexa.core.actor import Actor
from nexa.core.errors import PermissionDenied


class Route:
    def __init__(self, openapi_extra: dict[str, Any] | None) -> None:
        self.openapi_extra = openapi_extra


def _actor(*scopes: str) -> Actor:
    return Actor(user_id=uuid.uuid4(), role="admin", key_scopes=frozenset(scopes))


def _missing(actor: Actor, route: Route, **params: str) -> str | None:
    try:
        check(actor, route, lambda: params)
    except PermissionDenied as exc:
        return str(exc.extra["missing_scope"])
    return None


def test_a_declaration_names_only_scopes_a_key_can_have() -> None:
    for bad in ("lead:reed", "root", "lead:read|nope:x", "{x}"):
        with pytest.raises(ValueError):
            needs(bad)
    with pytest.raises(ValueError):
        needs()
    assert needs("lead:read", "contact:read|lead:read", "{record_type}:read", SESSION_ONLY)


def test_every_requirement_must_be_met() -> None:
    route = Route(needs("lead:read", "lead:write"))
    assert _missing(_actor("lead:read"), route) == "lead:write"
    assert _missing(_actor("lead:write"), route) == "lead:read"
    assert _missing(_actor("lead:read", "lead:write"), route) is None
    assert _missing(_actor("*"), route) is None


def test_alternatives_and_templates() -> None:
    either = Route(needs("lead:import|contact:import"))
    assert _missing(_actor("contact:import"), either) is None
    assert _missing(_actor("deal:import"), either) == "lead:import|contact:import"
    template = Route(needs("{record_type}:read"))
    assert _missing(_actor("contact:read"), template, record_type="contact") is None
    assert _missing(_actor("contact:read"), template, record_type="lead") == "lead:read"


def test_session_only_and_undeclared_refuse_every_key_but_not_a_signed_in_user() -> None:
    signed_in = Actor(user_id=uuid.uuid4(), role="admin")  # web session, CLI: no key
    for route in (Route(needs(SESSION_ONLY)), Route(None), Route({})):
        assert _missing(_actor("*"), route) == SESSION_ONLY
        assert _missing(signed_in, route) is None
