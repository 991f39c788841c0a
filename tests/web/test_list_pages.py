"""The list (segment) page: members by object type, a dynamic list's filter in words and its
live members, adding members found by search and removing them, the locked handoff list, who
may change what (the list service's rules), and a constant number of SQL statements."""

from __future__ import annotations

import re
from typing import Any

from nexa.segment.service import add_members, add_members_as_system, system_list
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.factories.segment import make_list
from tests.web.conftest import count_queries, form_post, sign_in

HTMX = {"HX-Request": "true"}


def member_ids(page: str) -> list[str]:
    return re.findall(r'data-member-id="([0-9a-f-]{36})"', page)


def member_count(page: str) -> str:
    found = re.search(r'data-testid="member-count">(\d+)<', page)
    assert found, page[:3000]
    return found.group(1)


def test_a_static_list_shows_its_members_with_email_account_and_owner(
    client: Any, db: Any, users: Any
) -> None:
    admin = users.admin.actor
    acme = make_account(db, admin, name="Acme Lists Ltd")
    ann = make_contact(
        db,
        admin,
        first_name="Ann",
        last_name="Member",
        email="ann.member@example.com",
        account_id=acme.id,
        owner_id=users.rep.id,
    )
    hostile = make_contact(db, admin, first_name="<script>x</script>", last_name="Evil")
    make_contact(db, admin, first_name="Not", last_name="Inside")
    lst = make_list(db, admin, name="Newsletter", object_type="contact")
    add_members(db, admin, lst.id, [ann.id, hostile.id])
    db.commit()
    sign_in(client, users.admin)
    r = client.get(f"/lists/{lst.id}")
    assert r.status_code == 200, r.text[:500]
    page = r.text
    assert sorted(member_ids(page)) == sorted([str(ann.id), str(hostile.id)])
    assert member_count(page) == "2"
    row = page[page.index(f'data-member-id="{ann.id}"') :].split("</tr>", 1)[0]
    assert f'href="/contacts/{ann.id}">Ann Member</a>' in row
    assert "ann.member@example.com" in row
    assert f'href="/accounts/{acme.id}">Acme Lists Ltd</a>' in row
    assert users.rep.user.full_name in row
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    # an admin may change a static list: remove buttons and the add form
    assert f'action="/lists/{lst.id}/members/remove"' in page
    assert 'id="add-members"' in page


def test_a_reader_sees_and_counts_only_the_members_they_can_read(
    client: Any, db: Any, users: Any
) -> None:
    admin = users.admin.actor
    mine = make_contact(db, admin, last_name="Mine", owner_id=users.rep.id)
    theirs = make_contact(db, admin, last_name="Theirs", owner_id=users.other_rep.id)
    lst = make_list(db, admin, object_type="contact")
    add_members(db, admin, lst.id, [mine.id, theirs.id])
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/lists/{lst.id}").text
    assert member_ids(page) == [str(mine.id)]
    assert member_count(page) == "1"


def test_a_dynamic_list_shows_its_filter_in_words_and_its_live_members(
    client: Any, db: Any, users: Any
) -> None:
    admin = users.admin.actor
    lst = make_list(
        db,
        admin,
        name="Hot Acme leads",
        kind="dynamic",
        object_type="lead",
        filters=["status:in:new,contacted", f"owner_id:eq:{users.rep.id}", "company:contains:acme"],
    )
    inside = make_lead(db, admin, last_name="Inside", company="Acme Corp", owner_id=users.rep.id)
    later = make_lead(
        db, admin, last_name="Later", company="Acme Two", status="qualified", owner_id=users.rep.id
    )
    make_lead(db, admin, last_name="Elsewhere", company="Beta", owner_id=users.rep.id)
    db.commit()
    sign_in(client, users.admin)
    page = client.get(f"/lists/{lst.id}").text
    words = page[page.index('data-testid="filter-words"') :].split("</ul>", 1)[0]
    assert "Status is one of new, contacted" in words
    assert f"Owner is {users.rep.user.full_name}" in words
    assert "Company contains “acme”" in words
    assert member_ids(page) == [str(inside.id)]
    assert member_count(page) == "1"
    # no add or remove on a dynamic list: its members follow the filter
    assert "/members/remove" not in page and 'id="add-members"' not in page
    # live: a lead that starts to match is a member at once
    from nexa.lead.schemas import LeadUpdate
    from nexa.lead.service import LeadService

    LeadService(db, admin).update(later.id, LeadUpdate(status="contacted"))
    db.commit()
    page = client.get(f"/lists/{lst.id}").text
    assert sorted(member_ids(page)) == sorted([str(inside.id), str(later.id)])
    assert member_count(page) == "2"
    # the service refuses membership changes, and the page says why
    csrf = sign_in(client, users.admin)
    r = form_post(client, f"/lists/{lst.id}/members/add", csrf, {"record_ids": str(later.id)})
    assert r.status_code == 409
    assert "a dynamic list&#39;s members follow its filter" in r.text


