"""A lead's and a contact's page show the zone campaigns use and where it came from; the
edit form offers the zones as a select (issue 19)."""

from __future__ import annotations

from typing import Any

from tests.factories.contact import make_contact
from tests.factories.lead import make_lead
from tests.web.conftest import sign_in


def test_record_pages_show_the_zone_and_its_source(client: Any, db: Any, users: Any) -> None:
    lead = make_lead(db, users.rep.actor, country="FR")
    mine = make_contact(db, users.rep.actor, time_zone="America/New_York")
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/leads/{lead.id}")
    assert page.status_code == 200
    assert "Europe/Paris, from the country" in page.text
    form = client.get(f"/leads/{lead.id}/edit")
    assert '<option value="Europe/Paris"' in form.text
    contact_page = client.get(f"/contacts/{mine.id}")
    assert "America/New York" in contact_page.text
    assert "America/New York, from" not in contact_page.text  # its own, no source said
