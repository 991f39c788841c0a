"""The API-key scopes each /api/v1 operation needs: declared on its route, checked in one
place (``nexa.api.deps.get_actor``) before the endpoint runs, for every key.

A route declares ``openapi_extra=needs("deal:write")`` (or ``needs(SESSION_ONLY)``); every
requirement listed must be met by the key's scopes, ``"*"`` meeting any of them. A
requirement is

- a scope: ``"deal:write"`` (a permission, or one of ``SELF_SCOPES``: ``me:read`` …);
- alternatives, any one of which will do: ``"lead:import|contact:import"``, when which one
  applies depends on the body — the service then checks the one it needs against the actor's
  grants, which are already narrowed to the key's scopes;
- a template filled from a path or query parameter of the request:
  ``"{object_type}:export"`` (the parameter must be required: a request without it is
  refused by validation);
- ``SESSION_ONLY``: refused to every API key whatever its scopes. Issuing API keys is one:
  only a signed-in web session or the CLI does it.

The answer to a key without the scope is a 403 naming it (``missing_scope``). A route that
declares nothing is refused to every key, and tests/permissions/test_key_scopes.py fails on
it. The declaration shows in the OpenAPI document as ``x-required-scopes``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nexa.core.actor import Actor
from nexa.core.errors import PermissionDenied
from nexa.core.permissions import API_KEY_SCOPES

SCOPES_KEY = "x-required-scopes"
SESSION_ONLY = "session"

_KNOWN = frozenset(API_KEY_SCOPES)
_TEMPLATE = re.compile(r"\{(\w+)\}")
_TEMPLATE_SCOPE = re.compile(r"\{\w+\}:[a-z_]+")


def needs(*requirements: str) -> dict[str, Any]:
    """``openapi_extra`` for a route: the key scopes it needs (all of them)."""
    if not requirements:
        raise ValueError("name at least one scope (or SESSION_ONLY)")
    for requirement in requirements:
        if requirement == SESSION_ONLY:
            continue
        for option in requirement.split("|"):
            if option not in _KNOWN and not _TEMPLATE_SCOPE.fullmatch(option):
                raise ValueError(f"unknown API key scope {option!r}")
    return {SCOPES_KEY: list(requirements)}


def declared(route: Any) -> list[str] | None:
    """The requirements a route declares, or None."""
    extra = getattr(route, "openapi_extra", None)
    if not extra:
        return None
    value = extra.get(SCOPES_KEY)
    return list(value) if value else None


def placeholders(requirements: Iterable[str]) -> set[str]:
    return {name for r in requirements for name in _TEMPLATE.findall(r)}


def _fill(option: str, params: Mapping[str, Any]) -> str | None:
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = params.get(match.group(1))
        if found is None:
            missing = True
            return match.group(0)
        return str(found)

    filled = _TEMPLATE.sub(value, option)
    return None if missing else filled


def missing_scope(
    requirements: Iterable[str], key_scopes: frozenset[str], params: Mapping[str, Any]
) -> str | None:
    """The first requirement ``key_scopes`` does not meet, as the answer names it."""
    for requirement in requirements:
        if requirement == SESSION_ONLY:
            return SESSION_ONLY
        if "*" in key_scopes:
            continue
        options = [_fill(o, params) for o in requirement.split("|")]
        if any(o is None for o in options):
            continue  # a required parameter is missing: validation refuses the request
        if not any(o in key_scopes for o in options):
            return "|".join(o for o in options if o is not None)
    return None


@dataclass(frozen=True)
class _Parsed:
    requirements: tuple[str, ...]
    options: tuple[tuple[str, ...], ...]
    session_only: bool
    templated: bool


_UNSET = object()
_CACHE_ATTRIBUTE = "_nexa_key_scopes"


def _parsed(route: Any) -> _Parsed | None:
    """The route's declaration, parsed once and kept on the route object."""
    cached = getattr(route, _CACHE_ATTRIBUTE, _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    requirements = declared(route)
    parsed = None
    if requirements is not None:
        parsed = _Parsed(
            tuple(requirements),
            tuple(tuple(r.split("|")) for r in requirements),
            SESSION_ONLY in requirements,
            any("{" in r for r in requirements),
        )
    with contextlib.suppress(AttributeError):  # else parsed again on each request
        setattr(route, _CACHE_ATTRIBUTE, parsed)
    return parsed


def check(actor: Actor, route: Any, params: Callable[[], Mapping[str, Any]]) -> None:
    """403 unless the API key behind ``actor`` has the scopes ``route`` declares.
    ``params``: the request's path and query parameters (read only for templates)."""
    key_scopes = actor.key_scopes
    if key_scopes is None:
        return
    parsed = _parsed(route)
    if parsed is None:
        raise PermissionDenied(
            "this operation declares no API key scope, so no API key may use it",
            missing_scope=SESSION_ONLY,
        )
    if not parsed.session_only:
        if "*" in key_scopes:
            return
        if not parsed.templated and all(
            any(o in key_scopes for o in options) for options in parsed.options
        ):
            return
    missing = missing_scope(parsed.requirements, key_scopes, params() if parsed.templated else {})
    if missing is None:
        return
    if missing == SESSION_ONLY:
        raise PermissionDenied(
            "an API key cannot do this, whatever its scopes: sign in to the web UI "
            "(or use the nexa command line)",
            missing_scope=SESSION_ONLY,
        )
    what = "one of the scopes" if "|" in missing else "the scope"
    raise PermissionDenied(
        f"this API key lacks {what} '{missing}' that this operation needs",
        missing_scope=missing,
    )
