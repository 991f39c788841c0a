"""What the admin pages share: the sections and the permission each needs, the guard,
rendering with the sub-navigation, and reading posted form values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import DomainError, PermissionDenied
from nexa.web.csrf import verify_csrf
from nexa.web.forms import errors_of
from nexa.web.pages import TEMPLATES, WebActor, render

# What every admin write route depends on.
CSRF = [Depends(verify_csrf)]


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
    Section(
        "organization",
        "/admin/organization",
        "Organization",
        "settings:read",
        "Name, address and logo on quotes; quote terms and validity",
    ),
    Section("api_keys", "/admin/api-keys", "API keys", "api_key:read", "Keys for the REST API"),
    Section(
        "ai", "/admin/ai", "AI models", "settings:read", "Lead scoring models and the scorecard"
    ),
    Section(
        "routing",
        "/admin/routing",
        "Lead routing",
        "settings:read",
        "Score bands, segments, SLA clocks, working hours",
    ),
    Section(
        "webhooks",
        "/admin/webhooks",
        "Webhooks",
        "webhook:read",
        "Signed event deliveries to other systems, delivery log",
    ),
    Section(
        "email",
        "/admin/email",
        "Email",
        "settings:read",
        "SMTP server, suppression list, recent messages and their SMTP replies",
    ),
    Section(
        "sms",
        "/admin/sms",
        "Text messages",
        "settings:read",
        "SMS provider, opt-in, replies and STOP messages, recent messages",
    ),
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


@dataclass(frozen=True)
class Failure:
    """A refused form: the errors to show next to its fields and the status to answer."""

    errors: dict[str, str]
    status: int = 422


def page(
    request: Request,
    template: str,
    actor: Actor,
    session: Session,
    section: str,
    *,
    status_code: int = 200,
    failure: Failure | None = None,
    **ctx: Any,
) -> HTMLResponse:
    """An admin page: the template extends admin/layout.html (the left sub-navigation).
    With ``failure`` the page shows its errors (``errors`` in the template) and answers
    with its status."""
    if failure is not None:
        ctx["errors"] = failure.errors
        status_code = failure.status
    ctx.setdefault("errors", {})
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


Body = TypeVar("Body")
Result = TypeVar("Result")


def attempt(
    session: Session,
    parse: Callable[[], Body],
    write: Callable[[Body], Result],
    *,
    errors: Callable[[Exception], dict[str, str]] = field_errors,
) -> Result | Failure:
    """Validate the posted values (``parse``), then call the service (``write``) in a
    savepoint. A validation or domain error becomes a ``Failure`` to re-render the form
    with (``errors`` maps it to fields; permission and not-found errors go on to the
    error page)."""
    try:
        body = parse()
        with session.begin_nested():
            return write(body)
    except (ValidationError, DomainError) as exc:
        return Failure(errors(exc), status_of(exc))


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


def posted(form: Any, *names: str, flags: tuple[str, ...] = ()) -> dict[str, Any]:
    """The named text inputs (see ``text``) and checkboxes (see ``flag``) of a form."""
    return {name: text(form, name) for name in names} | {name: flag(form, name) for name in flags}


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


MAX_ROWS = 60
LAST = 10_000  # where a row without a position goes


def posted_rows(form: Any, columns: tuple[str, ...], marks: dict[str, str]) -> list[dict[str, Any]]:
    """The rows of a table posted as aligned lists (one per column), each with its index;
    ``marks`` names the checkboxes whose value is a row index ({"removed": "remove"})."""
    posted = {c: form.getlist(c) for c in columns}
    marked = {key: set(form.getlist(name)) for key, name in marks.items()}
    count = max((len(v) for v in posted.values()), default=0)
    rows = []
    for i in range(min(count, MAX_ROWS)):
        row: dict[str, Any] = {"index": i}
        for name, values in posted.items():
            value = values[i] if i < len(values) else ""
            row[name] = value.strip() if isinstance(value, str) else ""
        for key, indexes in marked.items():
            row[key] = str(i) in indexes
        rows.append(row)
    return rows


def kept_rows(
    rows: list[dict[str, Any]], filled: tuple[str, ...]
) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows to keep (not removed, one of ``filled`` given) ordered by position (then
    as posted), and the row index each came from."""
    kept = []
    for row in rows:
        if row["removed"] or not any(row[name] for name in filled):
            continue
        position = integer(row["position"])
        kept.append((position if position is not None else LAST, row["index"], row))
    kept.sort(key=lambda k: (k[0], k[1]))
    return [row for _, _, row in kept], [index for _, index, _ in kept]


def validation_messages(exc: ValidationError) -> list[tuple[list[Any], str]]:
    """(location, message) of each error, without pydantic's "Value error, " prefix."""
    return [
        (
            list(err.get("loc", ())),
            str(err.get("msg", "invalid value")).removeprefix("Value error, "),
        )
        for err in exc.errors()
    ]


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
