"""List membership in the filter language (``list:eq:<id>``), for static and dynamic lists,
cycles refused, and the helpers the campaign engine uses (matching_ids, check_expressions)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from nexa.core.actor import SYSTEM
from nexa.core.errors import ValidationFailed
from nexa.core.filtering import ListQuery, any_of
from nexa.lead.service import LeadService
from nexa.segment.repository import MAX_LIST_DEPTH
from nexa.segment.schemas import ListUpdate
from nexa.segment.service import (
    ListService,
    add_members_as_system,
    check_expressions,
    list_members,
    matching_ids,
    system_list,
)
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.factories.segment import make_list
from tests.query_counts import count_queries

L = "/api/v1/lists"


def _add(db: Any, lst: Any, ids: list[uuid.UUID]) -> None:
    from nexa.segment.service import SystemList

    add_members_as_system(db, SystemList.of(lst), ids)


def _lead_ids(db: Any, actor: Any, filters: list[str], among: set[uuid.UUID]) -> set[uuid.UUID]:
    rows, _ = LeadService(db, actor).list(ListQuery(filters=filters, limit=200))
    return {r.id for r in rows} & among


def test_static_and_dynamic_membership_eq_ne_in(db: Any, users: Any) -> None:
    hot = make_lead(db, company="Hot one", score=90)
    warm = make_lead(db, company="Warm one", score=50)
    cold = make_lead(db, company="Cold one", score=5)
    everyone = {hot.id, warm.id, cold.id}
    static = make_list(db, name="Trade show", object_type="lead")
    _add(db, static, [warm.id, cold.id])
    dynamic = make_list(
        db, name="Scored", object_type="lead", kind="dynamic", filters=["score:gte:40"]
    )
    admin = users.admin.actor

    assert _lead_ids(db, admin, [f"list:eq:{static.id}"], everyone) == {warm.id, cold.id}
    assert _lead_ids(db, admin, [f"list:ne:{static.id}"], everyone) == {hot.id}
    assert _lead_ids(db, admin, [f"list:eq:{dynamic.id}"], everyone) == {hot.id, warm.id}
    assert _lead_ids(db, admin, [f"list:ne:{dynamic.id}"], everyone) == {cold.id}
    both = f"{static.id},{dynamic.id}"
    assert _lead_ids(db, admin, [f"list:in:{both}"], everyone) == everyone
    assert _lead_ids(db, admin, [f"list:not_in:{both}"], everyone) == set()
    # AND of two memberships, and membership inside an OR group
    assert _lead_ids(db, admin, [f"list:eq:{static.id}", f"list:eq:{dynamic.id}"], everyone) == {
        warm.id
    }
    group = any_of([f"list:eq:{static.id}", "company:eq:Hot one"])
    assert _lead_ids(db, admin, [group, "score:lt:60"], everyone) == {warm.id, cold.id}


def test_a_dynamic_list_naming_another_list(db: Any, users: Any) -> None:
    a = make_contact(db, title="CEO")
    b = make_contact(db, title="CEO")
    make_contact(db, title="CEO")
    invited = make_list(db, name="Invited")
    _add(db, invited, [a.id, b.id])
    ceos = make_list(db, name="CEOs", kind="dynamic", filters=["title:eq:CEO"])
    invited_ceos = make_list(
        db,
        name="Invited CEOs",
        kind="dynamic",
        filters=[f"list:eq:{ceos.id}", f"list:eq:{invited.id}"],
    )
    _, rows, _ = list_members(db, users.admin.actor, invited_ceos.id, ListQuery(limit=50))
    assert {r.id for r in rows} == {a.id, b.id}


def test_cycles_are_refused_at_save(db: Any) -> None:
    a = make_list(db, name="A", kind="dynamic", filters=["title:eq:CEO"])
    b = make_list(db, name="B", kind="dynamic", filters=[f"list:eq:{a.id}"])
    svc = ListService(db, SYSTEM)
    with pytest.raises(ValidationFailed) as direct:
        svc.update(a.id, ListUpdate(filters=[f"list:eq:{a.id}"]))
    assert direct.value.field == "filters"
    with pytest.raises(ValidationFailed) as through:
        svc.update(a.id, ListUpdate(filters=[any_of(["title:eq:x", f"list:eq:{b.id}"])]))
    assert through.value.field == "filters"
    assert "A → B → A" in through.value.detail
    # a list naming a list that does not name it back is fine
    svc.update(a.id, ListUpdate(filters=["title:eq:CTO"]))


def test_depth_limit(db: Any) -> None:
    previous = make_list(db, name="L0", kind="dynamic", filters=["title:eq:CEO"])
    for depth in range(1, MAX_LIST_DEPTH):
        previous = make_list(
            db, name=f"L{depth}", kind="dynamic", filters=[f"list:eq:{previous.id}"]
        )
    with pytest.raises(ValidationFailed) as exc:
        make_list(db, name="Too deep", kind="dynamic", filters=[f"list:eq:{previous.id}"])
    assert exc.value.field == "filters" and "deep" in exc.value.detail


def test_unknown_list_is_422_naming_the_field(client: Any, db: Any, users: Any) -> None:
    account_list = make_list(db, name="Accounts", object_type="account")
    gone = make_list(db, name="Binned")
    ListService(db, SYSTEM).delete(gone.id)
    db.commit()
    h = users.admin.headers
    for list_id in (uuid.uuid4(), account_list.id, gone.id):
        r = client.get("/api/v1/contacts", headers=h, params={"filter": f"list:eq:{list_id}"})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "filter[list]"
    r = client.get("/api/v1/contacts", headers=h, params={"filter": "list:eq:not-an-id"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "filter[list]"
    r = client.get("/api/v1/contacts", headers=h, params={"filter": f"list:gt:{gone.id}"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "filter[list]"
    saved = client.post(
        L,
        headers=users.marketer.headers,
        json={"name": "Dyn", "kind": "dynamic", "filters": [f"list:eq:{uuid.uuid4()}"]},
    )
    assert saved.status_code == 422 and saved.json()["errors"][0]["field"] == "filters"


def test_api_filter_by_list_sees_only_readable_records(client: Any, db: Any, users: Any) -> None:
    """A rep filtering by a list sees the members they can read, never the others'."""
    mine = make_contact(db, owner_id=users.rep.id, title="CEO")
    theirs = make_contact(db, owner_id=users.teammate.id, title="CEO")
    static = make_list(db, name="Conference")
    _add(db, static, [mine.id, theirs.id])
    dynamic = make_list(db, name="All CEOs", kind="dynamic", filters=["title:eq:CEO"])
    db.commit()
    for lst in (static, dynamic):
        for person, expected in ((users.rep, {str(mine.id)}), (users.admin, None)):
            r = client.get(
                "/api/v1/contacts",
                headers=person.headers,
                params={"filter": [f"list:eq:{lst.id}", any_of(["title:eq:CEO", "title:eq:x"])]},
            )
            assert r.status_code == 200, r.text
            got = {row["id"] for row in r.json()["items"]}
            if expected is not None:
                assert got == expected
            else:
                assert {str(mine.id), str(theirs.id)} <= got


