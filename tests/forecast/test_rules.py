"""Pure parts of the forecast: risk rules one by one, no leakage, cold start, Monte Carlo
bounds, periods, predicted close."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from nexa.intelligence import deal_model
from nexa.intelligence.deal_features import (
    DealFacts,
    FeatureRow,
    History,
    StageEntry,
    StageInfo,
    features_as_of,
    risk_factors,
    snapshot_times,
)
from nexa.intelligence.forecast import (
    parse_period,
    past_periods,
    period_errors,
    predicted_close,
    simulate_revenue,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)
PIPE = uuid.uuid4()
STAGES = {
    (PIPE, "qualification"): StageInfo("qualification", "Qualification", 25, "open", 1),
    (PIPE, "proposal"): StageInfo("proposal", "Proposal", 50, "open", 2, stall_after_days=20),
    (PIPE, "closed_won"): StageInfo("closed_won", "Closed won", 100, "won", 4),
    (PIPE, "closed_lost"): StageInfo("closed_lost", "Closed lost", 0, "lost", 5),
}


def facts(path: list[tuple[str, int]], **kw: object) -> DealFacts:
    """A deal entering each stage ``days`` after T0."""
    entries = [StageEntry(T0 + timedelta(days=d), s) for s, d in path]
    f = DealFacts(
        deal_id=uuid.uuid4(),
        owner_id=kw.pop("owner_id", None),  # type: ignore[arg-type]
        pipeline_id=PIPE,
        created_at=entries[0].at,
        entries=entries,
        amount_org=10000.0,
        amount=10000.0,
    )
    for key, value in kw.items():
        setattr(f, key, value)
    last = path[-1][0]
    if last.startswith("closed"):
        f.outcome = "won" if last == "closed_won" else "lost"
        f.closed_at = entries[-1].at
    return f


def won_history() -> History:
    """Won deals spent 10, 12, 14, 16 days in proposal (75th percentile 14.5)."""
    return History(
        [
            facts([("qualification", 0), ("proposal", 5), ("closed_won", 5 + d)])
            for d in (10, 12, 14, 16)
        ]
        + [facts([("qualification", 0), ("proposal", 3), ("closed_lost", 60)])]
    )


def row_for(f: DealFacts, t: datetime, history: History | None = None) -> FeatureRow:
    history = history or won_history()
    row = features_as_of(f, t, history.norms(t), STAGES)
    assert row is not None
    return row


def rules(f: DealFacts, t: datetime, **kw: object) -> set[str]:
    history = won_history()
    row = row_for(f, t, history)
    return {r["rule"] for r in risk_factors(row, history.norms(t), t, **kw)}  # type: ignore[arg-type]


NOW = T0 + timedelta(days=120)
CONTACTS = [(T0, "a"), (T0, "b")]


def healthy(days_in_stage: int = 5, **kw: object) -> DealFacts:
    start = 120 - days_in_stage
    kw.setdefault("contacts", CONTACTS)
    kw.setdefault("activities", [NOW - timedelta(days=2)])
    return facts([("qualification", start - 5), ("proposal", start)], **kw)


def test_a_healthy_deal_has_no_risk() -> None:
    assert rules(healthy(), NOW) == set()


def test_stalled_beyond_the_75th_percentile_of_won_deals() -> None:
    assert "stalled" not in rules(healthy(14), NOW)
    assert "stalled" in rules(healthy(15), NOW)
    row = row_for(healthy(15), NOW)
    label = risk_factors(row, won_history().norms(NOW), NOW)[0]["label"]
    assert "15 days in Proposal" in label and "75th percentile" in label


def test_stalled_falls_back_to_the_stage_stall_limit() -> None:
    empty = History([])
    f = healthy(21)
    row = features_as_of(f, NOW, empty.norms(NOW), STAGES)
    assert row is not None
    found = {r["rule"]: r["label"] for r in risk_factors(row, empty.norms(NOW), NOW)}
    assert "stalled" in found and "stall limit" in found["stalled"]
    row = features_as_of(healthy(19), NOW, empty.norms(NOW), STAGES)
    assert row is not None
    assert "stalled" not in {r["rule"] for r in risk_factors(row, empty.norms(NOW), NOW)}


def test_no_stall_warning_before_a_week_even_when_won_deals_were_quicker() -> None:
    """Won deals that went through qualification in seconds (a migrated history, moves made
    by a script) give a 75th percentile of a fraction of a day: a deal there for a minute is
    not stalled, nor one there for six days; after a week it is, and the label says why."""
    won = []
    for seconds in (1, 2, 3, 5):
        f = facts([("qualification", 0), ("proposal", 0), ("closed_won", 10)])
        f.entries[1] = StageEntry(T0 + timedelta(seconds=seconds), "proposal")
        won.append(f)
    norms = History(won).norms(NOW)
    assert 0 < norms.p75_won_days["qualification"] < 1
    for age, stalled in ((timedelta(minutes=1), False), (timedelta(days=6.9), False)):
        deal = facts([("qualification", 0)], contacts=CONTACTS)
        deal.entries = [StageEntry(NOW - age, "qualification")]
        deal.created_at = NOW - age
        row = features_as_of(deal, NOW, norms, STAGES)
        assert row is not None
        found = {r["rule"]: r["label"] for r in risk_factors(row, norms, NOW)}
        assert ("stalled" in found) is stalled, found
    deal = facts([("qualification", 0)], contacts=CONTACTS)
    deal.entries = [StageEntry(NOW - timedelta(days=8), "qualification")]
    row = features_as_of(deal, NOW, norms, STAGES)
    assert row is not None
    found = {r["rule"]: r["label"] for r in risk_factors(row, norms, NOW)}
    assert found["stalled"] == "Stalled: 8 days in Qualification (over 7, the 7-day minimum)"


def test_a_stage_stall_limit_under_a_week_waits_a_week() -> None:
    fast = dict(STAGES)
    fast[(PIPE, "proposal")] = StageInfo("proposal", "Proposal", 50, "open", 2, stall_after_days=2)
    empty = History([])
    for days, stalled in ((3, False), (6, False), (8, True)):
        row = features_as_of(healthy(days), NOW, empty.norms(NOW), fast)
        assert row is not None
        rules_found = {r["rule"] for r in risk_factors(row, empty.norms(NOW), NOW)}
        assert ("stalled" in rules_found) is stalled, days


def test_no_activity_in_14_days() -> None:
    assert "no_activity" not in rules(healthy(activities=[NOW - timedelta(days=13)]), NOW)
    assert "no_activity" in rules(healthy(activities=[NOW - timedelta(days=14)]), NOW)
    assert "no_activity" in rules(healthy(10, activities=[]), NOW)  # 15 days old, silent
    assert "no_activity" not in rules(healthy(5, activities=[]), NOW)  # 10 days old


def test_close_date_in_the_past() -> None:
    assert "close_date_past" not in rules(healthy(close_date=NOW.date()), NOW)
    found = rules(healthy(close_date=NOW.date() - timedelta(days=1)), NOW)
    assert "close_date_past" in found


def test_close_date_pushed_twice() -> None:
    once = {"close_date": [(T0, "2026-07-01", "2026-08-01")]}
    twice = {
        "close_date": [*once["close_date"], (T0 + timedelta(days=1), "2026-08-01", "2026-12-20")]
    }
    assert "close_date_pushed" not in rules(
        healthy(changes=once, close_date=date(2026, 12, 20)), NOW
    )
    assert "close_date_pushed" in rules(healthy(changes=twice, close_date=date(2026, 12, 20)), NOW)
    # pulling a date in is not a push
    pulled = {"close_date": [(T0, "2026-12-01", "2026-11-01"), (T0, "2026-11-01", "2026-10-01")]}
    assert "close_date_pushed" not in rules(
        healthy(changes=pulled, close_date=date(2026, 12, 20)), NOW
    )


def test_single_threaded() -> None:
    assert "single_threaded" in rules(healthy(contacts=[(T0, "a")]), NOW)
    assert "single_threaded" in rules(healthy(contacts=[]), NOW)
    assert "single_threaded" not in rules(healthy(), NOW)


def test_competitor_present() -> None:
    assert "competitor" in rules(healthy(competitors=1), NOW)
    assert "competitor" not in rules(healthy(competitors=0), NOW)


def test_discount_requested() -> None:
    assert "discount" in rules(healthy(), NOW, discount=True)
    assert "discount" not in rules(healthy(), NOW, discount=False)


def test_a_stage_change_after_t_never_changes_features_as_of_t() -> None:
    t = T0 + timedelta(days=20)
    before = facts([("qualification", 0), ("proposal", 10)], contacts=CONTACTS)
    after = facts(
        [("qualification", 0), ("proposal", 10), ("closed_won", 30)],
        contacts=[*CONTACTS, (T0 + timedelta(days=25), "c")],
        activities=[T0 + timedelta(days=26)],
        changes={
            "close_date": [(T0 + timedelta(days=28), "2026-07-01", "2026-09-01")],
            "competitors": [(T0 + timedelta(days=27), [], ["Rival"])],
        },
        close_date=date(2026, 9, 1),
        competitors=1,
    )
    before.close_date = date(2026, 7, 1)
    after.deal_id = before.deal_id
    # both histories as the organization knew them; the later close changes nothing at t
    h_before, h_after = History([before]), History([after])
    a = features_as_of(before, t, h_before.norms(t), STAGES)
    b = features_as_of(after, t, h_after.norms(t), STAGES)
    assert a is not None and b is not None
    assert a.vector() == pytest.approx(b.vector(), nan_ok=True)
    assert features_as_of(after, T0 - timedelta(days=1), h_after.norms(t), STAGES) is None


def test_norms_only_count_deals_closed_by_the_cutoff() -> None:
    h = won_history()
    early = h.norms(T0 + timedelta(days=10))
    assert early.p75_won_days == {} and early.org_win_rate is None
    late = h.norms(T0 + timedelta(days=100))
    assert late.p75_won_days["proposal"] == pytest.approx(14.5)
    assert late.org_win_rate == pytest.approx(0.8)


def test_training_snapshots_stop_before_the_close() -> None:
    f = facts([("qualification", 0), ("proposal", 20), ("closed_won", 90)])
    times = snapshot_times(f)
    assert times[0] == T0 and all(t < f.closed_at for t in times)  # type: ignore[operator]
    assert T0 + timedelta(days=14) in times and T0 + timedelta(days=20 + 60) in times


def test_cold_start_lowers_old_and_silent_deals() -> None:
    h = won_history()
    fresh = deal_model.cold_start(row_for(healthy(5), NOW, h), h.norms(NOW))[0]
    stalled = deal_model.cold_start(row_for(healthy(40), NOW, h), h.norms(NOW))
    silent = deal_model.cold_start(row_for(healthy(10, activities=[]), NOW, h), h.norms(NOW))[0]
    assert fresh >= 0.5 > stalled[0] and silent < 0.5
    assert any("days in Proposal" in f["label"] and f["points"] < 0 for f in stalled[1])


# ---- Monte Carlo -----------------------------------------------------------------------------
def test_monte_carlo_bounds() -> None:
    amounts = [1000, 5000, 20000, 750, 3000]
    sim = simulate_revenue(amounts, [0.1, 0.5, 0.3, 0.9, 0.6], simulations=5000, seed=4)
    assert 0 <= sim.p10 <= sim.p50 <= sim.p90 <= sum(amounts)
    again = simulate_revenue(amounts, [0.1, 0.5, 0.3, 0.9, 0.6], simulations=5000, seed=4)
    assert again == sim  # seeded


def test_monte_carlo_certain_outcomes() -> None:
    sure = simulate_revenue([100, 200, 300], [1, 1, 1], simulations=1000, seed=1)
    assert sure.p10 == sure.p50 == sure.p90 == 600
    none = simulate_revenue([100, 200, 300], [0, 0, 0], simulations=1000, seed=1)
    assert none.p10 == none.p50 == none.p90 == 0
    assert simulate_revenue([], [], simulations=10).p90 == 0


def test_monte_carlo_mean_is_the_weighted_forecast() -> None:
    amounts, probs = [1000.0] * 50, [0.4] * 50
    sim = simulate_revenue(amounts, probs, simulations=20000, seed=2)
    assert math.isclose(sim.mean, 20000, rel_tol=0.02)


# ---- periods, close dates, errors ------------------------------------------------------------
def test_periods() -> None:
    assert parse_period("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert parse_period("2026-13") is None and parse_period("Q4") is None
    assert past_periods(date(2026, 11, 30), 2) == [
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
    ]
    assert past_periods(date(2026, 11, 30), 1, "month") == [(date(2026, 10, 1), date(2026, 10, 31))]


def test_predicted_close_from_won_deals_remaining_time() -> None:
    h = won_history()
    row = row_for(healthy(5), NOW, h)
    # won deals took 10–16 days from entering proposal (median 13): entered 5 days ago
    assert predicted_close(row, h.norms(NOW), NOW.date()) == NOW.date() + timedelta(days=8)
    late = row_for(healthy(40), NOW, h)
    assert predicted_close(late, h.norms(NOW), NOW.date()) == NOW.date() + timedelta(days=7)


def test_period_errors() -> None:
    assert period_errors(120.0, 100.0) == {"error": 20.0, "abs_error": 20.0, "ape": 0.2}
    assert period_errors(50.0, 0.0)["ape"] is None


def test_auc_by_ranks() -> None:
    assert deal_model.auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert deal_model.auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert deal_model.auc([1, 1], [0.2, 0.3]) is None
