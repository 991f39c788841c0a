"""A generated population whose members have known preferred hours (issue 19's send-time
measure): leads in several time zones (their own field, inferred from the country, inferred
from the phone), each with a true hour of the week on their own wall clock, and opens drawn
around it — stored as real ``email_messages`` and ``email_events`` rows.

Per member: a true hour (Monday–Friday, 07:00–19:00 local); 3 to 24 human opens, each in a
random week of the 26 before ``END`` (so across the October/November clock changes); 80 % of
them at the true hour plus a normal spread (σ 40 minutes, centred on its half past, so some
land in the neighbouring hours), 20 % anywhere in the week; a third of the opens followed by
a click minutes later; and 0–3 machine opens (a mail proxy) at random hours, which must not
count.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nexa.models import Lead
from tests.factories.email import make_email_event, make_sent_email

END = date(2026, 11, 30)  # a Monday: the population's history ends the week before
WEEKS = 26
# (fields of the lead, the zone they imply)
PROFILES: tuple[tuple[dict[str, str], str], ...] = (
    ({"time_zone": "America/New_York"}, "America/New_York"),
    ({"time_zone": "Asia/Tokyo"}, "Asia/Tokyo"),
    ({"time_zone": "Europe/London"}, "Europe/London"),
    ({"country": "FR"}, "Europe/Paris"),
    ({"country": "IN"}, "Asia/Kolkata"),
    ({"country": "DE"}, "Europe/Berlin"),
    ({"phone": "+14155550123"}, "America/Los_Angeles"),
    ({"phone": "+12125550123", "country": "US"}, "America/New_York"),
)


@dataclass(frozen=True)
class Member:
    key: tuple[str, Any]
    zone: str
    true_hour: int  # hour of the week on the member's wall clock, 0 = Monday 00:00
    opens: int  # human opens stored (clicks and machine opens aside)


def _local_moment(week_start: date, hour_of_week: int, minute: float, zone: ZoneInfo) -> datetime:
    """A wall-clock moment in ``zone`` (arithmetic on the naive time, then read in the zone:
    right across clock changes), as UTC."""
    day = week_start + timedelta(days=hour_of_week // 24)
    naive = datetime.combine(day, time(0)) + timedelta(hours=hour_of_week % 24, minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def make_engagement_population(db: Any, *, members: int = 300, seed: int = 19) -> list[Member]:
    rng = random.Random(seed)
    first_week = END - timedelta(weeks=WEEKS)
    out: list[Member] = []
    for n in range(members):
        fields, zone_name = PROFILES[n % len(PROFILES)]
        zone = ZoneInfo(zone_name)
        lead = Lead(id=uuid.uuid4(), last_name=f"Population {n}", status="new", **fields)
        db.add(lead)  # a plain row: 300 leads through the service (scoring, routing) take ~20 s
        true_hour = rng.randrange(5) * 24 + rng.randrange(7, 20)
        opens = rng.randint(3, 24)
        events: list[tuple[Any, str, datetime, bool]] = []  # added once their messages are in
        for _ in range(opens):
            week = first_week + timedelta(weeks=rng.randrange(WEEKS))
            if rng.random() < 0.8:
                at = _local_moment(week, true_hour, rng.gauss(30, 40), zone)
            else:
                at = _local_moment(week, rng.randrange(168), rng.uniform(0, 60), zone)
            message = make_sent_email(db, "lead", lead.id, at - timedelta(hours=2), flush=False)
            events.append((message, "open", at, False))
            if rng.random() < 1 / 3:
                events.append((message, "click", at + timedelta(minutes=rng.randint(1, 9)), False))
        for _ in range(rng.randint(0, 3)):  # a proxy fetching images at any hour
            week = first_week + timedelta(weeks=rng.randrange(WEEKS))
            at = _local_moment(week, rng.randrange(168), rng.uniform(0, 60), zone)
            message = make_sent_email(db, "lead", lead.id, at, flush=False)
            events.append((message, "open", at, True))
        db.flush()
        for message, kind, at, machine in events:
            make_email_event(db, message, kind, at, machine=machine)
        out.append(Member(("lead", lead.id), zone_name, true_hour, opens))
    db.flush()
    return out
