"""The intelligence benchmarks: the lead model on real data, batch rescoring, scoring on create.

Run: ``.venv/bin/python bench/intelligence.py [--out BENCHMARKS.md] [--skip-uci] [--skip-deals]``

1. UCI Bank Marketing (``../shared/data/uci-bank-marketing/bank-full.csv``, 45,211 leads, not
   written by us) through ``nexa ai evaluate leads`` — the product's import into a scratch
   organization, the product's training — with ``duration`` dropped (known only after the
   call). Split by row order (the file is in date order, May 2008 → Nov 2010): train on the
   first 80 %, test on the last 20 %. For comparison the same command with ``--shuffle`` (a
   random split, the setting of the published 0.80 baseline), and with ``--rolling 20``: the
   held-out part in 20 consecutive slices, the model retrained before each on every earlier
   lead (as weekly retraining does in use), the figures pooled over the slices beside a plain
   LightGBM retrained the same way. Skipped with a message when the data folder is absent (a
   fresh clone has none).
2. Batch rescoring of 100,000 leads (synthetic, inserted straight into a scratch SQLite
   database): the first pass after a model change, and the nightly pass where little moved.
3. Scoring one lead as it is created (the in-transaction subscriber, explanation included).
4. Deals learned from a migrated history (``bench/deal_history.py``; ``--skip-deals`` leaves it
   out): 10,000 generated deals with seasonality and a known win-rate signal through
   ``nexa import deals --historical``, ``nexa ai train deals`` and ``nexa ai backtest deals
   --periods 8`` — the model's forecast error beside the stage-probability and last-period
   baselines — and the statements of one deal create before and after the history is in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "uci-bank-marketing" / "bank-full.csv"
MARK_START = "<!-- intelligence:start -->"
MARK_END = "<!-- intelligence:end -->"
GOAL_AUC = 0.80
GOAL_GAP = 5.0
ROLLING = 20
GOAL_ROLLING_AUC = 0.76
ROLLING_MARGIN = 0.01  # the rolling AUC may trail the plain rolling LightGBM by this much
GOAL_BATCH_S = 10.0
GOAL_CREATE_MS = 20.0


def _nexa() -> str:
    return str(Path(sys.executable).parent / "nexa")


def evaluate_uci(shuffle: int | None, workdir: Path, rolling: int | None = None) -> dict[str, Any]:
    env = dict(os.environ, NEXA_VAR_DIR=str(workdir), COLUMNS="120")
    cmd = [_nexa(), "ai", "evaluate", "leads", str(DATA), "--target", "y", "--exclude", "duration"]
    if shuffle is not None:
        cmd += ["--shuffle", str(shuffle)]
    if rolling is not None:
        cmd += ["--rolling", str(rolling)]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"evaluate failed:\n{done.stdout}\n{done.stderr}")
    return parse_evaluation(done.stdout, seconds)


def parse_evaluation(output: str, seconds: float) -> dict[str, Any]:
    """The figures of one `nexa ai evaluate leads` run from what it printed."""
    last = output.strip().splitlines()[-1]
    # AUC=… BASELINE_AUC=… BRIER=… BASELINE_BRIER=… [WORST_GAP=… …] HELD_OUT=… ROWS=…
    figures = dict(pair.split("=", 1) for pair in last.split())
    assert "AUC" in figures and "BRIER" in figures, last
    rows = re.findall(
        r"│\s*(\d+)\s*│\s*(\d+)\s*│\s*([\d.]+)\s*│\s*([\d.]+)\s*│\s*([+-][\d.]+)\s*│", output
    )
    chosen = re.search(r"models chosen: (.*)", output)
    model = re.search(r"model: (\S+) \(validation AUC: (.*)\)", output)
    return {
        "auc": float(figures["AUC"]),
        "brier": float(figures["BRIER"]),
        "baseline_auc": float(figures.get("BASELINE_AUC", "nan")),
        "baseline_brier": float(figures.get("BASELINE_BRIER", "nan")),
        "worst_gap": float(figures.get("WORST_GAP", "nan")),
        "baseline_worst_gap": float(figures.get("BASELINE_WORST_GAP", "nan")),
        "rows": int(figures.get("ROWS", 0)),
        # the last table printed: the pooled one with --rolling, else the model card's
        "reliability": [
            (int(a), int(b), float(c), float(d), float(e)) for a, b, c, d, e in rows[-10:]
        ],
        "chosen": chosen.group(1).strip() if chosen else None,
        "model": f"{model.group(1)} (validation AUC: {model.group(2)})" if model else None,
        "seconds": seconds,
        "output": output,
    }


def saved_evaluation(path: Path) -> dict[str, Any]:
    """``parse_evaluation`` of a run's saved output; its wall time from `time`'s report."""
    text = path.read_text()
    spent = re.search(r"real\s+(\d+)m([\d.]+)s", text)
    seconds = int(spent.group(1)) * 60 + float(spent.group(2)) if spent else float("nan")
    printed = text[: spent.start()] if spent else text
    return parse_evaluation(printed, seconds)


# ---- batch rescoring --------------------------------------------------------------------


def build_leads(url: str, n: int, closed: int, seed: int = 7) -> None:
    """``n`` leads inserted directly (no events), ``closed`` of them converted or lost with a
    signal in source, company size and a ``budget`` custom field; some calls on the timeline."""
    from sqlalchemy import insert

    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, session_scope
    from nexa.metadata import service as metadata
    from nexa.metadata.schemas import CustomFieldCreate
    from nexa.models import Activity, Lead

    rng = random.Random(seed)
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    sources = ["referral", "website", "event", "social_media", "cold_call"]
    sizes = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"]
    with session_scope(engine=engine) as session:
        metadata.create_definition(
            session,
            SYSTEM,
            CustomFieldCreate(
                object_type="lead", key="budget", label="Budget", field_type="number"
            ),
        )
        metadata.create_definition(
            session,
            SYSTEM,
            CustomFieldCreate(object_type="lead", key="plan", label="Plan", field_type="text"),
        )
        rows = []
        activities = []
        for i in range(n):
            created = now - dt.timedelta(minutes=(n - i) * 3)
            source = rng.choice(sources)
            size = rng.choice(sizes)
            budget = rng.randint(0, 100_000)
            status = "new"
            if i < closed:
                chance = 0.08 + 0.25 * (source == "referral") + budget / 400_000
                status = "converted" if rng.random() < chance else "lost"
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "first_name": "Bench",
                    "last_name": f"Lead {i}",
                    "source": source,
                    "company_size": size,
                    "status": status,
                    "lost_reason": "bench" if status == "lost" else None,
                    "status_changed_at": created + dt.timedelta(days=2) if i < closed else None,
                    "converted_at": created + dt.timedelta(days=2)
                    if status == "converted"
                    else None,
                    "custom_fields": {"budget": budget, "plan": rng.choice(["basic", "pro"])},
                    "tags": [],
                    "score_factors": [],
                    "created_at": created,
                    "updated_at": created,
                    "version": 1,
                }
            )
            if rng.random() < 0.3:
                activities.append(
                    {
                        "id": uuid.uuid4(),
                        "record_type": "lead",
                        "record_id": rows[-1]["id"],
                        "event": "call.created",
                        "summary": "Bench call",
                        "actor_name": "Bench",
                        "occurred_at": created + dt.timedelta(hours=5),
                        "data": {},
                    }
                )
        for start in range(0, len(rows), 5000):
            session.execute(insert(Lead), rows[start : start + 5000])
        for start in range(0, len(activities), 5000):
            session.execute(insert(Activity), activities[start : start + 5000])
    engine.dispose()


def rescoring(url: str) -> dict[str, Any]:
    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, session_scope
    from nexa.scoring import service as scoring

    engine = make_engine(url)
    out: dict[str, Any] = {}
    with session_scope(engine=engine) as session:
        started = time.perf_counter()
        stats = scoring.score_leads(session, None, reason="bench")
        out["scorecard_first"] = (time.perf_counter() - started, stats)
    with session_scope(engine=engine) as session:
        started = time.perf_counter()
        row = scoring.train_lead_model(session, SYSTEM, activate=False)
        out["train"] = (time.perf_counter() - started, row.n_train, row.auc)
        row.status = "active"
        session.flush()
    with session_scope(engine=engine) as session:
        started = time.perf_counter()
        stats = scoring.score_leads(session, None, reason="new model")
        out["model_first"] = (time.perf_counter() - started, stats)
    with session_scope(engine=engine) as session:
        started = time.perf_counter()
        stats = scoring.score_leads(session, None, reason="nightly")
        out["model_nightly"] = (time.perf_counter() - started, stats)
    engine.dispose()
    return out


def create_latency(url: str, n: int = 200) -> dict[str, float]:
    """What scoring adds to a lead's creation (learned model active, explanation included):
    the service create timed with the scoring subscriber and with it replaced by a no-op,
    interleaved so both see the same machine."""
    import nexa.scoring.subscribers as subscribers
    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, session_scope
    from nexa.lead.schemas import LeadCreate
    from nexa.lead.service import LeadService

    engine = make_engine(url)
    original = subscribers.score_leads
    timings: dict[bool, list[float]] = {True: [], False: []}

    def no_op(*args: Any, **kwargs: Any) -> dict[str, int]:
        return {}

    try:
        with session_scope(engine=engine) as session:
            for i in range(2 * n):
                scored = i % 2 == 0
                subscribers.score_leads = original if scored else no_op
                started = time.perf_counter()
                LeadService(session, SYSTEM).create(
                    LeadCreate(
                        last_name=f"Created {i}",
                        source="referral",
                        company_size="51-200",
                        custom_fields={"budget": 5000 + i},
                        allow_duplicates=True,
                    )
                )
                session.flush()
                timings[scored].append((time.perf_counter() - started) * 1000)
                if i % 50 == 49:
                    session.commit()
    finally:
        subscribers.score_leads = original
        engine.dispose()
    with_score = sorted(timings[True][10:])
    without = sorted(timings[False][10:])
    return {
        "create_p50": statistics.median(with_score),
        "create_p95": with_score[int(len(with_score) * 0.95)],
        "baseline_p50": statistics.median(without),
        "added_p50": statistics.median(with_score) - statistics.median(without),
    }


# ---- report -----------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌ missed"


def kept_uci_block(out: Path) -> str | None:
    """The UCI part of the last report (``--skip-uci`` re-measures only the rest)."""
    text = out.read_text() if out.exists() else ""
    start = text.find("### UCI Bank Marketing")
    end = text.find("### Batch rescoring", start)
    return text[start:end] if start >= 0 and end > start else None


def report(
    uci: dict[str, Any] | None,
    shuffled: dict[str, Any] | None,
    scale: dict[str, Any],
    latency: dict[str, float],
    leads: int,
    kept_uci: str | None = None,
    rolled: dict[str, Any] | None = None,
) -> str:
    lines = [MARK_START, "## Intelligence: lead scoring", ""]
    lines.append(
        f"Measured {dt.date.today()} on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}); "
        "run `.venv/bin/python bench/intelligence.py`."
    )
    lines.append("")
    if uci is None and kept_uci:
        lines.append(kept_uci.rstrip())
    elif uci is None:
        lines.append(
            "UCI Bank Marketing: skipped — ../shared/data/uci-bank-marketing/bank-full.csv is "
            "not here (a fresh clone has no shared data folder)."
        )
    else:
        worst = max(abs(r[4]) for r in uci["reliability"]) if uci["reliability"] else float("nan")
        lines += [
            "### UCI Bank Marketing, bank-full.csv (45,211 leads, `duration` dropped)",
            "",
            "`nexa ai evaluate leads bank-full.csv --target y --exclude duration`: the product's "
            "import (15 unknown columns became custom fields) into a scratch organization and "
            "the product's training.",
            "",
            "| split | held-out AUC | Brier | worst decile gap | goal | time |",
            "|---|---|---|---|---|---|",
            f"| by row order (= time): first 80 % train, last 20 % test | {uci['auc']:.4f} | "
            f"{uci['brier']:.4f} | {worst:.1f} pts | "
            f"AUC ≥ {GOAL_AUC} {_mark(uci['auc'] >= GOAL_AUC)}, "
            f"gap ≤ {GOAL_GAP} {_mark(worst <= GOAL_GAP)} | {uci['seconds']:.0f} s |",
        ]
        if shuffled is not None:
            worst_s = max(abs(r[4]) for r in shuffled["reliability"])
            lines.append(
                "| random (rows shuffled, seed 2026; for comparison only) | "
                f"{shuffled['auc']:.4f} | "
                f"{shuffled['brier']:.4f} | {worst_s:.1f} pts | — | {shuffled['seconds']:.0f} s |"
            )
        lines += ["", "Reliability on the time-ordered hold-out (equal-count deciles):", ""]
        lines += ["| decile | leads | predicted % | observed % | gap |", "|---|---|---|---|---|"]
        lines += [
            f"| {b} | {n} | {p:.1f} | {o:.1f} | {g:+.1f} |" for b, n, p, o, g in uci["reliability"]
        ]
        lines += [
            "",
            "Why the time split misses: the last 20 % of the file converted at 31.6 % against "
            "6.7 % in the first 80 % (47 % in the last tenth; the bank changed its campaigns in "
            "2009–2010), and the month/day columns carry no year. No model trained on the first "
            "80 % gets near 0.80 on the last 20 %: `bench/uci_baselines.py` (plain LightGBM "
            "outside the product, measured 2026-11-30) gives 0.585 with all columns, 0.678 "
            "without month/day, 0.701 trained on the newest rows only, 0.697 for the best of 24 "
            "settings tuned on the hold-out itself, and 0.656 on bank-additional-full.csv with "
            "the macro-economic columns Moro et al. used; the row number alone ranks the "
            "hold-out at 0.730 (conversion climbs within it). Only a rolling origin that "
            "retrains before each twentieth of the hold-out — what weekly retraining does in "
            "use — reaches 0.768 with a worst decile gap of 4.7 points. On a random split the "
            "product reaches the 5-fold baseline (0.80). The model card says so in its notes "
            "when the held-out conversion rate differs this much from training.",
        ]
        if uci.get("model"):
            lines += ["", f"Model chosen on the time split: {uci['model']}."]
        if rolled is not None:
            auc, plain = rolled["auc"], rolled["baseline_auc"]
            gap = rolled["worst_gap"]
            ok_auc = auc >= GOAL_ROLLING_AUC and auc >= plain - ROLLING_MARGIN
            lines += [
                "",
                f"### Rolling: `--rolling {ROLLING}` (retrained before each of {ROLLING} slices "
                "of the hold-out)",
                "",
                f"`nexa ai evaluate leads bank-full.csv --target y --exclude duration --rolling "
                f"{ROLLING}`: the held-out 20 % in {ROLLING} consecutive slices; before each, the "
                "product's training (nothing stored) on every lead created earlier — what weekly "
                "retraining does in use. Figures over the pooled slice predictions, beside a plain "
                "LightGBM on the file's columns and the creation order retrained the same way "
                "(`bench/uci_baselines.py`'s rolling origin) in the same run.",
                "",
                "| model | pooled AUC | Brier | worst decile gap | goal | time |",
                "|---|---|---|---|---|---|",
                f"| the product (retrained {ROLLING}×) | {auc:.4f} | {rolled['brier']:.4f} | "
                f"{gap:.1f} pts | AUC ≥ {GOAL_ROLLING_AUC} and ≥ baseline − {ROLLING_MARGIN} "
                f"{_mark(ok_auc)}, every decile within ±{GOAL_GAP:.0f} pts "
                f"{_mark(gap <= GOAL_GAP)} | {rolled['seconds']:.0f} s (whole command) |",
                f"| plain rolling LightGBM | {plain:.4f} | {rolled['baseline_brier']:.4f} | "
                f"{rolled['baseline_worst_gap']:.1f} pts | — | (in the same run) |",
                "",
                f"Models chosen per slice: {rolled.get('chosen') or '—'}.",
                "",
                "Pooled reliability over the slices (equal-count deciles):",
                "",
                "| decile | leads | predicted % | observed % | gap |",
                "|---|---|---|---|---|",
            ]
            lines += [
                f"| {b} | {n} | {p:.1f} | {o:.1f} | {g:+.1f} |"
                for b, n, p, o, g in rolled["reliability"]
            ]
    first_s, first = scale["model_first"]
    nightly_s, nightly = scale["model_nightly"]
    card_s, card_stats = scale["scorecard_first"]
    train_s, n_train, auc = scale["train"]
    lines += [
        "",
        f"### Batch rescoring of {leads:,} leads (scratch SQLite, synthetic leads)",
        "",
        "| pass | time | rescored | explained | goal |",
        "|---|---|---|---|---|",
        f"| scorecard, first pass (every lead new) | {card_s:.1f} s | {card_stats['rescored']:,} | "
        f"{card_stats['explained']:,} | < {GOAL_BATCH_S:.0f} s {_mark(card_s < GOAL_BATCH_S)} |",
        f"| learned model, first pass after activation | {first_s:.1f} s | {first['rescored']:,} | "
        f"{first['explained']:,} (the rest on demand) | < {GOAL_BATCH_S:.0f} s "
        f"{_mark(first_s < GOAL_BATCH_S)} |",
        f"| learned model, nightly pass | {nightly_s:.1f} s | {nightly['rescored']:,} | "
        f"{nightly['explained']:,} | < {GOAL_BATCH_S:.0f} s {_mark(nightly_s < GOAL_BATCH_S)} |",
        "",
        f"Training on {n_train:,} closed-lead snapshots took {train_s:.1f} s (held-out AUC "
        f"{auc:.3f} on the synthetic signal).",
        "",
        "### Scoring one lead as it is created (learned model active, explanation included)",
        "",
        f"A service create with scoring p50 {latency['create_p50']:.1f} ms (p95 "
        f"{latency['create_p95']:.1f} ms), without it {latency['baseline_p50']:.1f} ms: "
        f"scoring adds {latency['added_p50']:.1f} ms at the median (goal < "
        f"{GOAL_CREATE_MS:.0f} ms {_mark(latency['added_p50'] < GOAL_CREATE_MS)}). "
        "The create itself includes the audit row, "
        "timeline entry, search document, enrichment and routing.",
        MARK_END,
    ]
    return "\n".join(lines)


def write(out: Path, section: str) -> None:
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    if MARK_START in text:
        before = text.split(MARK_START)[0]
        after = text.split(MARK_END, 1)[1] if MARK_END in text else ""
        text = before + section + after
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    out.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--skip-uci", action="store_true")
    parser.add_argument(
        "--skip-deals", action="store_true", help="leave out the 10,000-deal history run"
    )
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument(
        "--uci-outputs",
        type=Path,
        help="a folder with the printed output of the three UCI runs (time.out, shuffle.out, "
        "rolling.out, each ending with `time`'s report): report them instead of running them",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexa-bench-ai-") as folder:
        work = Path(folder)
        os.environ["NEXA_VAR_DIR"] = str(work)
        uci = shuffled = rolled = None
        if args.uci_outputs is not None:
            uci, shuffled, rolled = (
                saved_evaluation(args.uci_outputs / name)
                for name in ("time.out", "shuffle.out", "rolling.out")
            )
        elif args.skip_uci:
            print("UCI evaluation skipped (--skip-uci)")
        elif not DATA.exists():
            print(f"UCI evaluation skipped: {DATA} is not here (no shared data folder)")
        else:
            uci = evaluate_uci(None, work)
            print(f"UCI time split: AUC={uci['auc']} BRIER={uci['brier']} ({uci['seconds']:.0f} s)")
            shuffled = evaluate_uci(2026, work)
            print(f"UCI random split: AUC={shuffled['auc']} BRIER={shuffled['brier']}")
            rolled = evaluate_uci(None, work, rolling=ROLLING)
            print(
                f"UCI rolling {ROLLING}: AUC={rolled['auc']} BASELINE_AUC={rolled['baseline_auc']} "
                f"WORST_GAP={rolled['worst_gap']} ({rolled['seconds']:.0f} s)"
            )
        url = f"sqlite:///{(work / 'scale.db').as_posix()}"
        os.environ["NEXA_DATABASE_URL"] = url
        from nexa.migrations import upgrade
        from nexa.subscribers import install

        install()
        upgrade(url)
        build_leads(url, args.leads, closed=min(20_000, args.leads // 5))
        scale = rescoring(url)
        print({k: (round(v[0], 2), v[1]) for k, v in scale.items() if k != "train"})
        latency = create_latency(url)
        print(latency)
        kept = kept_uci_block(args.out) if args.skip_uci else None
        write(args.out, report(uci, shuffled, scale, latency, args.leads, kept, rolled))
        if args.skip_deals:
            print("deal history skipped (--skip-deals)")
        else:  # import, train and backtest a generated deal history (bench/deal_history.py)
            sys.path.insert(0, str(ROOT / "bench"))
            import deal_history

            deals_dir = work / "deals"
            deals_dir.mkdir()
            section = deal_history.report(deal_history.run(deals_dir, args.deals))
            print(section)
            deal_history.write(args.out, section)


if __name__ == "__main__":
    main()
