"""Evaluating the lead model on a file from outside the organization: the file is imported
into a scratch organization (its own SQLite database) and a model trained there. A flow: it
drives the import, user and scoring services; nothing touches the configured database."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from nexa.auth.service import actor_for
from nexa.core.actor import SYSTEM
from nexa.core.db import make_engine, session_scope
from nexa.core.events import discard_after_commit
from nexa.imports import service as imports
from nexa.migrations import upgrade
from nexa.scoring import service as scoring
from nexa.scoring.evaluation import Evaluation, Progress, prepare_file
from nexa.user.schemas import UserCreate
from nexa.user.service import create_user


def evaluate_leads(
    source: Path,
    *,
    target: str,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    date_column: str | None = None,
    shuffle_seed: int | None = None,
    progress: Progress | None = None,
    workdir: Path | None = None,
) -> Evaluation:
    """Import ``source`` into a scratch organization and train on it; nothing touches the
    configured database."""
    from nexa.subscribers import install  # the entry points' installer (CLI, bench)

    install()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="nexa-evaluate-", dir=workdir) as folder:
        scratch = Path(folder)
        prepared = scratch / "history.csv"
        started = time.perf_counter()
        facts = prepare_file(
            source,
            prepared,
            target_column=target,
            positive=positive,
            exclude=exclude,
            date_column=date_column,
            shuffle_seed=shuffle_seed,
        )
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
                data_import, _ = imports.start_import_from_path(
                    session,
                    actor,
                    prepared,
                    object_type="lead",
                    new_fields=True,
                    historical=True,
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
                failed = done.failed_count or 0
                commit()
                timings["import"] = time.perf_counter() - started
                custom = len(scoring.custom_field_types(session))
                started = time.perf_counter()
                if progress is not None:
                    progress("train", 0, 1)
                model = scoring.train_lead_model(session, actor, activate=False)
                timings["train"] = time.perf_counter() - started
                card = dict(model.card)
                discard_after_commit(session)
                session.rollback()
        finally:
            engine.dispose()
    return Evaluation(
        rows=facts["rows"],
        imported=imported,
        failed=failed,
        positives=facts["positives"],
        custom_fields=custom,
        auc=card["metrics"]["auc"],
        brier=card["metrics"]["brier"],
        n_train=card["data"]["training_snapshots"],
        n_test=card["data"]["held_out_leads"],
        reliability=card["metrics"]["reliability"],
        card=card,
        seconds=timings,
    )
