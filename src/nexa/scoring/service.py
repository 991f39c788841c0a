"""Lead scoring: every lead gets a 0–100 score with its model version, time and factors.

* Cold start: the scorecard (nexa.intelligence.scorecard) whose weights admins see and tune.
* Once the organization has enough closed leads, a learned model (nexa.intelligence.lead_model)
  trained on them — through ``train_lead_model`` (`nexa ai train leads`, the admin page, the
  weekly job) — becomes the active one; admins can roll back to any earlier version.
* Scores follow events (created, edited, a call, a meeting, a reply, a form) in the same
  transaction, and a nightly batch rescore keeps recency-based features fresh. Explanations
  are recomputed when a score moves by 5 points or more, and on demand when a person opens
  the lead (per-row contributions are the slow part of scoring).
"""

from __future__ import annotations

import gc
import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nexa.core.actor import Actor
from nexa.core.cache import TableCache
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.intelligence import lead_features as features
from nexa.intelligence import lead_model, metrics, scorecard
from nexa.intelligence.bands import display_band
from nexa.intelligence.lead_facts import LeadFacts, engagement_features
from nexa.lead.repository import LeadRepository
from nexa.metadata import service as metadata
from nexa.models import Lead, MLModel, OrgSetting
from nexa.scoring import repository as repo
from nexa.scoring.events import LeadModelActivated, LeadModelTrained

KIND = "lead_score"
SCORECARD_KEY = "scoring.scorecard"
EXPLAIN_MOVE = 5  # points a score must move before its explanation is recomputed
SECOND_SNAPSHOT = timedelta(days=7)


# ---- the active scorer -------------------------------------------------------------------


@dataclass
class Scored:
    """A scorer's output for a batch of leads."""

    values: np.ndarray  # the 0–100 scores
    probabilities: np.ndarray | None  # learned model only
    matrix: np.ndarray | None  # the learned model's features, to explain from


@dataclass
class Scorer:
    """What scores leads right now: a learned model or the scorecard."""

    version: str
    model: lead_model.LeadModel | None
    weights: dict[str, Any]  # the admin's scorecard changes
    complete_weights: dict[str, Any] = field(init=False)  # merged once per scorer

    def __post_init__(self) -> None:
        self.complete_weights = scorecard.merged(self.weights)

    @property
    def fields(self) -> list[str]:
        """The standard fields the scorer reads."""
        if self.model is None:
            return list(scorecard.FIELDS)
        return [name for name in self.model.space.names if name in features.STANDARD_FIELDS]

    @property
    def custom_keys(self) -> list[str]:
        """The custom fields the scorer reads (the scorecard reads none)."""
        if self.model is None:
            return []
        names = [*self.model.space.names, *self.model.text_fields]
        keys = [name.removeprefix("custom.") for name in names if name.startswith("custom.")]
        return list(dict.fromkeys(keys))

    @property
    def reads_description(self) -> bool:
        """Whether the scorer reads the description's text (a learned model's text part)."""
        return self.model is not None and "description" in self.model.text_fields

    def score(self, facts: LeadFacts) -> Scored:
        """Every lead's score, column by column."""
        if self.model is None:
            return Scored(scorecard.scores(facts, self.complete_weights), None, None)
        matrix = self.model.encode_columns(facts.columns(), len(facts))
        probabilities = self.model.probability(matrix) if len(facts) else np.zeros(0)
        values = np.rint(probabilities * 100).astype(np.int64)  # round() of each
        return Scored(values, probabilities, matrix)

    def explain(self, facts: LeadFacts, scored: Scored, rows: np.ndarray) -> list[list[Any]]:
        """The factors of leads ``rows`` (indexes into ``facts``), best first."""
        if self.model is None or scored.matrix is None or scored.probabilities is None:
            return [scorecard.score_with(facts.row(i), self.complete_weights)[1] for i in rows]
        return self.model.explain(scored.matrix[rows], scored.probabilities[rows])


_loaded: dict[uuid.UUID, lead_model.LeadModel] = {}


def scorecard_setting(session: Session) -> dict[str, Any]:
    row = session.get(OrgSetting, SCORECARD_KEY)
    value = row.value if row is not None and isinstance(row.value, dict) else {}
    return {"version": int(value.get("version", 1)), "weights": value.get("weights") or {}}


# the active model or the scorecard, read by every lead create (core.cache: activating a
# model or changing the scorecard writes one of these tables and empties it)
_scorer = TableCache("lead scorer", [MLModel.__tablename__, OrgSetting.__tablename__])


