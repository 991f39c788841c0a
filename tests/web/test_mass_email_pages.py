"""Mass email pages: a marketer makes one from the form (variants as fieldsets, A/B
settings, seed list), its page previews it for a real member, shows the numbers per variant
and the A/B result in words, and schedules it; a bad variant is refused in words on the
form; a sales rep sees the pages but neither the form nor the actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from nexa.core.repository import unscoped
from nexa.mass_email.winner import Arm, decide
from nexa.models import MassEmail
from nexa.segment import service as lists
from tests.email.conftest import SmtpServer, configure, smtp_server
from tests.factories.lead import make_lead
from tests.factories.segment import make_list
from tests.web.conftest import form_post, sign_in

__all__ = ["smtp_server"]  # the email tests' fixture: a real SMTP server


def _form(lst: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Winter offer",
        "list_id": str(lst.id),
        "subject_0": "Hello {{ lead.first_name }}",
        "text_0": "Our winter offer, {{ lead.first_name }}.",
        "subject_1": "Winter is here, {{ lead.first_name }}",
        "text_1": "Warm deals inside.",
        "test_share": "30",
        "metric": "open",
        "wait_hours": "6",
        "seed": "boss@example.org",
        "subscription": "marketing",
        **extra,
    }


def test_a_marketer_makes_previews_and_schedules_one(
    client: Any, db: Any, users: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    lst = make_list(db, users.marketer.actor, name="Winter leads", object_type="lead")
    ann = make_lead(db, users.marketer.actor, first_name="Ann", email="ann@example.org")
    lists.add_members(db, users.marketer.actor, lst.id, [ann.id])
    db.commit()
    csrf = sign_in(client, users.marketer)

    form = client.get("/mass-emails/new")
    assert form.status_code == 200 and "Winter leads" in form.text
    assert form.text.count("data-variant=") == 4
    bad = form_post(client, "/mass-emails/new", csrf, _form(lst, subject_1="{{ ''.__class__ }}"))
    assert bad.status_code == 422 and "variant B" in bad.text and "unsafe" in bad.text
    made = form_post(client, "/mass-emails/new", csrf, _form(lst))
    assert made.status_code == 303, made.text
    record = db.scalars(unscoped(select(MassEmail).where(MassEmail.name == "Winter offer"))).one()
    assert (record.test_share, record.metric, record.wait_hours) == (30, "open", 6)
    assert record.seed == ["boss@example.org"] and len(record.variants) == 2

    page = client.get(made.headers["location"])
    assert page.status_code == 200
    assert "Variant A: Hello Ann" in page.text and "Variant B: Winter is here, Ann" in page.text
    assert "best open rate goes to the rest" in page.text and "boss@example.org" in page.text

    scheduled = form_post(client, f"/mass-emails/{record.id}/schedule", csrf, {"send_at": ""})
    assert scheduled.status_code == 303
    db.refresh(record)
    assert record.status == "scheduled"
    past = form_post(client, f"/mass-emails/{record.id}/cancel", csrf, {})
    assert past.status_code == 303
    db.refresh(record)
    assert record.status == "cancelled"

    record.ab_result = decide([Arm(0, 50, 2), Arm(1, 50, 15)], "open", 0.95)
    record.winner = 1
    db.commit()
    page = client.get(f"/mass-emails/{record.id}")
    assert "Variant B had the higher open rate" in page.text
    assert "Variant B (winner)" in page.text


def test_a_sales_rep_reads_but_does_not_create_or_act(client: Any, db: Any, users: Any) -> None:
    lst = make_list(db, users.marketer.actor, object_type="lead")
    db.commit()
    csrf = sign_in(client, users.rep)
    listing = client.get("/mass-emails")
    assert listing.status_code == 200 and "New mass email" not in listing.text
    refused = form_post(client, "/mass-emails/new", csrf, _form(lst))
    assert refused.status_code == 403
    nav = client.get("/")
    assert 'href="/mass-emails"' in nav.text
