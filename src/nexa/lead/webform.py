"""Web-to-lead: the forms admins define, and what happens when the public submits one.

A submission is checked in this order: rate limit per client (429), honeypot (pretend
success, store a "spam" submission, create nothing), field rules (422 naming the field),
then an existing live lead with the same email gets the submission instead of a twin;
otherwise a lead is created as the system, owned by the form's assignee.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import SYSTEM, Actor
from nexa.core.db import utcnow
from nexa.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    ValidationFailed,
)
from nexa.core.events import publish
from nexa.core.fields import normalise_email, normalise_phone
from nexa.core.records import apply_changes, check_version
from nexa.lead.events import LeadFormSubmitted
from nexa.lead.repository import (
    LeadRepository,
    submissions_since,
    web_form_id_with_slug,
    web_form_with_slug,
    web_forms,
)
from nexa.lead.schemas import (
    FormField,
    LeadCreate,
    WebFormCreate,
    WebFormSettings,
    WebFormUpdate,
    full_name,
)
from nexa.lead.service import LeadService, require_source
from nexa.metadata import service as metadata
from nexa.models import Lead, OrgSetting, User, WebForm, WebFormSubmission
from nexa.models.org_setting import put_setting

REDIRECT_HOSTS = "web_forms.redirect_hosts"
LEAD_FORM_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "company_size",
    "website",
    "country",
    "description",
)
MAX_LENGTH = {"textarea": 5000}
DEFAULT_MAX_LENGTH = 500


# ---- admin -------------------------------------------------------------------------------


def _require_admin(actor: Actor, action: str) -> None:
    if not actor.can(f"settings:{action}"):
        raise PermissionDenied("only admins manage web forms")


def redirect_hosts(session: Session) -> list[str]:
    row = session.get(OrgSetting, REDIRECT_HOSTS)
    value = row.value if row is not None else None
    return [str(h) for h in value] if isinstance(value, list) else []


def get_settings_for(session: Session, actor: Actor) -> list[str]:
    _require_admin(actor, "read")
    return redirect_hosts(session)


def put_settings(session: Session, actor: Actor, data: WebFormSettings) -> list[str]:
    _require_admin(actor, "write")
    hosts = list(dict.fromkeys(data.redirect_hosts))
    put_setting(session, REDIRECT_HOSTS, hosts)
    return hosts


def redirect_allowed(url: str, hosts: list[str]) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    with_port = f"{host}:{parts.port}" if parts.port else host
    return host in hosts or with_port in hosts


def list_forms(session: Session, actor: Actor) -> list[WebForm]:
    _require_admin(actor, "read")
    return web_forms(session)


def get_form(session: Session, actor: Actor, form_id: uuid.UUID) -> WebForm:
    _require_admin(actor, "read")
    form = session.get(WebForm, form_id)
    if form is None:
        raise NotFound(f"web form {form_id} not found")
    return form


def _check_fields(session: Session, fields: list[FormField], honeypot: str) -> None:
    custom_keys = {d.key for d in metadata.definitions(session, "lead")}
    seen: set[str] = set()
    for i, f in enumerate(fields):
        where = f"fields.{i}.key"
        if f.key in seen:
            raise ValidationFailed(f"the form asks {f.key} twice", field=where)
        seen.add(f.key)
        if f.key.startswith("custom."):
            if f.key.removeprefix("custom.") not in custom_keys:
                raise ValidationFailed(f"no custom lead field '{f.key[7:]}'", field=where)
        elif f.key not in LEAD_FORM_FIELDS:
            raise ValidationFailed(
                f"'{f.key}' is not a lead field a form can ask; use one of "
                f"{', '.join(LEAD_FORM_FIELDS)} or custom.<key>",
                field=where,
            )
        if f.key == honeypot:
            raise ValidationFailed("the honeypot cannot be a real field", field="honeypot_field")
    last = next((f for f in fields if f.key == "last_name"), None)
    if last is None or not last.required:
        raise ValidationFailed("a form must ask for last_name, as a required field", field="fields")


def _check_values(session: Session, values: dict[str, Any]) -> None:
    if values.get("source"):
        require_source(session, values["source"])
    if values.get("assign_to_id"):
        user = session.get(User, values["assign_to_id"])
        if user is None or not user.is_active:
            raise ValidationFailed("no active user with this id", field="assign_to_id")
    url = values.get("redirect_url")
    if url and not redirect_allowed(url, redirect_hosts(session)):
        raise ValidationFailed(
            "redirect to http(s) on a host listed in the web form settings (redirect_hosts)",
            field="redirect_url",
        )


def _slug_taken(session: Session, slug: str, exclude: uuid.UUID | None) -> None:
    if web_form_id_with_slug(session, slug, exclude) is not None:
        raise Conflict(f"a web form with slug {slug} already exists", field="slug")


def create_form(session: Session, actor: Actor, data: WebFormCreate) -> WebForm:
    _require_admin(actor, "write")
    values = data.model_dump(exclude_unset=False)
    values["fields"] = [f.model_dump(exclude_none=True) for f in data.fields]
    values["honeypot_field"] = values.get("honeypot_field") or "website_url"
    values["rate_limit_per_hour"] = values.get("rate_limit_per_hour") or 20
    values["active"] = True if values.get("active") is None else values["active"]
    _check_fields(session, data.fields, values["honeypot_field"])
    _check_values(session, values)
    _slug_taken(session, data.slug, None)
    form = WebForm(id=uuid.uuid4(), submission_count=0, **values)
    session.add(form)
    session.flush()
    return form


def update_form(
    session: Session,
    actor: Actor,
    form_id: uuid.UUID,
    data: WebFormUpdate,
    *,
    if_match: int | None = None,
) -> WebForm:
    _require_admin(actor, "write")
    form = get_form(session, actor, form_id)
    check_version(form, if_match)
    values = data.model_dump(exclude_unset=True)
    for name in ("name", "slug", "fields", "source", "honeypot_field", "rate_limit_per_hour"):
        if name in values and values[name] is None:
            raise ValidationFailed(f"{name} cannot be empty", field=name)
    if "active" in values and values["active"] is None:
        raise ValidationFailed("active cannot be empty", field="active")
    if data.fields is not None:
        values["fields"] = [f.model_dump(exclude_none=True) for f in data.fields]
    fields = data.fields or [FormField.model_validate(f) for f in form.fields]
    _check_fields(session, fields, values.get("honeypot_field") or form.honeypot_field)
    changed = {k: v for k, v in values.items() if getattr(form, k) != v}
    _check_values(session, changed)
    if "slug" in changed:
        _slug_taken(session, changed["slug"], form.id)
    if apply_changes(form, values):
        session.flush()
    return form


def delete_form(
    session: Session, actor: Actor, form_id: uuid.UUID, *, if_match: int | None = None
) -> None:
    _require_admin(actor, "write")
    form = get_form(session, actor, form_id)
    check_version(form, if_match)
    session.delete(form)
    session.flush()


# ---- the public side -----------------------------------------------------------------------


def public_form(session: Session, slug: str) -> WebForm:
    form = web_form_with_slug(session, slug[:80])
    if form is None or not form.active:
        raise NotFound("no such form")
    return form


def client_hash(client_ip: str, form_id: uuid.UUID) -> str:
    return hashlib.sha256(f"{client_ip}|{form_id}".encode()).hexdigest()


@dataclass
class SubmissionResult:
    outcome: str  # accepted / existing / spam
    lead_id: uuid.UUID | None
    redirect_to: str | None
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)


def _check_rate(session: Session, form: WebForm, digest: str) -> None:
    now = utcnow()
    since = now - timedelta(hours=1)
    count, oldest = submissions_since(session, form.id, digest, since)
    if count >= form.rate_limit_per_hour:
        wait = 60
        if oldest is not None:
            wait = max(1, int((oldest + timedelta(hours=1) - now).total_seconds()) + 1)
        raise TooManyRequests(
            "too many submissions from your address; try again later", retry_after=wait
        )


def _clean(form: WebForm, data: dict[str, Any]) -> dict[str, Any]:
    """The form's values from ``data``: required, type, length and choice rules."""
    errors: list[dict[str, Any]] = []
    cleaned: dict[str, Any] = {}
    for spec in form.fields:
        key, kind = spec["key"], spec.get("type", "text")
        raw = data.get(key)
        if isinstance(raw, list):
            raw = raw[0] if raw else None
        if raw is not None and not isinstance(raw, str | int | float):
            errors.append({"field": key, "message": "must be text"})
            continue
        value = str(raw).strip() if raw is not None else ""
        if not value:
            if spec.get("required"):
                errors.append({"field": key, "message": f"{spec['label']} is required"})
            continue
        limit = MAX_LENGTH.get(kind, DEFAULT_MAX_LENGTH)
        if len(value) > limit:
            errors.append({"field": key, "message": f"at most {limit} characters"})
            continue
        try:
            if kind == "email" or key == "email":
                value = normalise_email(value)
            elif kind == "tel" or key == "phone":
                value = normalise_phone(value, get_settings().default_region)
        except ValueError as exc:
            errors.append({"field": key, "message": str(exc)})
            continue
        if kind == "select" and value not in (spec.get("options") or []):
            errors.append({"field": key, "message": "choose one of the options"})
            continue
        cleaned[key] = value
    if errors:
        raise ValidationFailed(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
    return cleaned


def _lead_input(form: WebForm, cleaned: dict[str, Any]) -> LeadCreate:
    body: dict[str, Any] = {"source": form.source, "allow_duplicates": True}
    custom: dict[str, Any] = {}
    for key, value in cleaned.items():
        if key.startswith("custom."):
            custom[key[7:]] = value
        else:
            body[key] = value
    if custom:
        body["custom_fields"] = custom
    if form.assign_to_id is not None:
        body["owner_id"] = form.assign_to_id
    try:
        return LeadCreate.model_validate(body)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())) or "form",
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        raise ValidationFailed(
            f"{errors[0]['field']}: {errors[0]['message']}", errors=errors
        ) from None