def current_scorer(session: Session) -> Scorer:
    """The active scorer (cached per process: core.cache)."""
    return _scorer.get(KIND, lambda: _lookup_scorer(session))


def forget_scorer(session: Session) -> None:
    _scorer.clear()


def _lookup_scorer(session: Session) -> Scorer:
    active = repo.active_version(session, KIND)
    if active is not None:
        model_id, version = active
        model = _loaded.get(model_id)
        if model is None:
            row = session.get(MLModel, model_id)
            assert row is not None
            model = lead_model.LeadModel.from_bytes(row.artifact)
            _loaded.clear()  # one model in memory: the active one
            _loaded[model_id] = model
        return Scorer(f"{KIND}-v{version}", model, {})
    card = scorecard_setting(session)
    return Scorer(f"scorecard-v{card['version']}", None, card["weights"])


# ---- facts and scoring ---------------------------------------------------------------------


def facts_now(columns: repo.LeadColumns, now: datetime) -> LeadFacts:
    """What the scorers read about these leads at ``now``: their fields and engagement."""
    engagement = engagement_features(columns.counts, columns.last_engaged, columns.created, now)
    texts = {} if columns.descriptions is None else {"description": columns.descriptions}
    return LeadFacts(columns.fields, columns.custom, columns.described, engagement, texts)


def score_leads(
    session: Session,
    lead_ids: list[uuid.UUID] | None,
    *,
    reason: str,
    now: datetime | None = None,
    explain_all: bool = False,
) -> dict[str, int]:
    """Score these leads (every live lead when None) with the active scorer, in one pass.

    Writes score, probability, model version and time of the leads whose score or scorer
    changed (a pass where nothing moved writes nothing); recomputes the factors of leads that
    are new, moved by ``EXPLAIN_MOVE`` points or more under the same scorer, or when
    ``explain_all``; records a score change row for moves of 5 points or more. Core UPDATEs:
    the lead's version (ETag) does not change. Column by column: a few array operations per
    pass, Python work only for the leads explained."""
    with _collection_paused():
        return _score_leads(session, lead_ids, reason, now or utcnow(), explain_all)


def score_new_leads(session: Session, rows: list[dict[str, Any]], *, now: datetime) -> None:
    """Score leads about to be inserted (``rows``: their column values, ids included): what
    ``score_leads`` writes right after an INSERT (score, probability, factors, scorer, times)
    goes into the rows, so that each lead row is written once. ``record_new_scores`` adds
    their score change rows after the INSERT."""
    if not rows:
        return
    with _collection_paused():
        scorer = current_scorer(session)
        forms: dict[uuid.UUID, str | None] = {}
        if "form_type" in scorer.fields:
            forms = repo.form_types(
                session, {r["web_form_id"] for r in rows if r.get("web_form_id")}
            )
        stored = repo.new_lead_columns(
            rows, scorer.fields, scorer.custom_keys, forms, now, scorer.reads_description
        )
        facts = facts_now(stored, now)
        scored = scorer.score(facts)
        factors = scorer.explain(facts, scored, np.arange(len(rows)))
        scores = scored.values.tolist()
        probabilities = (
            [None] * len(rows) if scored.probabilities is None else scored.probabilities.tolist()
        )
        for row, score, probability, explained in zip(
            rows, scores, probabilities, factors, strict=True
        ):
            row.update(
                score=score,
                score_probability=probability,
                score_factors=explained,
                score_model_version=scorer.version,
                scored_at=now,
                score_factors_at=now,
            )


