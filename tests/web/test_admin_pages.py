"""The admin area (/admin): every page renders for an admin; managers, reps and read-only
users get 403 on every page and every post; users, teams, roles, pipelines, custom fields,
web forms and API keys are managed through the same services as the API."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from nexa.lead import webform
from nexa.lead.schemas import WebFormCreate
from nexa.metadata import service as metadata
from nexa.metadata.schemas import CustomFieldCreate
from nexa.models import ApiKey, CustomField, Pipeline, Role, Team, User, WebForm
from nexa.user.service import create_api_key
from tests.factories.user import make_team, make_user
from tests.web.conftest import count_queries, form_post, sign_in

DEFAULT_PIPELINE = "00000000-0000-4000-8000-00000000d001"


@dataclass
class Things:
    """One record of each kind the admin pages manage, for the URLs that name one."""

    field: CustomField
    form: WebForm
    key: ApiKey
    team: Team
    user: User


@pytest.fixture
def things(db: Any, users: Any) -> Things:
    actor = users.admin.actor
    field = metadata.create_definition(
        db,
        actor,
        CustomFieldCreate(
            object_type="lead", key="budget_band", label="Budget band", field_type="text"
        ),
    )
    form = webform.create_form(
        db,
        actor,
        WebFormCreate.model_validate(
            {
                "name": "Contact us",
                "slug": "contact-us",
                "fields": [
                    {"key": "last_name", "label": "Last name", "required": True},
                    {"key": "email", "label": "Email", "type": "email"},
                ],
            }
        ),
    )
    key, _ = create_api_key(db, actor, user_id=users.admin.id, name="Existing", scopes=["*"])
    team = db.get(Team, users.rep.user.team_id)
    db.commit()
    return Things(field=field, form=form, key=key, team=team, user=users.rep.user)


def page_urls(t: Things) -> list[str]:
    return [
        "/admin",
        "/admin/users",
        f"/admin/users/{t.user.id}",
        "/admin/teams",
        f"/admin/teams/{t.team.id}",
        "/admin/roles",
        "/admin/roles/manager",
        "/admin/pipelines",
        f"/admin/pipelines/{DEFAULT_PIPELINE}",
        "/admin/custom-fields",
        "/admin/custom-fields?object_type=deal",
        f"/admin/custom-fields/{t.field.id}",
        "/admin/web-forms",
        "/admin/web-forms/new",
        f"/admin/web-forms/{t.form.id}",
        "/admin/api-keys",
        "/admin/organization",
    ]


def post_urls(t: Things) -> list[str]:
    return [
        "/admin/users/new",
        f"/admin/users/{t.user.id}",
        f"/admin/users/{t.user.id}/password",
        "/admin/teams/new",
        f"/admin/teams/{t.team.id}",
        "/admin/roles/visibility",
        "/admin/roles/sales_rep",
        "/admin/pipelines/new",
        "/admin/pipelines/rates",
        f"/admin/pipelines/{DEFAULT_PIPELINE}",
        f"/admin/pipelines/{DEFAULT_PIPELINE}/stages",
        "/admin/custom-fields/new",
        f"/admin/custom-fields/{t.field.id}",
        f"/admin/custom-fields/{t.field.id}/archive",
        "/admin/web-forms/new",
        "/admin/web-forms/sources",
        "/admin/web-forms/settings",
        f"/admin/web-forms/{t.form.id}",
        f"/admin/web-forms/{t.form.id}/delete",
        "/admin/api-keys/new",
        "/admin/organization",
        "/admin/organization/logo",
        "/admin/organization/logo/delete",
        f"/admin/api-keys/{t.key.id}/revoke",
    ]


# ---- access ------------------------------------------------------------------------------


def test_every_admin_page_renders_for_an_admin(client: Any, users: Any, things: Things) -> None:
    sign_in(client, users.admin)
    for url in page_urls(things):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:400])
        assert "<h1>" in r.text
        assert 'aria-label="Admin sections"' in r.text
        assert "<script>" not in r.text  # no inline script (CSP script-src 'self')


@pytest.mark.parametrize("role", ["manager", "rep", "read_only", "support", "marketer"])
def test_non_admins_get_403_on_every_admin_page_and_post(
    client: Any, db: Any, users: Any, things: Things, role: str
) -> None:
    csrf = sign_in(client, getattr(users, role))
    for url in page_urls(things):
        r = client.get(url)
        assert r.status_code == 403, (role, url, r.status_code)
    for url in post_urls(things):
        r = form_post(client, url, csrf, {"name": "Hacked", "role": "admin", "archived": "true"})
        assert r.status_code == 403, (role, url, r.status_code)
    # nothing changed
    db.expire_all()
    assert db.get(User, things.user.id).role == "sales_rep"
    assert db.get(ApiKey, things.key.id).revoked_at is None
    assert db.get(CustomField, things.field.id).archived is False
    assert db.get(WebForm, things.form.id) is not None


def test_the_admin_link_and_area_are_for_admins_only(client: Any, users: Any) -> None:
    sign_in(client, users.manager)
    assert 'href="/admin"' not in client.get("/").text
    sign_in(client, users.admin)
    assert 'href="/admin"' in client.get("/").text


# ---- users -------------------------------------------------------------------------------


def test_create_a_user_then_change_role_team_activity_and_password(
    client: Any, db: Any, users: Any, things: Things
) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(
        client,
        "/admin/users/new",
        csrf,
        {
            "full_name": "Ada Lovelace",
            "email": "Ada@Example.com",
            "role": "marketer",
            "team_id": "",
            "password": "analytical-engine-1843",
            "timezone": "Europe/London",
        },
    )
    assert r.status_code == 303, r.text[:500]
    user = db.scalars(select(User).where(User.email == "ada@example.com")).one()
    assert (user.role, user.timezone, user.team_id) == ("marketer", "Europe/London", None)
    assert user.password_hash
    listing = client.get("/admin/users").text
    assert "Ada Lovelace" in listing and "ada@example.com" in listing

    r = form_post(
        client,
        f"/admin/users/{user.id}",
        csrf,
        {
            "version": str(user.version),
            "full_name": "Ada King",
            "role": "manager",
            "team_id": str(things.team.id),
            "is_active": ["false", "true"],
            "timezone": "UTC",
        },
    )
    assert r.status_code == 303, r.text[:500]
    db.refresh(user)
    assert (user.full_name, user.role, user.team_id) == ("Ada King", "manager", things.team.id)

    r = form_post(
        client,
        f"/admin/users/{user.id}",
        csrf,
        {"version": str(user.version), "full_name": "Ada King", "role": "manager",
         "team_id": str(things.team.id), "is_active": "false", "timezone": "UTC"},
    )  # fmt: skip
    assert r.status_code == 303
    db.refresh(user)
    assert user.is_active is False
    assert "Deactivated" in client.get("/admin/users?active=false").text

    old_hash = user.password_hash
    short = form_post(client, f"/admin/users/{user.id}/password", csrf, {"password": "short"})
    assert short.status_code == 422
    assert 'id="f-password-error"' in short.text
    r = form_post(
        client, f"/admin/users/{user.id}/password", csrf, {"password": "a-brand-new-secret"}
    )
    assert r.status_code == 303
    db.refresh(user)
    assert user.password_hash != old_hash


def test_the_last_admin_cannot_demote_themselves(client: Any, db: Any, users: Any) -> None:
    admin = users.admin.user
    csrf = sign_in(client, users.admin)
    r = form_post(
        client,
        f"/admin/users/{admin.id}",
        csrf,
        {"version": str(admin.version), "full_name": admin.full_name, "role": "sales_rep",
         "is_active": "true", "timezone": "UTC"},
    )  # fmt: skip
    assert r.status_code == 409
    assert 'id="f-role-error"' in r.text
    db.refresh(admin)
    assert admin.role == "admin"


def test_users_page_issues_the_same_queries_for_1_and_20_users(client: Any, db: Any) -> None:
    admin = make_user(db, "admin")
    db.commit()
    sign_in(client, admin)

    def measure() -> int:
        client.get("/admin/users")  # warm the caches the same way both times
        with count_queries() as statements:
            r = client.get("/admin/users")
        assert r.status_code == 200
        return len(statements)

    with_one = measure()
    teams = [make_team(db) for _ in range(4)]
    for i in range(19):
        make_user(db, "sales_rep", teams[i % 4])
    db.commit()
    assert measure() == with_one


# ---- teams -------------------------------------------------------------------------------


def test_create_a_team_below_another_with_a_manager(
    client: Any, db: Any, users: Any, things: Things
) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(
        client,
        "/admin/teams/new",
        csrf,
        {"name": "North", "parent_id": str(things.team.id), "manager_id": str(users.manager.id)},
    )
    assert r.status_code == 303, r.text[:500]
    team = db.scalars(select(Team).where(Team.name == "North")).one()
    assert (team.parent_id, team.manager_id) == (things.team.id, users.manager.id)
    tree = client.get("/admin/teams").text
    parent_at = tree.index(f'href="/admin/teams/{things.team.id}"')
    child_at = tree.index(f'href="/admin/teams/{team.id}"')
    assert parent_at < child_at
    assert "managed by " + users.manager.user.full_name in tree

    cycle = form_post(
        client,
        f"/admin/teams/{things.team.id}",
        csrf,
        {"name": things.team.name, "parent_id": str(team.id), "version": str(things.team.version)},
    )
    assert cycle.status_code == 422
    assert 'id="f-parent_id-error"' in cycle.text

    twin = form_post(client, "/admin/teams/new", csrf, {"name": "north"})
    assert twin.status_code == 409
    assert 'id="f-name-error"' in twin.text


# ---- roles -------------------------------------------------------------------------------


def test_change_a_roles_grants_and_org_visibility(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    page = client.get("/admin/roles/marketer").text
    assert 'name="g:deal:export"' in page
    role = db.get(Role, "marketer")
    body = [(f"g:{p}", s) for p, s in role.grants.items()] + [("g:deal:export", "team")]
    body.append(("version", str(role.version)))
    r = form_post(client, "/admin/roles/marketer", csrf, body)
    assert r.status_code == 303, r.text[:500]
    db.refresh(role)
    assert role.grants["deal:export"] == "team"

    admin_role = db.get(Role, "admin")
    body = [(f"g:{p}", s) for p, s in admin_role.grants.items() if p != "user:write"]
    r = form_post(client, "/admin/roles/admin", csrf, body)
    assert r.status_code == 409
    assert 'id="g-user-write-error"' in r.text

    values = {"lead": "public_read", "contact": "private", "deal": "public_read_write"}
    r = form_post(client, "/admin/roles/visibility", csrf, values)
    assert r.status_code == 303, r.text[:500]
    page = client.get("/admin/roles").text
    assert re.search(r'name="deal"[^>]*>.*?<option value="public_read_write" selected', page, re.S)


# ---- pipelines and exchange rates --------------------------------------------------------


def stage_rows(rows: list[tuple[str, str, str, str, str]]) -> list[tuple[str, str]]:
    body = []
    for position, key, name, probability, kind in rows:
        body += [
            ("position", position),
            ("key", key),
            ("name", name),
            ("probability", probability),
            ("kind", kind),
            ("stall_after_days", ""),
        ]
    return body


def test_create_a_pipeline_then_add_remove_and_reorder_stages(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(client, "/admin/pipelines/new", csrf, {"name": "Renewals"})
    assert r.status_code == 303, r.text[:500]
    pipeline = db.scalars(select(Pipeline).where(Pipeline.name == "Renewals")).one()
    assert r.headers["location"] == f"/admin/pipelines/{pipeline.id}"
    edit = client.get(r.headers["location"]).text
    assert 'value="prospecting"' in edit and 'value="closed_lost"' in edit

    body = stage_rows(
        [
            ("2", "review", "Review", "40", "open"),
            ("1", "notice", "Renewal notice", "20", "open"),
            ("3", "renewed", "Renewed", "100", "won"),
            ("4", "churned", "Churned", "0", "lost"),
            ("", "", "", "", "open"),  # a blank row adds nothing
        ]
    )
    r = form_post(client, f"/admin/pipelines/{pipeline.id}/stages", csrf, body)
    assert r.status_code == 303, r.text[:800]
    listing = client.get("/admin/pipelines").text
    section = listing[listing.index(f'data-pipeline-id="{pipeline.id}"') :]
    order = [section.index(n) for n in ("Renewal notice", "Review", "Renewed", "Churned")]
    assert order == sorted(order)

    # a removed row is left out (refused stage lists: test_a_refused_form_...)
    rows = [
        ("1", "notice", "Renewal notice", "20", "open"),
        ("2", "review", "Review", "40", "open"),
        ("3", "renewed", "Renewed", "100", "won"),
        ("4", "churned", "Churned", "0", "lost"),
    ]
    body = [*stage_rows(rows), ("remove", "1")]
    r = form_post(client, f"/admin/pipelines/{pipeline.id}/stages", csrf, body)
    assert r.status_code == 303, r.text[:800]
    edit = client.get(f"/admin/pipelines/{pipeline.id}").text
    assert 'value="review"' not in edit and 'value="notice"' in edit


def test_set_an_exchange_rate(client: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(client, "/admin/pipelines/rates", csrf, {"currency": "EUR", "rate": "1.08"})
    assert r.status_code == 303, r.text[:500]
    assert "1.08" in client.get("/admin/pipelines").text


# ---- custom fields -----------------------------------------------------------------------


def test_a_new_custom_field_appears_on_the_lead_form_until_archived(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(
        client,
        "/admin/custom-fields/new",
        csrf,
        {
            "object_type": "lead",
            "key": "preferred_channel",
            "label": "Preferred channel",
            "field_type": "select",
            "options": "Email\nPhone\r\nLinkedIn, InMail\n",
            "required": ["false"],
            "position": "3",
        },
    )
    assert r.status_code == 303, r.text[:500]
    field = db.scalars(select(CustomField).where(CustomField.key == "preferred_channel")).one()
    assert field.options == ["Email", "Phone", "LinkedIn, InMail"]
    assert 'name="custom.preferred_channel"' in client.get("/leads/new").text
    assert "custom.preferred_channel" in client.get("/admin/custom-fields?object_type=lead").text

    r = form_post(
        client,
        f"/admin/custom-fields/{field.id}",
        csrf,
        {"label": "Channel", "options": "Email\nPhone", "position": "1", "required": "false"},
    )
    assert r.status_code == 303, r.text[:500]
    db.refresh(field)
    assert (field.label, field.options, field.position) == ("Channel", ["Email", "Phone"], 1)

    r = form_post(client, f"/admin/custom-fields/{field.id}/archive", csrf, {"archived": "true"})
    assert r.status_code == 303
    assert 'name="custom.preferred_channel"' not in client.get("/leads/new").text
    r = form_post(client, f"/admin/custom-fields/{field.id}/archive", csrf, {"archived": "false"})
    assert 'name="custom.preferred_channel"' in client.get("/leads/new").text


# ---- web forms and lead sources ----------------------------------------------------------


def field_rows(rows: list[tuple[str, str, str, str, bool]]) -> list[tuple[str, str]]:
    body: list[tuple[str, str]] = []
    for i, (key, label, kind, options, required) in enumerate(rows):
        body += [
            ("position", str(i + 1)),
            ("key", key),
            ("label", label),
            ("type", kind),
            ("options", options),
        ]
        if required:
            body.append(("required", str(i)))
    return body


def test_create_a_web_form_shows_its_public_url_and_an_escaped_embed_snippet(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    settings = [
        ("name", 'Demo "<b>request</b>'),
        ("slug", "demo-request"),
        ("source", "website"),
        ("assign_to_id", str(users.rep.id)),
        ("active", "false"),
        ("active", "true"),
    ]
    rows = field_rows(
        [
            ("last_name", "Last name", "text", "", True),
            ("email", "Work email", "email", "", True),
            ("company_size", "Size", "select", "1-10, 11-50, 51+", False),
            ("", "", "text", "", False),
        ]
    )
    r = form_post(client, "/admin/web-forms/new", csrf, settings + rows)
    assert r.status_code == 303, r.text[:800]
    form = db.scalars(select(WebForm).where(WebForm.slug == "demo-request")).one()
    assert [f["key"] for f in form.fields] == ["last_name", "email", "company_size"]
    assert form.fields[2]["options"] == ["1-10", "11-50", "51+"]
    assert form.assign_to_id == users.rep.id

    page = client.get(f"/admin/web-forms/{form.id}").text
    assert "http://testserver/forms/demo-request" in page
    assert "&lt;iframe src=&#34;http://testserver/forms/demo-request&#34;" in page
    assert "<iframe" not in page and "<b>request" not in page
    assert "&amp;lt;b&amp;gt;" in page  # the name inside the snippet is escaped twice
    assert client.get("/forms/demo-request").status_code == 200
    assert "demo-request" in client.get("/admin/web-forms").text


def test_edit_and_delete_a_web_form_and_add_a_lead_source(
    client: Any, db: Any, users: Any, things: Things
) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(
        client,
        "/admin/web-forms/sources",
        csrf,
        {"source_key": "podcast", "source_label": "Podcast"},
    )
    assert r.status_code == 303, r.text[:500]
    assert "Podcast" in client.get("/admin/web-forms").text
    bad = form_post(
        client, "/admin/web-forms/sources", csrf, {"source_key": "X", "source_label": "Bad"}
    )
    assert bad.status_code == 422
    assert 'id="f-source_key-error"' in bad.text

    r = form_post(client, "/admin/web-forms/settings", csrf, {"redirect_hosts": "example.com"})
    assert r.status_code == 303
    form = things.form
    settings = [
        ("version", str(form.version)),
        ("name", "Contact us"),
        ("slug", "contact-us"),
        ("source", "podcast"),
        ("redirect_url", "https://example.com/thanks"),
        ("honeypot_field", "website_url"),
        ("rate_limit_per_hour", "5"),
        ("active", "false"),
    ]
    rows = field_rows(
        [("email", "Email", "email", "", False), ("last_name", "Surname", "text", "", True)]
    )
    r = form_post(client, f"/admin/web-forms/{form.id}", csrf, settings + rows)
    assert r.status_code == 303, r.text[:800]
    db.refresh(form)
    assert (form.source, form.active, form.rate_limit_per_hour) == ("podcast", False, 5)
    assert form.redirect_url == "https://example.com/thanks"
    assert form.fields[1]["label"] == "Surname"

    elsewhere = [(k, v) for k, v in settings if k not in ("version", "redirect_url")]
    elsewhere += [("redirect_url", "https://evil.example.net/")]
    r = form_post(client, f"/admin/web-forms/{form.id}", csrf, elsewhere + rows)
    assert r.status_code == 422
    assert 'id="f-redirect_url-error"' in r.text

    r = form_post(client, f"/admin/web-forms/{form.id}/delete", csrf, {})
    assert r.status_code == 303
    assert db.get(WebForm, form.id) is None


# ---- API keys ----------------------------------------------------------------------------


def test_an_api_key_token_is_shown_once_then_only_its_prefix_and_it_can_be_revoked(
    client: Any, db: Any, users: Any
) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(
        client,
        "/admin/api-keys/new",
        csrf,
        {"name": "Zapier", "user_id": str(users.marketer.id), "scopes": "lead:read, lead:create"},
    )
    assert r.status_code == 201, r.text[:500]
    assert r.headers["cache-control"] == "no-store"
    token = re.search(r'<code id="new-token">([^<]+)</code>', r.text).group(1)  # type: ignore[union-attr]
    key = db.scalars(select(ApiKey).where(ApiKey.name == "Zapier")).one()
    assert token.startswith(key.prefix) and key.scopes == ["lead:read", "lead:create"]
    assert key.user_id == users.marketer.id

    listing = client.get("/admin/api-keys").text
    assert token not in listing
    assert (
        f"{key.prefix}…" in listing
        and "<code>lead:read</code>, <code>lead:create</code>" in listing
    )

    api = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/leads", headers=api).status_code == 200
    r = form_post(client, f"/admin/api-keys/{key.id}/revoke", csrf, {})
    assert r.status_code == 303
    db.refresh(key)
    assert key.revoked_at is not None
    assert "revoked" in client.get("/admin/api-keys").text
    assert client.get("/api/v1/leads", headers=api).status_code == 401


# ---- refused forms: the page comes back with the error on its field ---------------------

WEB_FORM = [("name", "Broken"), ("slug", "broken-form"), ("source", "website")]
NEW_FIELD = {"object_type": "deal", "label": "Thing", "field_type": "text"}
STAGES = f"/admin/pipelines/{DEFAULT_PIPELINE}/stages"


@dataclass
class Refused:
    url: str
    body: Any  # a dict or (name, value) pairs; a callable of `users` for values that need one
    status: int
    shown: tuple[str, ...]
    absent: tuple[str, ...] = ()


REFUSED = {
    "user-bad-email": Refused(
        "/admin/users/new",
        {"full_name": "No Mail", "email": "not-an-email", "role": "sales_rep"},
        422,
        ('id="f-email-error"', 'aria-invalid="true"', 'value="No Mail"'),  # what was typed is kept
    ),
    "user-email-taken": Refused(
        "/admin/users/new",
        lambda users: {
            "full_name": "Twin",
            "email": users.rep.user.email.upper(),
            "role": "sales_rep",
        },
        409,
        ('id="f-email-error"',),
    ),
    "stages-two-won": Refused(
        STAGES,
        stage_rows(
            [
                ("1", "notice", "Renewal notice", "20", "open"),
                ("2", "review", "Review", "40", "won"),
                ("3", "renewed", "Renewed", "100", "won"),
                ("4", "churned", "Churned", "0", "lost"),
            ]
        ),
        422,
        ('id="stages-error"', "exactly one won"),
    ),
    "stages-bad-probability": Refused(
        STAGES,
        stage_rows(
            [
                ("1", "notice", "Renewal notice", "20", "open"),
                ("2", "review", "Review", "150", "open"),
                ("3", "renewed", "Renewed", "100", "won"),
                ("4", "churned", "Churned", "0", "lost"),
            ]
        ),
        422,
        ('id="stage-1-probability-error"',),  # on the row that was posted second
    ),
    "rate-negative": Refused(
        "/admin/pipelines/rates", {"currency": "EUR", "rate": "-1"}, 422, ('id="rate-rate-error"',)
    ),
    "rate-bad-currency": Refused(
        "/admin/pipelines/rates",
        {"currency": "E1", "rate": "2"},
        422,
        ('id="rate-currency-error"',),
    ),
    "field-bad-key": Refused(
        "/admin/custom-fields/new", NEW_FIELD | {"key": "Bad Key"}, 422, ('id="f-key-error"',)
    ),
    "field-select-without-options": Refused(
        "/admin/custom-fields/new",
        NEW_FIELD | {"key": "tier", "field_type": "select"},
        422,
        ('id="f-options-error"',),
    ),
    "web-form-select-without-options": Refused(
        "/admin/web-forms/new",
        WEB_FORM
        + field_rows(
            [
                ("email", "Email", "email", "", True),
                ("last_name", "Last name", "select", "", True),  # a select needs options
            ]
        ),
        422,
        ('id="field-1-options-error"',),
    ),
    "web-form-without-last-name": Refused(
        "/admin/web-forms/new",
        WEB_FORM + field_rows([("email", "Email", "email", "", True)]),
        422,
        ('id="fields-error"', "last_name"),
    ),
    "web-form-bad-slug": Refused(
        "/admin/web-forms/new",
        [
            ("name", "Bad slug"),
            ("slug", "Not A Slug"),
            ("source", "website"),
            *field_rows([("last_name", "Last name", "text", "", True)]),
        ],
        422,
        ('id="f-slug-error"',),
    ),
    "api-key-bad-scope": Refused(
        "/admin/api-keys/new",
        lambda users: {"name": "Bad", "user_id": str(users.admin.id), "scopes": "lead:fly"},
        422,
        ('id="f-scopes-error"',),
        absent=("new-token",),
    ),
    "api-key-without-name": Refused(
        "/admin/api-keys/new",
        {"name": "", "user_id": str(uuid.uuid4()), "scopes": "*"},
        422,
        ('id="f-name-error"',),
    ),
    "api-key-expired": Refused(
        "/admin/api-keys/new",
        lambda users: {
            "name": "Past",
            "user_id": str(users.admin.id),
            "scopes": "*",
            "expires_at": "2001-01-01",
        },
        422,
        ('id="f-expires_at-error"',),
    ),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_form_shows_the_error_on_its_field(
    client: Any, users: Any, case: Refused
) -> None:
    csrf = sign_in(client, users.admin)
    body = case.body(users) if callable(case.body) else case.body
    r = form_post(client, case.url, csrf, body)
    assert r.status_code == case.status, r.text[:800]
    for text in case.shown:
        assert text in r.text
    for text in case.absent:
        assert text not in r.text


def test_the_organization_page_sets_the_seller_and_its_logo(client: Any, users: Any) -> None:
    """Issue 18 point 11: an admin sets the name, address, terms and logo quotes print; a
    file that is not an image is refused on the page, naming the logo."""
    from tests.permissions.subjects.platform import png

    csrf = sign_in(client, users.admin)
    r = form_post(client, "/admin/organization", csrf, {
        "name": "Contoso Ltd", "address": "1 Way\nSeattle", "quote_terms": "Net 15",
        "quote_valid_days": "20"})  # fmt: skip
    assert r.status_code == 303, r.text
    page = client.get("/admin/organization").text
    assert "Contoso Ltd" in page and "Net 15" in page and "No logo yet." in page
    bad = form_post(client, "/admin/organization", csrf, {"name": "", "quote_valid_days": "0"})
    assert bad.status_code == 422 and 'id="f-name-error"' in bad.text
    assert 'id="f-quote_valid_days-error"' in bad.text

    def upload(data: bytes, name: str) -> Any:
        files = {"logo": (name, data, "image/png")}
        url = "/admin/organization/logo"
        return client.post(url, data={"csrf_token": csrf}, files=files, follow_redirects=False)

    refused = upload(b"MZ not an image", "logo.png")
    assert refused.status_code == 422 and "PNG or JPEG" in refused.text
    assert upload(png(60, 20), "logo.png").status_code == 303
    assert '<img class="org-logo"' in client.get("/admin/organization").text
    image = client.get("/admin/organization/logo")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
