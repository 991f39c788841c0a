"""Routing pages: admin settings (saving, refusals naming the field, no access for reps),
the SLA report page and the lead page's SLA clock panel."""

from __future__ import annotations

from typing import Any

from nexa.routing import service
from tests.factories.lead import make_lead
from tests.web.conftest import form_post, sign_in

HTMX = {"HX-Request": "true"}


def settings_form(**over: Any) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [("enabled", "on")]
    for m, a, p, s in (
        (85, "top_performer", "urgent", 10),
        (55, "round_robin", "high", 45),
        (0, "sdr_queue", "normal", 300),
        ("", "round_robin", "normal", ""),
    ):
        pairs += [
            ("band_min_score", m),
            ("band_assign", a),
            ("band_priority", p),
            ("band_sla_minutes", s),
        ]
    values = {
        "nurture_below": "40",
        "warn_at_percent": "75",
        "top_performer_days": "60",
        "wh_timezone": "Europe/Berlin",
        "wh_start": "08:00",
        "wh_end": "18:00",
        "sdr_team_id": "",
    }
    values.update(over)
    pairs += list(values.items())
    pairs += [("wh_weekdays", d) for d in ("0", "1", "2", "3", "4")]
    return pairs


def test_admin_saves_the_settings(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    r = client.get("/admin/routing")
    assert r.status_code == 200 and "Score bands" in r.text
    form = settings_form()
    # a segment chosen with pickers: a name, countries from a select, a person ticked
    form += [("seg-0-name", "DACH"), ("seg-0-country", "DE"), ("seg-0-country", "AT"),
             ("seg-0-industry", "Software, Retail"), ("seg-0-company_size", "51-200"),
             ("seg-0-user_ids", str(users.rep.id)), ("seg-1-name", "")]  # fmt: skip
    form.append(("sdr_user_ids", str(users.teammate.id)))
    r = form_post(client, "/admin/routing", csrf, form)
    assert r.status_code == 303, r.text
    settings = service.load_settings(db)
    assert [(b.min_score, b.sla_minutes) for b in settings.bands] == [(85, 10), (55, 45), (0, 300)]
    assert settings.working_hours.timezone == "Europe/Berlin"
    assert settings.nurture_below == 40 and settings.sdr_queue.user_ids == [users.teammate.id]
    dach = settings.segments[0]
    assert (dach.name, dach.country, dach.industry) == (
        "DACH",
        ["DE", "AT"],
        ["Software", "Retail"],
    )
    assert dach.user_ids == [users.rep.id] and len(settings.segments) == 1
    page = client.get("/admin/routing").text
    assert "Routing settings saved" in page and "Segments (JSON)" not in page
    assert '<option value="AT" selected>Austria</option>' in page
    # removed with its tick box
    form = [*settings_form(), ("seg-0-name", "DACH"), ("seg-0-remove", "on")]
    assert form_post(client, "/admin/routing", csrf, form).status_code == 303
    assert service.load_settings(db).segments == []


def test_refused_settings_show_the_field(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    r = form_post(client, "/admin/routing", csrf, settings_form(wh_timezone="Atlantis/Capital"))
    assert r.status_code == 422
    assert "not a known time zone" in r.text
    bad = [*settings_form(), ("seg-0-name", "X"), ("seg-0-company_size", "huge")]
    r = form_post(client, "/admin/routing", csrf, bad)
    assert r.status_code == 422 and "is not a company size" in r.text
    r = form_post(client, "/admin/routing", csrf, settings_form(warn_at_percent="lots"))
    assert r.status_code == 422


def test_a_rep_cannot_open_or_change_the_settings(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.rep)
    assert client.get("/admin/routing").status_code == 403
    assert form_post(client, "/admin/routing", csrf, settings_form()).status_code == 403


def test_sla_report_page(client: Any, db: Any, users: Any) -> None:
    make_lead(db, owner_id=users.rep.id)
    make_lead(db, owner_id=users.other_rep.id)
    db.commit()
    sign_in(client, users.manager)
    r = client.get("/reports/sla", params={"days": 7})
    assert r.status_code == 200
    assert users.rep.user.full_name in r.text
    assert users.other_rep.user.full_name not in r.text


def test_lead_page_sla_panel_and_route_again(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, owner_id=users.rep.id)
    db.commit()
    csrf = sign_in(client, users.rep)
    page = client.get(f"/leads/{lead.id}")
    assert f'hx-get="/leads/{lead.id}/sla"' in page.text
    r = client.get(f"/leads/{lead.id}/sla", headers=HTMX)
    assert r.status_code == 200
    assert (
        'data-state="running"' in r.text
        or 'data-state="warning"' in r.text
        or 'data-state="breached"' in r.text
    )
    assert "Rule" in r.text
    sign_in(client, users.other_rep)
    assert client.get(f"/leads/{lead.id}/sla", headers=HTMX).status_code == 404
    csrf = sign_in(client, users.admin)
    r = form_post(client, f"/leads/{lead.id}/route", csrf, {}, headers=HTMX)
    assert r.status_code == 200
    db.expire_all()
    fresh = service.lead_for_update(db, lead.id)
    assert fresh is not None and fresh.routing_rule in ("top_performer", "round_robin", "sdr_queue")


def test_unrouted_lead_has_no_clock(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor)
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/leads/{lead.id}/sla", headers=HTMX)
    assert r.status_code == 200 and "not routed" in r.text