def record_new_scores(session: Session, rows: list[dict[str, Any]]) -> None:
    """The score change rows of leads ``score_new_leads`` scored, once they are inserted."""
    if not rows:
        return
    repo.add_changes(
        session,
        repo.driver_ids(session, [r["id"] for r in rows]),
        [r["score"] for r in rows],
        [None] * len(rows),
        {
            "model_version": rows[0]["score_model_version"],
            "reason": "created",
            "scored_at": rows[0]["scored_at"],
        },
    )


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch builds its rows: hundreds of thousands of
    new tuples would otherwise start a full collection again and again (a sixth of a pass)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _score_leads(
    session: Session,
    lead_ids: list[uuid.UUID] | None,
    reason: str,
    now: datetime,
    explain_all: bool,
) -> dict[str, int]:
    scorer = current_scorer(session)
    stored = repo.lead_columns(
        session, lead_ids, scorer.fields, scorer.custom_keys, scorer.reads_description
    )
    facts = facts_now(stored, now)
    scored = scorer.score(facts)
    values = scored.values
    previous = np.array(stored.scores, dtype=np.float64)  # None → NaN: never scored
    same_scorer = np.array([v == scorer.version for v in stored.versions], dtype=bool)
    moved = np.isnan(previous) | (np.abs(values - previous) >= EXPLAIN_MOVE)
    # explanations: new leads and leads scored by another scorer are explained only when asked
    # in the same breath (events do), a batch pass leaves them to be computed on demand
    explain = (moved & (same_scorer | (lead_ids is not None))) | explain_all
    write = explain | ~same_scorer | (previous != values)
    explained = np.flatnonzero(explain)
    rescored = np.flatnonzero(write & ~explain)
    changed = np.flatnonzero(write & moved)
    probabilities = scored.probabilities

    def columns(rows: np.ndarray) -> dict[str, list[Any]]:
        """The values written per lead (plain ints and floats)."""
        return {
            "score": values[rows].tolist(),
            "score_probability": (
                [None] * len(rows) if probabilities is None else probabilities[rows].tolist()
            ),
        }

    same = {"score_model_version": scorer.version, "scored_at": now}
    factors = scorer.explain(facts, scored, explained) if len(explained) else []
    writes = (
        (
            explained,
            {**columns(explained), "score_factors": factors},
            {**same, "score_factors_at": now},
        ),
        (rescored, columns(rescored), same),
    )
    for rows, per_lead, constants in writes:
        ids = [stored.ids[i] for i in rows]
        repo.write_scores(session, ids, per_lead, constants)
        _refresh_loaded(session, ids, per_lead, constants)
    repo.add_changes(
        session,
        [stored.ids[i] for i in changed],
        values[changed].tolist(),
        [stored.scores[i] for i in changed],
        {"model_version": scorer.version, "reason": reason[:60], "scored_at": now},
    )
    return {
        "leads": len(stored),
        "rescored": int(write.sum()),
        "explained": len(explained),
        "moved": len(changed),
    }


def _refresh_loaded(
    session: Session, ids: list[Any], values: dict[str, list[Any]], same: dict[str, Any]
) -> None:
    """Leads already loaded in this session see what was written (``ids`` as
    ``repo.lead_columns`` hands them, ``values`` a list per column) without being marked
    dirty."""
    loaded_ids, leads = [], []
    for state in session.identity_map.all_states():
        if state.class_ is Lead and state.identity is not None:
            loaded_ids.append(state.identity[0])
            leads.append(state.obj())
    if not leads:
        return
    loaded = dict(zip(repo.driver_ids(session, loaded_ids), leads, strict=True))
    for k, lead_id in enumerate(ids):
        lead = loaded.get(lead_id)
        if lead is None:
            continue
        for name, column in values.items():
            set_committed_value(lead, name, column[k])
        for name, value in same.items():
            set_committed_value(lead, name, value)


# ---- what a person sees -------------------------------------------------------------------


def explanation(
    session: Session, actor: Actor, lead_id: uuid.UUID, *, now: datetime | None = None
) -> dict[str, Any]:
    """The lead's score as shown on its page; factors are recomputed on demand when the
    score was rescored since they were last explained (or by another scorer)."""
    lead = LeadRepository(session).get(actor, lead_id)
    scorer = current_scorer(session)
    stale = (
        lead.score is None
        or lead.score_model_version != scorer.version
        or lead.score_factors_at is None
        or (lead.scored_at is not None and lead.score_factors_at < lead.scored_at)
    )
    if stale:
        score_leads(session, [lead.id], reason="opened", now=now, explain_all=True)
    history = [
        {
            "score": c.score,
            "previous_score": c.previous_score,
            "model_version": c.model_version,
            "reason": c.reason,
            "scored_at": c.scored_at,
        }
        for c in repo.score_changes(session, lead.id)
    ]
    return {
        "lead_id": lead.id,
        "score": lead.score,
        "band": display_band(lead.score),
        "probability": lead.score_probability,
        "model_version": lead.score_model_version,
        "scored_at": lead.scored_at,
        "learned": scorer.model is not None,
        "factors": lead.score_factors or [],
        "history": history,
    }


# ---- training and the registry ----------------------------------------------------------------


def _need(actor: Actor, permission: str, what: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"only admins can {what}")