def submit(
    session: Session, slug: str, data: dict[str, Any], *, client_ip: str
) -> SubmissionResult:
    """Handle one public submission (see the module docstring for the order of checks)."""
    form = public_form(session, slug)
    digest = client_hash(client_ip, form.id)
    _check_rate(session, form, digest)
    now = utcnow()
    hosts = redirect_hosts(session)
    redirect_to = (
        form.redirect_url
        if form.redirect_url and redirect_allowed(form.redirect_url, hosts)
        else None
    )
    message = form.success_message or "Thank you! We will be in touch soon."
    kept = {k: str(v)[:500] for k, v in list(data.items())[:60] if isinstance(v, str | int | float)}

    if str(data.get(form.honeypot_field) or "").strip():
        session.add(
            WebFormSubmission(
                id=uuid.uuid4(),
                form_id=form.id,
                created_at=now,
                client_hash=digest,
                outcome="spam",
                data=kept,
            )
        )
        session.flush()
        return SubmissionResult("spam", None, redirect_to, message)

    cleaned = _clean(form, data)
    lead_input = _lead_input(form, cleaned)
    actor = SYSTEM
    existing = (
        LeadRepository(session).live_with_email(lead_input.email) if lead_input.email else None
    )
    if existing is not None:
        lead: Lead = existing
        outcome = "existing"
    else:
        lead = LeadService(session, actor).create(lead_input, web_form_id=form.id)
        outcome = "accepted"
    session.add(
        WebFormSubmission(
            id=uuid.uuid4(),
            form_id=form.id,
            created_at=now,
            client_hash=digest,
            outcome=outcome,
            lead_id=lead.id,
            data={k: v for k, v in cleaned.items()},
        )
    )
    form.submission_count = (form.submission_count or 0) + 1
    session.flush()
    publish(
        session,
        actor,
        "lead.form_submitted",
        record_type="lead",
        record_id=lead.id,
        payload=LeadFormSubmitted(
            name=full_name(lead.first_name, lead.last_name),
            form_id=str(form.id),
            form=form.name,
            form_type=form.form_type,
            new_lead=outcome == "accepted",
        ),
    )
    return SubmissionResult(outcome, lead.id, redirect_to, message)
