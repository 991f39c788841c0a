"""Evaluating the lead model on a file from outside the organization: the file is imported
into a scratch organization (its own SQLite database) and a model trained there. A flow: it
drives the import, user and scoring services; nothing touches the configured database."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nexa.auth.service import actor_for
from nexa.core.actor import SYSTEM
from nexa.core.db import make_engine, session_scope
from nexa.core.errors import Conflict
from nexa.core.events import discard_after_commit
from nexa.imports import service as imports
from nexa.intelligence import lead_baseline
from nexa.migrations import upgrade
from nexa.scoring import service as scoring
from nexa.scoring.evaluation import (
    HELD_OUT,
    Evaluation,
    Prepared,
    Progress,
    prepare_file,
    read_file,
)
from nexa.user.schemas import UserCreate
from nexa.user.service import create_user

MAX_REFUSED_SHARE = 0.01  # more rows than this not used: no model unless allow_refused


def evaluate_leads(
    source: Path,
    *,
    target: str,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    date_column: str | None = None,
    shuffle_seed: int | None = None,
    stratify: bool = False,
    maps: dict[str, str] | None = None,
    no_map: Sequence[str] = (),
    allow_refused: bool = False,
    rolling: int | None = None,
    progress: Progress | None = None,
    on_plan: Callable[[Prepared], None] | None = None,
    workdir: Path | None = None,
) -> Evaluation:
    """Import ``source`` into a scratch organization and train on it; nothing touches the
    configured database. ``on_plan`` sees the mapping and the split before the import starts.
    When more than ``MAX_REFUSED_SHARE`` of the rows are not used and ``allow_refused`` is
    False, no model is trained: the evaluation says why (``stopped``, ``reasons``).

    With ``rolling`` (K), the held-out part is cut into K consecutive slices and a model is
    trained before each on every lead created earlier (as weekly retraining does in use); the
    figures are over the pooled slice predictions, beside a plain LightGBM retrained the same
    way (``result.rolling``)."""
    from nexa.subscribers import install  # the entry points' installer (CLI, bench)

    install()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="nexa-evaluate-", dir=workdir) as folder:
        scratch = Path(folder)
        prepared_path = scratch / "history.csv"
        started = time.perf_counter()
        read_file(source)  # an unreadable file is refused before the scratch database exists
        url = f"sqlite:///{(scratch / 'scratch.db').as_posix()}"
        upgrade(url)
        engine = make_engine(url)
        try:
            with session_scope(engine=engine) as session:
                user = create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        email="evaluation@example.com",
                        full_name="Evaluation",
                        role="admin",
                        password=None,
                    ),
                )
                actor = actor_for(session, user)
                standard, unwritable = imports.import_targets("lead", historical=True)
                prepared = prepare_file(
                    source,
                    prepared_path,
                    target_column=target,
                    positive=positive,
                    exclude=exclude,
                    date_column=date_column,
                    shuffle_seed=shuffle_seed,
                    stratify=stratify,
                    standard=standard,
                    unwritable=sorted(unwritable),
                    maps=maps,
                    no_map=no_map,
                    fits=imports.field_check(session, actor, "lead", historical=True),
                )
                if on_plan is not None:
                    on_plan(prepared)
                data_import, _ = imports.start_import_from_path(
                    session,
                    actor,
                    prepared_path,
                    object_type="lead",
                    new_fields=True,
                    historical=True,
                    create_fuzzy=True,  # people of the same name are history, not twins
                    batch_size=1000,
                )
                session.commit()
                discard_after_commit(session)

                def commit() -> None:
                    session.commit()
                    discard_after_commit(session)

                def report(done: int, total: int) -> None:
                    if progress is not None:
                        progress("import", done, total)

                done = imports.run_import(
                    session, actor, data_import.id, commit=commit, progress=report
                )
                imported = done.created_count or 0
                failed = prepared.rows - imported
                reasons = imports.refusal_reasons(session, actor, data_import.id)
                if date_column is not None:  # the import's created_at is that column
                    named = f"created_at (column '{date_column}')"
                    reasons = [(r.replace("created_at", named), n) for r, n in reasons]
                not_used = imports.rows_not_written(session, actor, data_import.id)
                commit()
                timings["import"] = time.perf_counter() - started
                custom = len(scoring.custom_field_types(session))
                used = [n for n in range(prepared.rows) if n + 1 not in not_used]
                refused = [n for n in range(prepared.rows) if n + 1 in not_used]
                result = Evaluation(
                    rows=prepared.rows,
                    imported=imported,
                    failed=failed,
                    positives=prepared.positives,
                    custom_fields=custom,
                    auc=None,
                    brier=None,
                    n_train=0,
                    n_test=0,
                    seconds=timings,
                    prepared=prepared,
                    reasons=reasons,
                    converted_used=_rate(prepared.labels, used),
                    converted_refused=_rate(prepared.labels, refused),
                )
                if result.refused_share > MAX_REFUSED_SHARE and not allow_refused:
                    share = result.refused_share * 100
                    result.stopped = (
                        f"{failed} of {prepared.rows} rows ({share:.1f} %) were not used, "
                        f"more than {MAX_REFUSED_SHARE * 100:g} %"
                    )
                    return result
                started = time.perf_counter()
                if progress is not None:
                    progress("train", 0, 1)
                rolled: dict[str, Any] | None = None
                try:
                    if rolling is not None:
                        rolled = scoring.rolling_evaluation(session, actor, slices=rolling)
                    model = scoring.train_lead_model(session, actor, activate=False)
                except Conflict as exc:
                    result.stopped = (
                        f"{exc.detail}. A file sorted by its outcome does this: give its "
                        "date column (--date-column) or shuffle it (--shuffle SEED)"
                    )
                    return result
                card = dict(model.card)
                used_values = [prepared.values[n] for n in used]
                used_labels = [prepared.labels[n] for n in used]
                baseline = lead_baseline.fit(
                    used_values, used_labels, int(len(used) * (1 - HELD_OUT))
                )
                if rolled is not None:
                    plain = lead_baseline.fit_rolling(used_values, used_labels, rolled["edges"])
                    rolled["baseline"] = {
                        "auc": None if plain.auc is None else round(plain.auc, 4),
                        "brier": None if plain.brier is None else round(plain.brier, 4),
                        "max_calibration_gap": plain.worst_gap,
                        "columns": plain.columns,
                    }
                timings["train"] = time.perf_counter() - started
                discard_after_commit(session)
                session.rollback()
        finally:
            engine.dispose()
    result.auc = card["metrics"]["auc"]
    result.brier = card["metrics"]["brier"]
    result.n_train = card["data"]["training_snapshots"]
    result.n_test = card["data"]["held_out_leads"]
    result.reliability = card["metrics"]["reliability"]
    result.card = card
    result.baseline_auc = baseline.auc
    result.baseline_brier = baseline.brier
    result.baseline_columns = baseline.columns
    result.rolling = rolled
    return result


def _rate(labels: Sequence[int], rows: Sequence[int]) -> float | None:
    """The percentage of ``rows`` (positions in ``labels``) that converted."""
    return round(sum(labels[n] for n in rows) / len(rows) * 100, 1) if rows else None