def training_status(session: Session, actor: Actor) -> dict[str, Any]:
    _need(actor, "settings:read", "see the lead models")
    counts = repo.closed_counts(session)
    closed = counts["converted"] + counts["lost"]
    active = repo.active_model(session, KIND)
    return {
        **counts,
        "closed": closed,
        "needed": lead_model.MIN_CLOSED_LEADS,
        "ready": closed >= lead_model.MIN_CLOSED_LEADS
        and min(counts.values()) >= lead_model.MIN_PER_CLASS,
        "active_version": active.version if active else None,
        "scorer": current_scorer(session).version,
        "latest": _latest_summary(repo.latest_model(session, KIND)),
    }


def _latest_summary(row: MLModel | None) -> dict[str, Any] | None:
    """The newest version's figures beside its baseline (whether it replaced the scorecard)."""
    if row is None:
        return None
    card = row.card or {}
    return {
        "version": row.version,
        "status": row.status,
        "auc": row.auc,
        "baseline": card.get("baseline"),
        "beats_baseline": card.get("beats_baseline"),
    }


def custom_field_types(session: Session) -> dict[str, tuple[str, str]]:
    return {d.key: (d.label, d.field_type) for d in metadata.definitions(session, "lead")}


@dataclass
class History:
    """The closed leads as training sees them, oldest first: each lead's outcome, its row at
    creation and, when its outcome was still open a week later, its row at day 7."""

    labels: list[int]
    at_creation: list[dict[str, Any]]
    at_day_7: list[dict[str, Any] | None]

    def __len__(self) -> int:
        return len(self.labels)

    def part(self, start: int, end: int) -> tuple[list[dict[str, Any]], list[int], list[int]]:
        """Leads ``start``..``end`` as training rows: (rows, labels, lead order numbers)."""
        rows: list[dict[str, Any]] = []
        labels: list[int] = []
        groups: list[int] = []
        for n in range(start, end):
            for row in (self.at_creation[n], self.at_day_7[n]):
                if row is not None:
                    rows.append(row)
                    labels.append(self.labels[n])
                    groups.append(n)
        return rows, labels, groups


def closed_history(session: Session) -> History:
    """Every closed lead rebuilt as of its snapshots — no leakage: fields from the audit trail,
    engagement from the timeline, the description as it was then."""
    leads = repo.closed_fact_rows(session)
    labels = [1 if r["status"] == "converted" else 0 for r in leads]
    lead_model.check_enough(labels)
    ids = [r["id"] for r in leads]
    changes = repo.field_changes(session, ids)
    timelines = repo.timelines(session, ids)
    history = History(labels, [], [])
    for lead in leads:
        created = lead["created_at"]
        outcome_at = lead.get("converted_at") or lead.get("status_changed_at") or created
        snapshots: list[dict[str, Any] | None] = []
        for t in (created + timedelta(seconds=1), created + SECOND_SNAPSHOT):
            if t > created + timedelta(seconds=1) and outcome_at <= t:
                snapshots.append(None)
                continue
            lead_changes = changes.get(lead["id"], [])
            row = features.snapshot(lead, lead_changes, timelines.get(lead["id"], []), t)
            # the description as it was then (an edit after t is undone from the audit trail)
            row["description"] = features.value_as_of(
                lead.get("description"), lead_changes, "description", t
            )
            snapshots.append(row)
        first, later = snapshots
        assert first is not None
        history.at_creation.append(first)
        history.at_day_7.append(later)
    return history


def training_rows(
    session: Session,
) -> tuple[list[dict[str, Any]], list[int], list[int], list[dict[str, Any]], list[int]]:
    """(train rows, labels, lead order numbers, held-out rows, labels) — no leakage: every row
    is the lead as it was at a snapshot before its outcome (fields from the audit trail,
    engagement from the timeline). The newest 20 % of leads (by creation) are held out and
    seen once, at creation; the others give a snapshot at creation and, when the outcome was
    still open a week later, one at day 7."""
    history = closed_history(session)
    cut = int(len(history) * 0.8)
    train_rows, train_labels, groups = history.part(0, cut)
    return (
        train_rows,
        train_labels,
        groups,
        history.at_creation[cut:],
        history.labels[cut:],
    )


