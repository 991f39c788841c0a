"""Lead scoring: valid requests for the settings-like operations (a history to train on and a
trained model to read or roll back to, made once per database)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.repository import unscoped
from tests.permissions.subjects import Request, Subject


def history(db: Any, n: int = 220) -> None:
    """Enough closed leads to train on, inserted directly (no events: fast)."""
    from nexa.models import Lead

    stmt = select(Lead.id).where(Lead.last_name.like("Matrix history %")).limit(1)
    if db.scalar(unscoped(stmt)):
        return
    now = utcnow()
    for i in range(n):
        created = now - timedelta(days=n - i)
        converted = i % 3 == 0
        db.add(
            Lead(
                id=uuid.uuid4(),
                last_name=f"Matrix history {i}",
                source="referral" if converted or i % 5 == 0 else "cold_call",
                company_size="51-200" if i % 2 else "1-10",
                status="converted" if converted else "lost",
                lost_reason=None if converted else "matrix",
                status_changed_at=created + timedelta(days=2),
                converted_at=created + timedelta(days=2) if converted else None,
                created_at=created,
                updated_at=created,
                custom_fields={},
                tags=[],
                score_factors=[],
            )
        )
    db.flush()


def model_version(db: Any) -> int:
    from nexa.models import MLModel
    from nexa.scoring.service import KIND, train_lead_model

    version = db.scalar(select(MLModel.version).where(MLModel.kind == KIND).limit(1))
    if version is None:
        history(db)
        version = train_lead_model(db, SYSTEM, activate=False).version
    return int(version)


def _request(route: Any, db: Any, cast: Any) -> Request | None:
    if not route.path.startswith("/api/v1/scoring"):
        return None
    if route.path == "/api/v1/scoring/models" and route.method == "POST":
        history(db)
    if "{}" in route.path:
        return route.path.replace("{}", str(model_version(db))), None, None
    if route.path == "/api/v1/scoring/scorecard" and route.method == "PUT":
        return route.path, {"weights": {"fit": {"source": {"referral": 16}}}}, None
    return route.path, None, None


SUBJECTS = [Subject("lead_scoring", lambda db, owner_id: None, other_request=_request)]
