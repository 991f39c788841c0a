"""Channel preference (issue 19): per member, the response rate on each channel with a Beta
prior from the organization's rate, and the preferred channel; channels are a registry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from nexa.intelligence import channel_preference as cp
from tests.factories.email import make_sent_email
from tests.factories.lead import make_lead

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def _sent(db: Any, lead: Any, n: int, *, replied: int = 0, clicked: int = 0) -> None:
    for i in range(n):
        make_sent_email(
            db,
            "lead",
            lead.id,
            NOW,
            flush=False,
            replied_at=NOW if i < replied else None,
            clicks=1 if replied <= i < replied + clicked else 0,
        )
    db.flush()


@pytest.fixture
def sms_channel() -> Iterator[dict[cp.MemberKey, tuple[int, int]]]:
    """A stand-in SMS channel for the test (the real one is restored afterwards)."""
    table: dict[cp.MemberKey, tuple[int, int]] = {}

    def counts(_: Any, members: Sequence[cp.MemberKey] | None) -> cp.Counts:
        if members is None:
            return {cp.ORGANIZATION: (sum(r for r, _ in table.values()),
                                      sum(s for _, s in table.values()))}  # fmt: skip
        return {k: table[k] for k in members if k in table}

    real = cp.CHANNELS.get("sms")  # the SMS domain's own counts: put back afterwards
    cp.register_channel("sms")(counts)
    try:
        yield table
    finally:
        if real is not None:
            cp.CHANNELS["sms"] = real
        else:
            del cp.CHANNELS["sms"]


def test_email_rates_with_the_organization_prior(db: Any) -> None:
    keen, quiet, new = make_lead(db), make_lead(db), make_lead(db)
    _sent(db, keen, 10, replied=3, clicked=2)  # 5 responses of 10
    _sent(db, quiet, 30, replied=0, clicked=1)  # 1 of 30
    prefs = cp.channel_preferences(db, [("lead", keen.id), ("lead", quiet.id), ("lead", new.id)])
    org = 6 / 40
    keen_email = prefs[("lead", keen.id)].rates["email"]
    assert (keen_email.responses, keen_email.sent) == (5, 10)
    assert keen_email.organization_rate == pytest.approx(org)
    assert keen_email.rate == pytest.approx((org * 10 + 5) / 20)
    assert prefs[("lead", quiet.id)].rates["email"].rate < org < keen_email.rate  # type: ignore[operator]
    # no history: the organization's rate
    assert prefs[("lead", new.id)].rates["email"].rate == pytest.approx(org)
    assert prefs[("lead", new.id)].preferred == "email"


def test_no_history_anywhere_prefers_nothing(db: Any) -> None:
    lead = make_lead(db)
    pref = cp.channel_preferences(db, [("lead", lead.id)])[("lead", lead.id)]
    assert pref.preferred is None and pref.rates["email"].rate is None


def test_a_registered_channel_can_win(db: Any, sms_channel: dict[Any, Any]) -> None:
    texter, reader = make_lead(db), make_lead(db)
    _sent(db, texter, 10, replied=1)
    _sent(db, reader, 10, replied=6)
    sms_channel[("lead", texter.id)] = (6, 8)
    sms_channel[("lead", reader.id)] = (0, 6)
    prefs = cp.channel_preferences(db, [("lead", texter.id), ("lead", reader.id)])
    assert prefs[("lead", texter.id)].preferred == "sms"
    assert prefs[("lead", reader.id)].preferred == "email"
    assert set(prefs[("lead", texter.id)].rates) == {"email", "sms"}