def rolling_evaluation(session: Session, actor: Actor, *, slices: int) -> dict[str, Any]:
    """What weekly retraining does in use, replayed on the held-out part (the newest 20 % of
    leads by creation): cut into ``slices`` consecutive slices, a model trained (exactly as
    ``train_lead_model`` trains, nothing stored) on every lead created before each slice
    scores that slice. The figures are over the pooled slice predictions: AUC, Brier score,
    the reliability table and its worst decile gap."""
    _need(actor, "settings:write", "train lead models")
    try:
        history = closed_history(session)
    except lead_model.NotEnoughData as exc:
        raise Conflict(str(exc), field="leads") from None
    n = len(history)
    cut = int(n * 0.8)
    if slices < 1 or n - cut < slices:
        raise ValidationFailed(
            f"--rolling {slices}: the held-out part has {n - cut} leads", field="rolling"
        )
    edges = np.linspace(cut, n, slices + 1).astype(int)
    custom = custom_field_types(session)
    probabilities = np.zeros(n - cut)
    per_slice: list[dict[str, Any]] = []
    for start, end in itertools.pairwise(edges.tolist()):
        rows, labels, groups = history.part(0, int(start))
        if len(set(labels)) < 2:
            raise Conflict(
                f"the leads before slice {len(per_slice) + 1} hold one outcome only",
                field="leads",
            )
        space = features.build_space(rows, custom)
        test_rows = history.at_creation[start:end]
        test_labels = history.labels[start:end]
        result = lead_model.train(space, rows, labels, groups, test_rows, test_labels)
        probabilities[start - cut : end - cut] = result.model.probability(
            result.model.encode(test_rows)
        )
        per_slice.append(
            {
                "leads": int(end - start),
                "training_leads": int(start),
                "converted": round(float(np.mean(test_labels)) * 100, 1),
                "auc": None if result.auc is None else round(result.auc, 4),
                "algorithm": result.model.algorithm,
            }
        )
    y = np.asarray(history.labels[cut:], dtype=np.int64)
    table = lead_model.reliability_percent(y, probabilities)
    auc = metrics.auc(y, probabilities)
    brier = metrics.brier(y, probabilities)
    ece = metrics.ece(y, probabilities)
    return {
        "slices": per_slice,
        "held_out_leads": n - cut,
        "auc": None if auc is None else round(auc, 4),
        "brier": None if brier is None else round(brier, 4),
        "ece": None if ece is None else round(ece * 100, 2),
        "reliability": table,
        "max_calibration_gap": max((abs(r["gap"]) for r in table), default=None),
        "edges": [int(e) for e in edges],
    }


def train_lead_model(
    session: Session, actor: Actor, *, now: datetime | None = None, activate: bool = True
) -> MLModel:
    """Train a model on the organization's closed leads and store it with its card.

    Refuses with a 409 saying how far the organization is when there is too little history.
    The new version becomes active (and all leads are rescored) when ``activate`` and it ranks
    the held-out leads better than the scorecard (``beats_baseline`` on its card); otherwise
    it is kept, retired, with a note saying the scorecard still scores leads."""
    _need(actor, "settings:write", "train lead models")
    now = now or utcnow()
    try:
        train_rows, train_labels, groups, test_rows, test_labels = training_rows(session)
    except lead_model.NotEnoughData as exc:
        raise Conflict(str(exc), field="leads") from None
    for part, labels in (
        ("training part", train_labels),
        ("held-out part (the newest 20 % of leads)", test_labels),
    ):
        if labels and len(set(labels)) < 2:
            outcome = "converted" if labels[0] else "lost"
            raise Conflict(
                f"the {part} holds only {outcome} leads ({len(labels)}): a model trained or "
                "judged on one outcome says nothing (not trained)",
                field="leads",
            )
    space = features.build_space(train_rows, custom_field_types(session))
    if not space.features:
        raise Conflict("the closed leads have no field that differs between them", field="leads")
    result = lead_model.train(space, train_rows, train_labels, groups, test_rows, test_labels)
    version = repo.next_version(session, KIND)
    baseline = scorecard_baseline(session, test_rows, test_labels)
    beats = result.auc is not None and (baseline["auc"] is None or result.auc > baseline["auc"])
    notes = list(result.card.get("notes", []))
    if not beats:
        notes.append(
            f"This model did not rank the held-out leads better than the scorecard (AUC "
            f"{_figure(result.auc)} against {_figure(baseline['auc'])}): the scorecard keeps "
            "scoring leads. Activate this version by hand to use it anyway."
        )
    card = {
        **result.card,
        "baseline": baseline,
        "beats_baseline": beats,
        "notes": notes,
        "version": version,
        "trained_at": now.isoformat(),
        "trained_by": actor.display_name,
    }
    row = MLModel(
        kind=KIND,
        version=version,
        status="retired",
        algorithm=result.model.algorithm,
        trained_at=now,
        trained_by_id=actor.user_id,
        n_train=result.n_train,
        n_test=result.n_test,
        auc=result.auc,
        brier=result.brier,
        card=card,
        artifact=result.model.to_bytes(),
    )
    session.add(row)
    session.flush()
    publish(
        session,
        actor,
        "lead.model_trained",
        record_type="ml_model",
        record_id=row.id,
        payload=LeadModelTrained(version=version, auc=result.auc, brier=result.brier),
    )
    if activate and beats:
        _activate(session, actor, row, now=now)
    return row


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def scorecard_baseline(
    session: Session, rows: list[dict[str, Any]], labels: list[int]
) -> dict[str, Any]:
    """The scorecard (with the admin's weights) on the held-out leads, as the learned model
    sees them: the baseline a model must out-rank (AUC) to replace it."""
    weights = scorecard.merged(scorecard_setting(session)["weights"])
    p = np.array([scorecard.score_with(row, weights)[0] / 100 for row in rows], dtype=float)
    auc = metrics.auc(labels, p) if rows else None
    return {
        "name": "scorecard",
        "auc": None if auc is None else round(auc, 4),
        "held_out_leads": len(rows),
    }