def test_matching_ids_reads_through_visibility_in_chunks(db: Any, users: Any) -> None:
    owner = users.rep
    leads = [make_lead(db, owner_id=owner.id, score=70 if i % 2 else 10) for i in range(6)]
    other = make_lead(db, owner_id=users.teammate.id, score=90)
    ids = [lead.id for lead in leads] + [other.id]
    nurture = system_list(db, "test_nurture", name="Nurture", object_type="lead")
    add_members_as_system(db, nurture, [leads[0].id, leads[1].id])
    exprs = [any_of(["score:gte:60", f"list:eq:{nurture.id}"])]
    found = matching_ids(db, owner.actor, "lead", exprs, ids)
    expected = {lead.id for i, lead in enumerate(leads) if i % 2 or i == 0}
    assert found == expected  # the teammate's lead matches but the rep cannot read it
    assert matching_ids(db, users.admin.actor, "lead", exprs, ids) == expected | {other.id}
    assert matching_ids(db, owner.actor, "lead", [], ids) == {lead.id for lead in leads}


def test_matching_ids_query_count_does_not_grow_with_ids(db: Any, users: Any) -> None:
    leads = [make_lead(db, score=i) for i in range(50)]
    static = make_list(db, name="Chunked", object_type="lead")
    _add(db, static, [lead.id for lead in leads])
    scored = make_list(db, name="Scored", object_type="lead", kind="dynamic",
                       filters=["score:gte:0", f"list:eq:{static.id}"])  # fmt: skip
    exprs = ["score:gte:0", any_of([f"list:eq:{static.id}", f"list:eq:{scored.id}"])]
    actor = users.admin.actor
    matching_ids(db, actor, "lead", exprs, [leads[0].id])  # warm the caches
    counts = {}
    for n in (1, 50):
        with count_queries() as statements:
            assert len(matching_ids(db, actor, "lead", exprs, [x.id for x in leads[:n]])) == n
        counts[n] = len(statements)
    assert counts[1] == counts[50], counts
    many = [uuid.uuid4() for _ in range(1200)]  # 3 chunks of at most 500
    with count_queries() as statements:
        matching_ids(db, actor, "lead", exprs, many)
    assert len(statements) == counts[1] + 2


