"""The analytics page of a campaign (counters per step, the charts' data, attribution) and
the "Campaign touches" card of lead and contact pages, for those who may read them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from nexa.campaign import service
from nexa.campaign.repository import Touch, record_touches
from nexa.campaign.schemas import Enrol
from nexa.core.actor import SYSTEM
from tests.factories.campaign import make_campaign
from tests.factories.lead import make_lead
from tests.web.conftest import sign_in

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_the_analytics_page_and_the_touches_card(client: Any, db: Any, users: Any) -> None:
    campaign = make_campaign(
        db, SYSTEM, steps=[{"channel": "email", "subject": "Hi", "body": "Hi", "day": 0}]
    )
    service.move(db, SYSTEM, campaign.id, "start")
    lead = make_lead(db, SYSTEM, owner_id=users.rep.id, email="w@example.org")
    service.enrol(db, SYSTEM, campaign.id, Enrol(record_type="lead", record_ids=[lead.id]))
    step = service.CampaignRepository(db).steps(campaign.id)[0]
    for kind in ("sent", "delivered", "opened"):
        record_touches(db, [Touch(campaign.id, step.id, "lead", lead.id, "email", kind, AT)])
    db.commit()

    sign_in(client, users.marketer)
    page = client.get(f"/campaigns/{campaign.id}/analytics")
    assert page.status_code == 200, page.text[:500]
    steps = page.text.split('data-testid="ca-steps"', 1)[1].split("</tbody>", 1)[0]
    assert re.findall(r"<td>(\d+)</td>", steps)[:3] == ["1", "1", "1"]  # sent delivered opened
    data = json.loads(page.text.split('id="ca-chart-data">', 1)[1].split("</script>", 1)[0])
    assert data["days"][:1] == [  # (the enrolment is today)
        {"day": "2026-12-01", "sent": 1, "delivered": 1, "opened": 1, "clicked": 0,
         "replied": 0, "goal": 0}
    ]  # fmt: skip
    assert 'src="/static/js/campaign-charts.js"' in page.text

    sign_in(client, users.rep)
    card = client.get(f"/leads/{lead.id}/campaign-touches")
    assert card.status_code == 200
    assert campaign.name in card.text and "Opened" in card.text
    sign_in(client, users.other_rep)
    assert client.get(f"/leads/{lead.id}/campaign-touches").status_code == 404