def _activate(session: Session, actor: Actor, row: MLModel, *, now: datetime | None = None) -> None:
    repo.retire_all(session, KIND)
    row.status = "active"
    session.flush()
    _loaded.clear()
    forget_scorer(session)
    publish(
        session,
        actor,
        "lead.model_activated",
        record_type="ml_model",
        record_id=row.id,
        payload=LeadModelActivated(version=row.version),
    )
    score_leads(session, None, reason=f"model v{row.version}", now=now)


def list_models(session: Session, actor: Actor) -> list[MLModel]:
    _need(actor, "settings:read", "see the lead models")
    return repo.models(session, KIND)


def get_model(session: Session, actor: Actor, version: int) -> MLModel:
    _need(actor, "settings:read", "see the lead models")
    row = repo.model_by_version(session, KIND, version)
    if row is None:
        raise NotFound(f"lead model v{version} not found")
    return row


def activate_model(
    session: Session, actor: Actor, version: int, *, now: datetime | None = None
) -> MLModel:
    """Make an earlier (or the newest) version the one that scores: a rollback."""
    _need(actor, "settings:write", "roll back lead models")
    row = get_model(session, actor, version)
    if row.status != "active":
        _activate(session, actor, row, now=now)
    return row


def use_scorecard(session: Session, actor: Actor, *, now: datetime | None = None) -> None:
    """Stop using learned models: the scorecard scores every lead again."""
    _need(actor, "settings:write", "change the lead scoring")
    repo.retire_all(session, KIND)
    _loaded.clear()
    forget_scorer(session)
    session.flush()
    score_leads(session, None, reason="scorecard", now=now)


# ---- the scorecard --------------------------------------------------------------------------


def get_scorecard(session: Session, actor: Actor) -> dict[str, Any]:
    _need(actor, "settings:read", "see the scorecard")
    setting = scorecard_setting(session)
    return {
        "version": setting["version"],
        "weights": scorecard.merged(setting["weights"]),
        "in_use": repo.active_version(session, KIND) is None,
    }


def update_scorecard(
    session: Session, actor: Actor, weights: dict[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """Change scorecard weights (merged over the current ones); rescores when it is in use."""
    _need(actor, "settings:write", "change the scorecard")
    errors = scorecard.validate(weights)
    if errors:
        raise ValidationFailed(
            "; ".join(f"{e['field']} {e['message']}" for e in errors[:5]),
            errors=[{"field": f"weights.{e['field']}", "message": e["message"]} for e in errors],
        )
    setting = scorecard_setting(session)
    combined = scorecard.merged(weights, base=scorecard.merged(setting["weights"]))
    row = session.get(OrgSetting, SCORECARD_KEY)
    value = {"version": setting["version"] + 1, "weights": combined}
    if row is None:
        session.add(OrgSetting(key=SCORECARD_KEY, value=value))
    else:
        row.value = value
    session.flush()
    forget_scorer(session)
    if repo.active_version(session, KIND) is None:
        score_leads(session, None, reason="scorecard changed", now=now)
    return get_scorecard(session, actor)
