"""`nexa ai train deals` and `nexa ai backtest deals`: the deal win model and the replay of
past forecasts, from the command line."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nexa.cli.ai import ai_group
from nexa.cli.shared import console, readable_errors, ready_to_write

train_app = ai_group("train", "Train a model on this organization's records.")
backtest_app = ai_group("backtest", "Replay past periods and measure the forecast's error.")


def print_card(report: dict[str, Any]) -> None:
    out = console()
    if not report["trained"]:
        out.print(f"[yellow]![/] not trained: {report['message']}")
        out.print(f"closed deals: {report['closed_deals']} of {report['needed']} needed")
        return
    card = report["card"]
    data, metrics = card["data"], card["metrics"]
    out.print(f"[green]✓[/] {report['model']} is active ({report['message']})")
    out.print(
        f"data: {data['closed_deals']} closed deals, {data['snapshots']} stage snapshots "
        f"({data['train']} train / {data['test']} held out, {data['split']})"
    )
    out.print(
        f"held-out AUC {metrics['auc']}  Brier {metrics['brier']} "
        f"(predicting the base rate: {metrics['base_rate_brier']})"
    )
    out.print(
        f"baseline: the stage probabilities, Brier {metrics.get('stage_brier')} on the same "
        "snapshots; "
        + (
            "the model beats it: deals show the model's win probability"
            if card.get("beats_stage")
            else "the model does not beat it: deals show their stage's probability"
        )
    )
    out.print("reliability (predicted → observed win rate):")
    for b in card["reliability"]:
        out.print(f"  n={b['n']:<4} {b['predicted']:.2f} → {b['observed']:.2f}")
    out.print("top features:")
    for f in card["top_features"][:6]:
        out.print(f"  {f['feature']:<26} {f['importance']:.1%}")
    out.print(f"open deals rescored: {report['rescored']}")


@train_app.command("deals")
def train_deals() -> None:
    """Train the deal win model on the closed deals and print its model card."""
    from nexa.core.actor import SYSTEM
    from nexa.core.db import session_scope
    from nexa.forecast.service import train_deal_model

    ready_to_write()
    with readable_errors(), session_scope() as session:
        report = train_deal_model(session, SYSTEM)
    print_card(report)
    if not report["trained"]:
        raise typer.Exit(code=2)


@backtest_app.command("deals")
def backtest_deals(
    periods: Annotated[int, typer.Option(min=1, max=24, help="How many past periods")] = 4,
    unit: Annotated[str, typer.Option(help="quarter or month")] = "quarter",
) -> None:
    """Replay the last complete periods from stage history: the forecast and two baselines
    vs closed-won revenue. The result is recorded: the forecast page and API name the method
    with the lowest error."""
    from nexa.core.db import session_scope
    from nexa.forecast.backtest import backtest

    ready_to_write()
    with readable_errors(), session_scope() as session:
        result = backtest(session, periods, unit=unit, record=True)
    print_backtest(result)


def figure(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "nan"


def _pct(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "-"


METHOD_NAMES = {"model": "the model", "stage": "stage probability", "last_period": "last period"}


def print_backtest(result: dict[str, Any]) -> None:
    """Per period the model's forecast and band, the two baselines and the actual, each
    forecast's APE; then the MAPEs, the band's coverage, the method that won, and the last
    line ``MAPE=… STAGE_MAPE=… LAST_PERIOD_MAPE=… COVERAGE_P10_P90=… CALIBRATED_COVERAGE=…
    PERIODS=…``."""
    out = console()
    out.print(
        f"{'period':<10} {'deals':>5} {'predictor':<10} {'model':>12} {'P10':>12} {'P90':>12} "
        f"{'stage-p':>12} {'last period':>12} {'actual':>12} {'model APE':>9} "
        f"{'stage APE':>9} {'last APE':>9}"
    )
    for r in result["periods"]:
        out.print(
            f"{r['period']:<10} {r['open_deals']:>5} {r['predictor']:<10} {r['forecast']:>12,.0f} "
            f"{r['p10']:>12,.0f} {r['p90']:>12,.0f} {r['baseline_forecast']:>12,.0f} "
            f"{r['last_period_forecast']:>12,.0f} {r['actual']:>12,.0f} {_pct(r['ape']):>9} "
            f"{_pct(r['baseline_ape']):>9} {_pct(r['last_period_ape']):>9}"
        )
    rows = result["periods"]
    inside = sum(1 for r in rows if r["within_p10_p90"])
    out.print(
        f"MAPE: model {_pct(result['mape'])}, stage probability {_pct(result['stage_mape'])}, "
        f"last period {_pct(result['last_period_mape'])} "
        "(periods without closed-won revenue have no APE)"
    )
    out.print(
        f"P10–P90 coverage: {inside} of {len(rows)} actuals inside the model's simulated band"
    )
    winner = result["winner"]
    calibrated = result["calibration"][winner or "model"]
    out.print(
        f"the forecast's band, calibrated on the residuals of {METHOD_NAMES[winner or 'model']} "
        f"over {len(calibrated['ratios'])} periods: leave-one-period-out coverage "
        + (
            _pct(calibrated["coverage"])
            if calibrated["coverage"] is not None
            else "not measured (needs 4 periods with a forecast; the band needs 3)"
        )
    )
    out.print(
        f"lowest error: {METHOD_NAMES[winner]} (recorded; the forecast page and API say so)"
        if winner
        else "lowest error: none (no period with closed-won revenue)"
    )
    out.print(
        f"MAPE={figure(result['mape'])} STAGE_MAPE={figure(result['stage_mape'])} "
        f"LAST_PERIOD_MAPE={figure(result['last_period_mape'])} "
        f"COVERAGE_P10_P90={figure(result['coverage_p10_p90'])} "
        f"CALIBRATED_COVERAGE={figure(calibrated['coverage'])} PERIODS={len(rows)}"
    )
