"""The pure rules: email kinds, phone numbers, titles, and every next-best-action rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from nexa.intelligence.enrichment import (
    company_from_domain,
    domain_of_website,
    email_facts,
    email_kind,
    enrich,
    phone_facts,
    registrable_domain,
    title_facts,
)
from nexa.intelligence.next_action import (
    Action,
    ContactFacts,
    DealFacts,
    LeadFacts,
    contact_actions,
    deal_actions,
    lead_actions,
    rank,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def keys(actions: list[Action]) -> list[str]:
    return [a.key for a in actions]


# ---- email ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "kind"),
    [
        ("jane@gmail.com", "free"),
        ("Jane.Doe@GoogleMail.com", "free"),
        ("x@yahoo.com", "free"),
        ("x@yahoo.co.uk", "free"),
        ("x@yahoo.fr", "free"),
        ("x@outlook.com", "free"),
        ("x@hotmail.de", "free"),
        ("x@hotmail.co.uk", "free"),
        ("x@gmx.de", "free"),
        ("x@gmx.net", "free"),
        ("x@web.de", "free"),
        ("x@icloud.com", "free"),
        ("x@proton.me", "free"),
        ("info@gmail.com", "free"),  # a free address stays free, whatever its local part
        ("bob@mailinator.com", "disposable"),
        ("bob@10minutemail.com", "disposable"),
        ("bob@guerrillamail.com", "disposable"),
        ("bob@yopmail.com", "disposable"),
        ("bob@tempmail.com", "disposable"),
        ("bob@temp-mail.org", "disposable"),
        ("bob@inbox.mailinator.com", "disposable"),
        ("bob@my-tempmail-box.xyz", "disposable"),
        ("info@acme.com", "role"),
        ("sales@acme.com", "role"),
        ("Admin@Acme.com", "role"),
        ("support+eu@acme.com", "role"),
        ("no-reply@acme.com", "role"),
        ("jane.doe@acme.com", "business"),
        ("j.smith@acme-robotics.co.uk", "business"),
        ("salesforce.fan@acme.com", "business"),
    ],
)
def test_email_kind(email: str, kind: str) -> None:
    assert email_kind(email) == kind


@pytest.mark.parametrize("email", [None, "", "not an email", "a@b", "a@@b.com", "a@-x.com"])
def test_what_is_not_an_address_has_no_kind(email: str | None) -> None:
    assert email_kind(email) is None
    assert email_facts(email).company is None


def test_business_domain_gives_company_and_website() -> None:
    facts = email_facts("jane@eu.acme-robotics.co.uk")
    assert facts.kind == "business"
    assert facts.domain == "acme-robotics.co.uk"
    assert facts.company == "Acme Robotics"
    assert facts.website == "https://acme-robotics.co.uk"
    assert email_facts("jane@ibm.com").company == "IBM"
    assert email_facts("info@northwind.com").company == "Northwind"  # role: still a company
    assert email_facts("jane@gmail.com").website is None
    assert email_facts("x@mailinator.com").company is None


def test_domains_of_websites_and_hosts() -> None:
    assert registrable_domain("mail.acme.com") == "acme.com"
    assert registrable_domain("shop.acme.com.au") == "acme.com.au"
    assert domain_of_website("https://www.Acme.com/about?x=1") == "acme.com"
    assert domain_of_website("acme.com") == "acme.com"
    assert domain_of_website("http://acme.com:8080") == "acme.com"
    assert domain_of_website("not a site") is None
    assert domain_of_website(None) is None
    assert company_from_domain("big_data-co.io") == "Big Data Co"
    assert company_from_domain("sap.de") == "SAP"


# ---- phone ------------------------------------------------------------------------------


def test_a_us_number_is_us_and_mobile_or_fixed() -> None:
    facts = phone_facts("+1 650-253-0000")
    assert facts.valid and facts.country == "US"
    # North American numbers do not say whether they are mobile
    assert facts.line_type == "fixed_line_or_mobile"
    assert facts.e164 == "+16502530000"
    local = phone_facts("(650) 253-0000", "US")
    assert local.country == "US" and local.e164 == "+16502530000"


def test_uk_numbers() -> None:
    london = phone_facts("+44 20 7946 0958")
    assert (london.country, london.line_type) == ("GB", "fixed_line")
    mobile = phone_facts("07400 123456", "GB")
    assert (mobile.country, mobile.line_type) == ("GB", "mobile")
    assert phone_facts("0800 123 4567", "GB").line_type == "toll_free"


def test_a_german_fixed_line_read_in_region_de() -> None:
    facts = phone_facts("030 901820", "DE")
    assert (facts.valid, facts.country, facts.line_type) == (True, "DE", "fixed_line")
    assert facts.e164 == "+4930901820"
    assert phone_facts("+49 1512 3456789").line_type == "mobile"
    # without a region a national number cannot be read
    assert phone_facts("030 901820").country is None


@pytest.mark.parametrize(
    ("phone", "region"), [(None, None), ("", "US"), ("12", "US"), ("hello", "DE"), ("1", "ZZ")]
)
def test_what_is_not_a_number_gives_nothing(phone: str | None, region: str | None) -> None:
    facts = phone_facts(phone, region)
    assert (facts.valid, facts.country, facts.line_type) == (False, None, None)


def test_an_unknown_region_is_ignored() -> None:
    assert phone_facts("+44 20 7946 0958", "XX").country == "GB"


# ---- job titles -------------------------------------------------------------------------

TITLES = [
    ("CEO", "c_level", "executive"),
    ("Chief Executive Officer", "c_level", "executive"),
    ("Chief Financial Officer", "c_level", "finance"),
    ("CTO", "c_level", "engineering"),
    ("Co-Founder & CTO", "c_level", "engineering"),
    ("Chief Revenue Officer", "c_level", "sales"),
    ("Founder", "c_level", "executive"),
    ("President", "c_level", "executive"),
    ("Managing Director", "c_level", "executive"),
    ("Geschäftsführer", "c_level", "executive"),
    ("PDG", "c_level", "executive"),
    ("VP of Sales", "vp", "sales"),
    ("Vice President, Marketing", "vp", "marketing"),
    ("SVP Finance", "vp", "finance"),
    ("Vicepresidente de Operaciones", "vp", "operations"),
    ("Head of Engineering", "director", "engineering"),
    ("Head of Customer Success", "director", "support"),
    ("Director of IT", "director", "it"),
    ("Senior Director, Product", "director", "product"),
    ("Vertriebsleiter", "director", "sales"),
    ("Directeur Commercial", "director", "sales"),
    ("Sales Manager", "manager", "sales"),
    ("Senior Marketing Manager", "manager", "marketing"),
    ("IT Manager", "manager", "it"),
    ("Teamleiter Kundenservice", "manager", "support"),
    ("Jefe de Ventas", "manager", "sales"),
    ("Responsable RH", "manager", "hr"),
    ("Sr. Account Executive", "senior", "sales"),
    ("Senior Software Engineer", "senior", "engineering"),
    ("Principal Data Scientist", "senior", "engineering"),
    ("Lead Developer", "senior", "engineering"),
    ("Marketing Intern", "entry", "marketing"),
    ("Junior Accountant", "entry", "finance"),
    ("Praktikant Vertrieb", "entry", "sales"),
    ("Stagiaire marketing", "entry", "marketing"),
    ("Executive Assistant to the CEO", "entry", "executive"),
    ("Software Engineer", "other", "engineering"),
    ("General Counsel", "other", "legal"),
    ("Recruiter", "other", "hr"),
    ("Product Owner", "other", "product"),
    ("Procurement Specialist", "other", "operations"),
    ("Consultant", "other", None),
]


@pytest.mark.parametrize(("title", "seniority", "department"), TITLES)
def test_title_to_seniority_and_department(
    title: str, seniority: str, department: str | None
) -> None:
    assert title_facts(title) == (title_facts(title).__class__(seniority, department))


def test_the_title_table_is_large_enough() -> None:
    assert len(TITLES) >= 20


@pytest.mark.parametrize("title", [None, "", "   "])
def test_no_title_no_seniority(title: str | None) -> None:
    facts = title_facts(title)
    assert facts.seniority is None and facts.department is None


def test_enrich_puts_it_together() -> None:
    found = enrich(email="ana@acme.com", phone="030 901820", title="VP Sales", country="DE")
    assert found.as_dict() == {
        "email_kind": "business",
        "email_domain": "acme.com",
        "company_guess": "Acme",
        "website_guess": "https://acme.com",
        "phone_valid": True,
        "phone_country": "DE",
        "phone_line_type": "fixed_line",
        "phone_e164": "+4930901820",
        "seniority": "vp",
        "department": "sales",
    }


# ---- next best action: leads ------------------------------------------------------------


def test_call_now_while_the_sla_runs() -> None:
    facts = LeadFacts(status="new", sla_due_at=NOW + timedelta(minutes=5), sla_priority="urgent")
    action = lead_actions(facts, NOW)[0]
    assert action.key == "call_now" and action.signal == "sla_due_at"
    assert action.due_at == NOW + timedelta(minutes=5)
    assert "5 min" in action.reason
    assert action.priority >= 95


def test_no_call_now_once_someone_responded() -> None:
    facts = LeadFacts(
        status="contacted",
        sla_due_at=NOW + timedelta(minutes=5),
        first_response_at=NOW - timedelta(minutes=1),
        last_contacted_at=NOW - timedelta(minutes=1),
    )
    assert "call_now" not in keys(lead_actions(facts, NOW))


def test_a_breached_sla_still_says_call_now_due_now() -> None:
    facts = LeadFacts(status="new", sla_due_at=NOW - timedelta(hours=2), sla_priority="high")
    action = lead_actions(facts, NOW)[0]
    assert action.key == "call_now" and action.due_at == NOW
    assert "ran out 2 h ago" in action.reason


def test_first_contact_for_an_untouched_lead_without_sla() -> None:
    facts = LeadFacts(status="new", created_at=NOW - timedelta(hours=1))
    assert keys(lead_actions(facts, NOW)) == ["first_contact"]


def test_send_follow_up_after_three_quiet_days() -> None:
    facts = LeadFacts(status="contacted", last_contacted_at=NOW - timedelta(days=4))
    action = next(a for a in lead_actions(facts, NOW) if a.key == "send_follow_up")
    assert "4 days" in action.reason
    assert action.due_at == NOW + timedelta(hours=4)
    two_days = LeadFacts(status="contacted", last_contacted_at=NOW - timedelta(days=2))
    assert "send_follow_up" not in keys(lead_actions(two_days, NOW))
    replied = LeadFacts(
        status="contacted",
        last_contacted_at=NOW - timedelta(days=4),
        last_reply_at=NOW - timedelta(days=1),
    )
    assert "send_follow_up" not in keys(lead_actions(replied, NOW))


def test_schedule_a_demo_for_a_hot_or_qualified_lead_without_a_meeting() -> None:
    hot = LeadFacts(status="contacted", score=72, last_contacted_at=NOW)
    action = next(a for a in lead_actions(hot, NOW) if a.key == "schedule_demo")
    assert action.signal == "score" and "Score 72 (medium)" in action.reason
    qualified = LeadFacts(status="qualified", score=40, last_contacted_at=NOW)
    assert "schedule_demo" in keys(lead_actions(qualified, NOW))
    booked = LeadFacts(status="qualified", score=90, meetings=1, last_contacted_at=NOW)
    assert "schedule_demo" not in keys(lead_actions(booked, NOW))
    cold = LeadFacts(status="contacted", score=59, last_contacted_at=NOW)
    assert "schedule_demo" not in keys(lead_actions(cold, NOW))


def test_re_engage_after_fourteen_quiet_days() -> None:
    facts = LeadFacts(status="contacted", last_contacted_at=NOW - timedelta(days=20))
    found = keys(lead_actions(facts, NOW))
    assert "re_engage" in found and "send_follow_up" not in found
    untouched = LeadFacts(status="new", created_at=NOW - timedelta(days=15))
    assert "re_engage" in keys(lead_actions(untouched, NOW))


def test_bring_in_an_executive_for_c_level_and_vp() -> None:
    for seniority in ("c_level", "vp"):
        facts = LeadFacts(status="contacted", seniority=seniority, title="VP Sales")
        action = next(a for a in lead_actions(facts, NOW) if a.key == "bring_in_executive")
        assert action.signal == "seniority" and "VP Sales" in action.reason
    manager = LeadFacts(status="contacted", seniority="manager")
    assert "bring_in_executive" not in keys(lead_actions(manager, NOW))


def test_verify_a_disposable_address() -> None:
    facts = LeadFacts(status="contacted", email_kind="disposable", last_contacted_at=NOW)
    assert keys(lead_actions(facts, NOW)) == ["verify_contact"]


def test_closed_leads_get_no_actions() -> None:
    for status in ("converted", "lost"):
        facts = LeadFacts(status=status, score=99, seniority="c_level")
        assert lead_actions(facts, NOW) == []


def test_lead_actions_are_ranked() -> None:
    facts = LeadFacts(
        status="qualified",
        score=85,
        seniority="vp",
        sla_due_at=NOW + timedelta(minutes=30),
        sla_priority="high",
        created_at=NOW - timedelta(days=1),
    )
    actions = lead_actions(facts, NOW)
    assert keys(actions) == ["call_now", "schedule_demo", "bring_in_executive"]
    assert [a.priority for a in actions] == sorted((a.priority for a in actions), reverse=True)


def test_rank_breaks_ties_by_due_time_then_key() -> None:
    late = Action("b", "B", "r", "s", 50, NOW + timedelta(days=2))
    early = Action("c", "C", "r", "s", 50, NOW + timedelta(days=1))
    same = Action("a", "A", "r", "s", 50, NOW + timedelta(days=1))
    high = Action("z", "Z", "r", "s", 90, NOW + timedelta(days=9))
    assert keys(rank([late, early, same, high])) == ["z", "a", "c", "b"]


# ---- next best action: deals ------------------------------------------------------------


def deal(**kw: object) -> DealFacts:
    base: dict[str, object] = {
        "stage": "negotiation",
        "stage_name": "Negotiation",
        "stage_probability": 75,
        "stage_entered_at": NOW - timedelta(days=2),
        "created_at": NOW - timedelta(days=10),
        "last_activity_at": NOW - timedelta(days=1),
        "meetings": 1,
        "contacts_engaged": 2,
        "quotes": 1,
    }
    base.update(kw)
    return DealFacts(**base)  # type: ignore[arg-type]


def test_a_quiet_healthy_deal_gets_nothing() -> None:
    assert deal_actions(deal(), NOW) == []


def test_send_the_proposal_within_a_day() -> None:
    action = deal_actions(deal(stage="proposal", stage_name="Proposal", quotes=0), NOW)[0]
    assert action.key == "send_proposal" and action.due_at == NOW + timedelta(hours=24)
    assert "Proposal" in action.reason and "no quote" in action.reason
    assert deal_actions(deal(stage="proposal", quotes=1), NOW) == []


def test_re_engage_a_deal_past_its_stage_stall_limit() -> None:
    facts = deal(stage_entered_at=NOW - timedelta(days=40), stall_after_days=30)
    action = deal_actions(facts, NOW)[0]
    assert action.key == "re_engage_stalled" and action.signal == "days_in_stage"
    assert "40 days in Negotiation" in action.reason


def test_re_engage_a_deal_with_a_stall_risk_factor() -> None:
    facts = deal(risk_factors=[{"key": "stalled", "label": "Stalled in Proposal"}])
    action = deal_actions(facts, NOW)[0]
    assert action.key == "re_engage_stalled" and action.signal == "risk_factors"
    assert "Stalled in Proposal" in action.reason
    assert keys(deal_actions(deal(risk_factors=["stalled 20 days"]), NOW)) == ["re_engage_stalled"]


def test_re_engage_a_deal_without_activity() -> None:
    facts = deal(last_activity_at=NOW - timedelta(days=20))
    assert keys(deal_actions(facts, NOW)) == ["re_engage"]


def test_bring_in_an_executive_on_a_big_single_threaded_deal() -> None:
    facts = deal(amount=Decimal("120000"), median_amount=Decimal("30000"), contacts_engaged=1)
    action = deal_actions(facts, NOW)[0]
    assert action.key == "bring_in_executive"
    assert "4.0× the median deal (30,000)" in action.reason
    multi = deal(amount=Decimal("120000"), median_amount=Decimal("30000"), contacts_engaged=3)
    assert deal_actions(multi, NOW) == []
    small = deal(amount=Decimal("40000"), median_amount=Decimal("30000"), contacts_engaged=1)
    assert deal_actions(small, NOW) == []


def test_schedule_a_demo_early_without_a_meeting() -> None:
    facts = deal(stage="prospecting", stage_name="Prospecting", stage_probability=10, meetings=0)
    assert keys(deal_actions(facts, NOW)) == ["schedule_demo"]
    assert deal_actions(deal(stage_probability=10, meetings=1), NOW) == []


def test_update_a_past_close_date() -> None:
    facts = deal(close_date=date(2026, 11, 1))
    assert keys(deal_actions(facts, NOW)) == ["update_close_date"]


def test_closed_deals_get_no_actions() -> None:
    assert deal_actions(deal(stage_kind="won", quotes=0, stage="proposal"), NOW) == []


def test_deal_actions_are_ranked() -> None:
    facts = deal(
        stage="proposal",
        stage_name="Proposal",
        stage_probability=50,
        quotes=0,
        stage_entered_at=NOW - timedelta(days=40),
        stall_after_days=30,
        amount=Decimal("90000"),
        median_amount=Decimal("10000"),
        contacts_engaged=0,
        close_date=date(2026, 11, 1),
    )
    assert keys(deal_actions(facts, NOW)) == [
        "re_engage_stalled",
        "send_proposal",
        "bring_in_executive",
        "update_close_date",
    ]


# ---- next best action: contacts ---------------------------------------------------------


def test_follow_up_a_contact_after_thirty_quiet_days() -> None:
    facts = ContactFacts(created_at=NOW - timedelta(days=90), last_activity_at=NOW - timedelta(31))
    action = contact_actions(facts, NOW)[0]
    assert action.key == "follow_up" and "31 days" in action.reason
    fresh = ContactFacts(created_at=NOW - timedelta(days=90), last_activity_at=NOW)
    assert contact_actions(fresh, NOW) == []


def test_open_a_deal_at_a_customer_without_one() -> None:
    facts = ContactFacts(created_at=NOW, account_name="Acme", account_type="customer")
    action = contact_actions(facts, NOW)[0]
    assert action.key == "open_deal" and action.reason == "Acme is a customer with no open deal"
    busy = ContactFacts(created_at=NOW, account_type="customer", account_open_deals=1)
    assert contact_actions(busy, NOW) == []
    prospect = ContactFacts(created_at=NOW, account_type="prospect")
    assert contact_actions(prospect, NOW) == []


def test_executive_contact_on_an_account_with_an_open_deal() -> None:
    facts = ContactFacts(created_at=NOW, seniority="c_level", account_open_deals=1)
    assert keys(contact_actions(facts, NOW)) == ["bring_in_executive"]