def test_check_expressions_names_the_field(db: Any) -> None:
    lst = make_list(db, name="Checked", object_type="lead")
    ok = check_expressions(db, "lead", [" score:gte:60 ", "", f"list:eq:{lst.id}"], "condition")
    assert ok == ["score:gte:60", f"list:eq:{lst.id}"]
    for bad, words in (
        (["nope:eq:1"], "nope"),
        (["score:gte:high"], "high"),
        ([f"list:eq:{uuid.uuid4()}"], "no list"),
        (["any(score:gte:1"], "any("),
    ):
        with pytest.raises(ValidationFailed) as exc:
            check_expressions(db, "lead", bad, "steps[0].condition")
        assert exc.value.field == "steps[0].condition"
        assert words in exc.value.detail
    with pytest.raises(ValidationFailed) as exc:
        check_expressions(db, "deal", ["amount:gt:1"], "object_type")
    assert exc.value.field == "object_type"


def test_memberships_of_a_record_follow_nested_lists(client: Any, db: Any, users: Any) -> None:
    acc = make_account(db, name="Member Corp", industry="Retail")
    tagged = make_list(db, name="Retail", object_type="account", kind="dynamic",
                       filters=["industry:eq:Retail"])  # fmt: skip
    nested = make_list(db, name="Retail again", object_type="account", kind="dynamic",
                       filters=[f"list:eq:{tagged.id}"])  # fmt: skip
    db.commit()
    r = client.get(
        f"{L}/memberships",
        headers=users.admin.headers,
        params={"record_type": "account", "record_id": str(acc.id)},
    )
    assert r.status_code == 200, r.text
    names = {row["name"] for row in r.json()["items"]}
    assert {tagged.name, nested.name} <= names


def test_a_cycle_written_past_the_check_is_a_422_when_read(db: Any, users: Any) -> None:
    """Two saves racing could still close a loop; reading it stops at the depth limit."""
    a = make_list(db, name="Loop A", kind="dynamic", filters=["title:eq:CEO"])
    b = make_list(db, name="Loop B", kind="dynamic", filters=[f"list:eq:{a.id}"])
    a.filter = f"list:eq:{b.id}"  # behind the service's back
    db.flush()
    with pytest.raises(ValidationFailed) as exc:
        list_members(db, users.admin.actor, a.id, ListQuery(limit=10))
    assert exc.value.field == "filters"


def test_saved_views_take_groups_and_lists_but_not_a_list_column(db: Any, users: Any) -> None:
    from nexa.contact.repository import ContactRepository
    from nexa.view.service import save_view

    lst = make_list(db, name="For a view")
    fields = ContactRepository(db).fields()
    rep = users.rep.actor
    filters = [f"list:eq:{lst.id}", any_of(["title:eq:CEO", "title:eq:CTO"])]
    view = save_view(db, rep, "contact", name="Execs in the list", shared=False,
                     columns=["email"], filters=filters, sort=None, fields=fields)  # fmt: skip
    assert view.filters == filters
    with pytest.raises(ValidationFailed) as unknown:
        save_view(db, rep, "contact", name="Bad", shared=False, columns=["email"],
                  filters=[f"list:eq:{uuid.uuid4()}"], sort=None, fields=fields)  # fmt: skip
    assert unknown.value.field == "filter[list]"
    with pytest.raises(ValidationFailed) as column:
        save_view(db, rep, "contact", name="Col", shared=False, columns=["list"],
                  filters=[], sort=None, fields=fields)  # fmt: skip
    assert column.value.field == "columns"
