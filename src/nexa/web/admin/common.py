"""What the admin pages share: the sections and the permission each needs, the guard,
rendering with the sub-navigation, and reading posted form values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import DomainError, PermissionDenied
from nexa.web.forms import errors_of
from nexa.web.pages import TEMPLATES, WebActor, render


@dataclass(frozen=True)
class Section:
    key: str
    path: str
    label: str
    # The permission the section's services check; the admin role has all of them.
    # Users and teams ask for the write permission: managers may read their own team
    # through the API, but managing people is the admin's job.
    permission: str
    summary: str


SECTIONS = (
    Section("users", "/admin/users", "Users", "user:write", "People who sign in, roles, teams"),
    Section("teams", "/admin/teams", "Teams", "team:write", "The team tree and its managers"),
    Section("roles", "/admin/roles", "Roles", "role:read", "Grants per role and visibility"),
    Section(
        "pipelines",
        "/admin/pipelines",
        "Pipelines",
        "settings:read",
        "Deal pipelines, stages, exchange rates",
    ),
    Section(
        "custom_fields",
        "/admin/custom-fields",
        "Custom fields",
        "custom_field:read",
        "Typed fields per object",
    ),
    Section(
        "web_forms", "/admin/web-forms", "Web forms", "settings:read", "Web-to-lead forms, sources"
    ),
    Section("api_keys", "/admin/api-keys", "API keys", "api_key:read", "Keys for the REST API"),
)
BY_KEY = {s.key: s for s in SECTIONS}


def visible_sections(actor: Actor) -> list[Section]:
    return [s for s in SECTIONS if actor.can(s.permission)]


def require(actor: Actor, key: str) -> None:
    """403 unless the actor holds the permission the section's services check."""
    if key == "overview":
        if not visible_sections(actor):
            raise PermissionDenied("only admins can open the admin area")
        return
    section = BY_KEY[key]
    if not actor.can(section.permission):
        raise PermissionDenied(f"only admins manage {section.label.lower()}")


def guard(key: str) -> Callable[[Actor], Actor]:
    """A dependency: the signed-in actor, if they may open this section."""

    def dependency(actor: WebActor) -> Actor:
        require(actor, key)
        return actor

    return dependency


def page(
    request: Request,
    template: str,
    actor: Actor,
    session: Session,
    section: str,
    *,
    status_code: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    """An admin page: the template extends admin/layout.html (the left sub-navigation)."""
    return render(
        request,
        template,
        actor,
        session,
        status_code=status_code,
        sections=visible_sections(actor),
        section=section,
        **ctx,
    )


def field_errors(exc: Exception) -> dict[str, str]:
    """{field: message} to show on the form; permission and not-found errors are not form
    errors and go on to the error page."""
    if isinstance(exc, DomainError) and exc.status in (401, 403, 404):
        raise exc
    return errors_of(exc)


def status_of(exc: Exception) -> int:
    return exc.status if isinstance(exc, DomainError) else 422


def text(form: Any, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def flag(form: Any, name: str) -> bool:
    """A checkbox (a hidden "false" may come first): the last value wins."""
    values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
    return bool(values) and values[-1] in ("on", "true", "1")


def integer(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def lines(value: str | None) -> list[str]:
    """One item per line (commas stay inside an item)."""
    if not value:
        return []
    return [line.strip() for line in value.splitlines() if line.strip()]


ROW_LISTS = {"stages": "Stage", "fields": "Field"}


def error_label(name: str) -> str:
    """What an error summary calls a field: "stages.2.name" is "Stage row 3: name"."""
    if name == "__all__":
        return ""
    parts = name.split(".")
    if parts[0] in ROW_LISTS and len(parts) >= 2 and parts[1].isdigit():
        rest = " ".join(parts[2:]).replace("_", " ")
        label = f"{ROW_LISTS[parts[0]]} row {int(parts[1]) + 1}"
        return f"{label}: {rest}" if rest else label
    if parts[0] == "grants" and len(parts) > 1:
        return ".".join(parts[1:])
    text = name.replace("_id", "").replace("_", " ").replace(".", " ")
    return text[:1].upper() + text[1:]


TEMPLATES.env.filters["admin_error_label"] = error_label


def done(request: Request, message: str, target: str) -> RedirectResponse:
    request.session["flash"] = message
    return RedirectResponse(target, status_code=303)
