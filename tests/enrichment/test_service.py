"""Enrichment on lead create/update, account matching, and next best actions from the
database (facts gathered for the actor, one click to a task)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from nexa.core.db import utcnow
from nexa.core.errors import Conflict, NotFound, PermissionDenied
from nexa.core.repository import unscoped
from nexa.enrichment import actions, service
from nexa.lead.schemas import LeadUpdate
from nexa.lead.service import LeadService
from nexa.models import Task
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.factories.meeting import make_meeting
from tests.query_counts import count_queries


def tasks_on(db: Any, record_id: Any) -> list[Task]:
    stmt = unscoped(select(Task).where(Task.related_id == record_id))
    return list(db.scalars(stmt))


# ---- enrichment -------------------------------------------------------------------------


def test_a_new_lead_is_enriched_in_its_transaction(db: Any, users: Any) -> None:
    lead = make_lead(
        db,
        users.rep.actor,
        email="ana.ruiz@northwind-traders.com",
        phone="+49 30 901820",
        title="VP of Sales",
    )
    assert lead.email_kind == "business"
    assert (lead.seniority, lead.department) == ("vp", "sales")
    assert (lead.phone_country, lead.phone_line_type) == ("DE", "fixed_line")
    assert lead.country == "DE"  # empty, so filled from the phone
    assert lead.company == "Northwind Traders"
    assert lead.website == "https://northwind-traders.com"
    assert lead.matched_account_id is None


def test_typed_values_are_never_overwritten(db: Any, users: Any) -> None:
    lead = make_lead(
        db,
        users.rep.actor,
        email="ana@northwind.com",
        company="Northwind GmbH",
        website="https://northwind.de",
        phone="+44 20 7946 0958",
        country="DE",
    )
    assert lead.company == "Northwind GmbH"
    assert lead.website == "https://northwind.de"
    assert lead.country == "DE"  # the phone is British; the person said Germany
    assert lead.phone_country == "GB"
    service.reenrich_lead(db, users.rep.actor, lead.id)
    assert (lead.company, lead.website, lead.country) == (
        "Northwind GmbH",
        "https://northwind.de",
        "DE",
    )


def test_an_empty_country_is_filled_from_the_phone(db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, phone="+49 1512 3456789")
    assert (lead.country, lead.phone_line_type) == ("DE", "mobile")


def test_free_mail_fills_no_company(db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, email="ana.ruiz@gmail.com")
    assert lead.email_kind == "free"
    assert lead.company is None and lead.website is None


def test_changing_the_title_or_email_enriches_again(db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, email="x@mailinator.com", title="Intern")
    assert (lead.email_kind, lead.seniority) == ("disposable", "entry")
    LeadService(db, users.rep.actor).update(
        lead.id, LeadUpdate(title="Chief Marketing Officer", email="cmo@contoso.io")
    )
    assert (lead.seniority, lead.department) == ("c_level", "marketing")
    assert lead.email_kind == "business" and lead.company == "Contoso"


def test_a_business_domain_links_the_lead_to_the_account(db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor, name="Fabrikam Inc", website="www.fabrikam.com/")
    lead = make_lead(db, users.rep.actor, email="lee@fabrikam.com")
    assert lead.matched_account_id == account.id
    assert lead.company == "Fabrikam Inc"  # the account's name beats a guess from the domain
    role = make_lead(db, users.rep.actor, email="sales@mail.fabrikam.com")
    assert role.email_kind == "role" and role.matched_account_id == account.id


def test_a_contacts_email_domain_links_the_lead_too(db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor, name="Tailspin Toys")  # no website
    make_contact(db, users.rep.actor, email="buyer@tailspin.example", account_id=account.id)
    lead = make_lead(db, users.rep.actor, email="new.person@tailspin.example")
    assert lead.matched_account_id == account.id


def test_free_mail_never_matches_an_account(db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor, name="Gmail fans", website="https://gmail.com")
    make_contact(db, users.rep.actor, email="someone@gmail.com", account_id=account.id)
    lead = make_lead(db, users.rep.actor, email="another@gmail.com")
    assert lead.matched_account_id is None
    disposable = make_lead(db, users.rep.actor, email="x@yopmail.com")
    assert disposable.matched_account_id is None


def test_a_lookalike_domain_does_not_match(db: Any, users: Any) -> None:
    make_account(db, users.rep.actor, name="Not Acme", website="https://notacme.com")
    lead = make_lead(db, users.rep.actor, email="jo@acme.com")
    assert lead.matched_account_id is None


def test_the_panel_hides_an_account_the_reader_cannot_see(db: Any, users: Any) -> None:
    account = make_account(db, users.other_rep.actor, name="Hidden Co", website="hidden.example")
    lead = make_lead(db, users.rep.actor, email="a@hidden.example")
    assert lead.matched_account_id == account.id
    view = service.lead_enrichment(db, users.rep.actor, lead.id)
    assert view.matched_account is not None and view.matched_account.name is None
    admin_view = service.lead_enrichment(db, users.admin.actor, lead.id)
    assert admin_view.matched_account is not None
    assert admin_view.matched_account.name == "Hidden Co"


def test_reenrich_needs_write_access(db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, email="a@b-corp.example")
    with pytest.raises(NotFound):
        service.reenrich_lead(db, users.other_rep.actor, lead.id)
    with pytest.raises(PermissionDenied):
        service.reenrich_lead(db, users.support.actor, lead.id)


def test_preview(db: Any, users: Any) -> None:
    make_account(db, users.rep.actor, name="Preview Co", website="preview.example")
    found = service.preview(
        db, users.rep.actor, email="x@preview.example", phone="0800 123 4567", country="gb"
    )
    assert found.email_kind == "business" and found.phone_line_type == "toll_free"
    assert found.matched_account is not None and found.matched_account.name == "Preview Co"
    # another rep cannot read that account: the preview does not name it
    other = service.preview(db, users.other_rep.actor, email="x@preview.example")
    assert other.matched_account is None


# ---- next best actions ------------------------------------------------------------------


def test_lead_actions_from_the_database(db: Any, users: Any) -> None:
    now = utcnow()
    lead = make_lead(db, users.rep.actor, title="CEO", status="qualified")
    lead.score = 82
    lead.sla_due_at = now + timedelta(minutes=20)
    lead.sla_priority = "high"
    db.flush()
    found = actions.next_actions(db, users.rep.actor, "lead", lead.id, now=now)
    assert [a.key for a in found] == ["call_now", "schedule_demo", "bring_in_executive"]
    make_meeting(db, users.rep.actor, related_type="lead", related_id=lead.id)
    found = actions.next_actions(db, users.rep.actor, "lead", lead.id, now=now)
    assert "schedule_demo" not in [a.key for a in found]


def test_a_contacted_lead_gets_the_follow_up_after_three_days(db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, status="contacted")
    later = utcnow() + timedelta(days=4)
    keys = [a.key for a in actions.next_actions(db, users.rep.actor, "lead", lead.id, now=later)]
    assert keys == ["send_follow_up"]


def test_gathering_lead_facts_takes_a_few_queries(db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, title="CEO", status="qualified")
    actor = users.rep.actor
    db.flush()
    db.expire_all()
    with count_queries() as counted:
        actions.next_actions(db, actor, "lead", lead.id)
    assert len(counted) <= 5, counted


def test_deal_actions_from_the_database(db: Any, users: Any) -> None:
    make_deal(db, users.other_rep.actor, amount=Decimal("1000"))
    make_deal(db, users.other_rep.actor, amount=Decimal("2000"))
    deal = make_deal(db, users.rep.actor, amount=Decimal("50000"), stage="proposal")
    found = actions.next_actions(db, users.rep.actor, "deal", deal.id)
    keys = [a.key for a in found]
    assert keys[0] == "send_proposal"
    assert "bring_in_executive" in keys  # 50,000 vs a median of 2,000 and nobody engaged


def test_contact_actions_from_the_database(db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor, name="Loyal Customer Ltd", type="customer")
    contact = make_contact(db, users.rep.actor, account_id=account.id)
    found = actions.next_actions(db, users.rep.actor, "contact", contact.id)
    assert [a.key for a in found] == ["open_deal"]
    assert found[0].reason == "Loyal Customer Ltd is a customer with no open deal"
    make_deal(db, users.rep.actor, account_id=account.id)
    assert actions.next_actions(db, users.rep.actor, "contact", contact.id) == []


def test_act_on_creates_exactly_one_linked_task(db: Any, users: Any) -> None:
    now = utcnow()
    lead = make_lead(db, users.rep.actor, status="qualified")
    task = actions.act_on(db, users.rep.actor, "lead", lead.id, "schedule_demo", now=now)
    assert (task.related_type, task.related_id) == ("lead", lead.id)
    assert task.title == "Schedule a demo" and task.origin == "next_action:schedule_demo"
    assert task.owner_id == users.rep.id
    assert task.due_at == now + timedelta(days=2)
    assert [t.id for t in tasks_on(db, lead.id)] == [task.id]
    # the suggestion now points at its task, and a second click makes no second task
    found = actions.next_actions(db, users.rep.actor, "lead", lead.id, now=now)
    assert next(a for a in found if a.key == "schedule_demo").task_id == str(task.id)
    with pytest.raises(Conflict):
        actions.act_on(db, users.rep.actor, "lead", lead.id, "schedule_demo", now=now)
    assert len(tasks_on(db, lead.id)) == 1


def test_act_on_refuses_unknown_and_stale_actions(db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, status="contacted")
    with pytest.raises(NotFound):
        actions.act_on(db, users.rep.actor, "lead", lead.id, "dance")
    with pytest.raises(Conflict):
        actions.act_on(db, users.rep.actor, "lead", lead.id, "schedule_demo")
    count = db.scalar(unscoped(select(func.count(Task.id)).where(Task.related_id == lead.id)))
    assert count == 0


def test_next_actions_are_scoped_by_the_actor(db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, status="qualified")
    with pytest.raises(NotFound):
        actions.next_actions(db, users.other_rep.actor, "lead", lead.id)
    with pytest.raises(NotFound):
        actions.act_on(db, users.other_rep.actor, "lead", lead.id, "schedule_demo")
    assert actions.next_actions(db, users.manager.actor, "lead", lead.id)
    theirs = make_lead(db, users.admin.actor, status="qualified", owner_id=users.read_only.id)
    assert actions.next_actions(db, users.read_only.actor, "lead", theirs.id)
    with pytest.raises(PermissionDenied):  # reads the lead, may not create tasks
        actions.act_on(db, users.read_only.actor, "lead", theirs.id, "schedule_demo")


def test_a_new_account_is_seen_by_the_next_lead_in_the_same_transaction(
    db: Any, users: Any
) -> None:
    first = make_lead(db, users.rep.actor, email="one@soylent.example")
    assert first.matched_account_id is None  # remembered: no account on this domain
    account = make_account(db, users.rep.actor, name="Soylent", website="soylent.example")
    second = make_lead(db, users.rep.actor, email="two@soylent.example")
    assert second.matched_account_id == account.id