def test_members_are_found_added_and_removed(client: Any, db: Any, users: Any) -> None:
    marketer = users.marketer.actor
    admin = users.admin.actor
    zed = make_contact(db, admin, first_name="Zed", last_name="Quimbly", email="zq@example.com")
    zoe = make_contact(db, admin, first_name="Zoe", last_name="Quimbly")
    lst = make_list(db, marketer, name="Quimblys", object_type="contact")
    db.commit()
    csrf = sign_in(client, users.marketer)
    page = client.get(f"/lists/{lst.id}").text
    assert member_ids(page) == [] and "No members yet" in page
    # the search as htmx asks for it (a fragment) and without JavaScript (the page)
    fragment = client.get(f"/lists/{lst.id}/candidates?q=quimbly", headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert f'value="{zed.id}"' in fragment.text and f'value="{zoe.id}"' in fragment.text
    assert f'action="/lists/{lst.id}/members/add"' in fragment.text
    page = client.get(f"/lists/{lst.id}?q=quimbly").text
    assert f'name="record_ids" value="{zed.id}"' in page
    # add both
    r = form_post(
        client,
        f"/lists/{lst.id}/members/add",
        csrf,
        [("record_ids", str(zed.id)), ("record_ids", str(zoe.id))],
    )
    assert r.status_code == 303 and r.headers["location"] == f"/lists/{lst.id}"
    page = client.get(f"/lists/{lst.id}").text
    assert "2 records added to the list" in page
    assert sorted(member_ids(page)) == sorted([str(zed.id), str(zoe.id)])
    assert member_count(page) == "2"
    # members show as such in the search; adding again changes nothing
    page = client.get(f"/lists/{lst.id}?q=quimbly").text
    assert page.count("already in the list") == 2
    r = form_post(client, f"/lists/{lst.id}/members/add", csrf, {"record_ids": str(zed.id)})
    assert r.status_code == 303
    assert "0 records added to the list; 1 already in it" in client.get(f"/lists/{lst.id}").text
    # remove one
    r = form_post(client, f"/lists/{lst.id}/members/remove", csrf, {"record_ids": str(zed.id)})
    assert r.status_code == 303
    page = client.get(f"/lists/{lst.id}").text
    assert "1 record removed from the list" in page
    assert member_ids(page) == [str(zoe.id)]
    # and the API agrees
    api = client.get(f"/api/v1/lists/{lst.id}/members", headers=users.marketer.headers).json()
    assert [m["id"] for m in api["items"]] == [str(zoe.id)]


def test_a_post_without_a_record_says_so(client: Any, db: Any, users: Any) -> None:
    lst = make_list(db, users.admin.actor, object_type="contact")
    db.commit()
    csrf = sign_in(client, users.admin)
    r = form_post(client, f"/lists/{lst.id}/members/add", csrf, {})
    assert r.status_code == 422 and "choose at least one record" in r.text


def test_a_rep_adds_own_records_only(client: Any, db: Any, users: Any) -> None:
    admin = users.admin.actor
    mine = make_contact(db, users.rep.actor, last_name="Repsown")
    theirs = make_contact(db, admin, last_name="Notreps", owner_id=users.other_rep.id)
    lst = make_list(db, admin, object_type="contact")
    db.commit()
    csrf = sign_in(client, users.rep)
    page = client.get(f"/lists/{lst.id}").text
    assert 'id="add-members"' in page  # list:add_member (own) in the role table
    r = form_post(client, f"/lists/{lst.id}/members/add", csrf, {"record_ids": str(theirs.id)})
    assert r.status_code == 403
    assert 'data-testid="member-error"' in r.text
    assert "you may add to lists or remove only records you can edit" in r.text
    r = form_post(client, f"/lists/{lst.id}/members/add", csrf, {"record_ids": str(mine.id)})
    assert r.status_code == 303
    assert member_ids(client.get(f"/lists/{lst.id}").text) == [str(mine.id)]


def test_the_locked_handoff_list_shows_members_and_refuses_changes(
    client: Any, db: Any, users: Any
) -> None:
    account = make_account(db, users.admin.actor, name="Won Customer Inc")
    handoff = system_list(db, "cs_handoff", name="Customer success handoff", object_type="account")
    add_members_as_system(db, handoff, [account.id])
    db.commit()
    csrf = sign_in(client, users.admin)
    page = client.get(f"/lists/{handoff.id}").text
    assert 'data-testid="locked-list"' in page and "Maintained by Nexa" in page
    assert member_ids(page) == [str(account.id)]
    assert f'href="/accounts/{account.id}">Won Customer Inc</a>' in page
    # its definition: the service refuses, with its reason
    r = form_post(client, f"/lists/{handoff.id}/delete", csrf, {})
    assert r.status_code == 409 and "maintained by Nexa" in r.text
    r = form_post(client, f"/lists/{handoff.id}/field/name", csrf, {"name": "Renamed"})
    assert r.status_code == 409 and "maintained by Nexa" in r.text
    # support reads every account but holds no list:add_member: members, and no controls
    csrf = sign_in(client, users.support)
    page = client.get(f"/lists/{handoff.id}").text
    assert member_ids(page) == [str(account.id)]
    assert "/members/remove" not in page and 'id="add-members"' not in page
    r = form_post(
        client, f"/lists/{handoff.id}/members/remove", csrf, {"record_ids": str(account.id)}
    )
    assert r.status_code == 403
    assert "you may not change the members of lists" in r.text


def test_the_list_page_costs_the_same_with_1_or_20_members(
    client: Any, db: Any, users: Any
) -> None:
    admin = users.admin.actor
    lst = make_list(db, admin, object_type="contact")

    def member(i: int) -> None:
        account = make_account(db, admin, name=f"Counted {i}")
        owner = (users.rep, users.teammate, users.other_rep)[i % 3]
        contact = make_contact(
            db, admin, last_name=f"Counted {i}", account_id=account.id, owner_id=owner.id
        )
        add_members(db, admin, lst.id, [contact.id])

    member(0)
    db.commit()
    sign_in(client, users.admin)
    client.get(f"/lists/{lst.id}")  # warm per-process caches
    with count_queries() as one:
        r = client.get(f"/lists/{lst.id}")
    assert r.status_code == 200 and len(member_ids(r.text)) == 1
    for i in range(1, 20):
        member(i)
    db.commit()
    with count_queries() as many:
        r = client.get(f"/lists/{lst.id}")
    assert r.status_code == 200 and len(member_ids(r.text)) == 20
    assert len(one) == len(many), (len(one), len(many))


def test_members_come_a_page_at_a_time(client: Any, db: Any, users: Any) -> None:
    admin = users.admin.actor
    lst = make_list(db, admin, object_type="lead")
    leads = [make_lead(db, admin, last_name=f"Paged {i}") for i in range(30)]
    add_members(db, admin, lst.id, [lead.id for lead in leads])
    db.commit()
    sign_in(client, users.admin)
    page = client.get(f"/lists/{lst.id}").text
    first = member_ids(page)
    assert len(first) == 25 and member_count(page) == "30"
    found = re.search(r'rel="next" href="([^"]+)"', page)
    assert found
    second = member_ids(client.get(found.group(1).replace("&amp;", "&")).text)
    assert len(second) == 5 and not set(first) & set(second)
