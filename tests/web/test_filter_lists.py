"""The filter builder's list membership ("is in list" with a list picker) and its "any of
these" box, whose rows become one any(...) filter (issue 19)."""

from __future__ import annotations

import re
from typing import Any

from nexa.segment.service import SystemList, add_members_as_system
from tests.factories.lead import make_lead
from tests.factories.segment import make_list
from tests.web.conftest import sign_in
from tests.web.test_filters import options


def test_is_in_list_with_a_picker(client: Any, db: Any, users: Any) -> None:
    inside = make_lead(db, users.rep.actor, last_name="Insider")
    make_lead(db, users.rep.actor, last_name="Outsider")
    show = make_list(db, name="Show visitors", object_type="lead")
    make_list(db, name="Contacts only")  # another kind of record: not offered
    add_members_as_system(db, SystemList.of(show), [inside.id])
    db.commit()
    sign_in(client, users.rep)
    row = client.get("/leads/filter-row", params={"ff": "list", "i": "1"})
    assert row.status_code == 200
    assert options(row.text, "fo1") == ["is in list", "is not in list"]
    assert options(row.text, "fv1") == ["—", "Show visitors"]
    page = client.get(f"/leads?ff=list&fo=eq&fv={show.id}")
    assert page.status_code == 200, page.text[:500]
    assert "Insider" in page.text and "Outsider" not in page.text
    assert re.search(rf'<option value="{show.id}" selected>Show visitors</option>', page.text)
    assert "Outsider" in client.get(f"/leads?ff=list&fo=ne&fv={show.id}").text
    # membership is a filter, never a column
    assert 'name="columns" value="list"' not in page.text


def test_any_of_box_matches_either_row(client: Any, db: Any, users: Any) -> None:
    make_lead(db, users.rep.actor, last_name="Alpha", company="Alpha|Co")
    make_lead(db, users.rep.actor, last_name="Bravo", company="Bravo")
    make_lead(db, users.rep.actor, last_name="Charlie", company="Charlie")
    db.commit()
    sign_in(client, users.rep)
    row = client.get("/leads/filter-row", params={"af": "company", "i": "2", "p": "a"})
    assert 'id="any-row-2"' in row.text and 'name="av"' in row.text
    page = client.get(
        "/leads",
        params=[
            ("af", "company"), ("ao", "eq"), ("av", "Alpha|Co"),
            ("af", "company"), ("ao", "eq"), ("av", "Bravo"),
        ],
    )  # fmt: skip
    assert page.status_code == 200, page.text[:500]
    text = page.text
    assert "Alpha" in text and "Bravo" in text and "Charlie" not in text
    # the box shows its rows again, the values unescaped
    assert options(text, "ao1")[0] == "contains" and 'id="any-row-3"' in text
    assert 'value="Alpha|Co"' in text
    # and a saved view keeps the group as one filter
    assert 'name="f" value="any(company:eq:Alpha\\|Co|company:eq:Bravo)"' in text


def test_a_dynamic_lists_filter_in_words_names_lists(client: Any, db: Any, users: Any) -> None:
    show = make_list(db, name="Show visitors", object_type="lead")
    dynamic = make_list(
        db,
        name="Hot visitors",
        object_type="lead",
        kind="dynamic",
        filters=[f"list:eq:{show.id}", "any(score:gte:60|status:eq:qualified)"],
    )
    db.commit()
    sign_in(client, users.marketer)
    page = client.get(f"/lists/{dynamic.id}")
    assert page.status_code == 200, page.text[:500]
    assert "In the list Show visitors" in page.text
    assert "At least one of: Score is at least 60; or Status is qualified" in page.text
    words = page.text.split('data-testid="filter-words"', 1)[1].split("</ul>", 1)[0]
    assert str(show.id) not in words  # the list by its name, not its id
